import { kernelsPrivateBase64, kernelsPrivateRelaxedBase64, kernelsSharedBase64, kernelsSharedRelaxedBase64 } from "./binary.generated.js";
import { type KernelExports, type WasmMemory, webAssembly } from "./wasm-api.js";

// The kernel module, decoded and compiled at most once per thread (each worker has its own copy
// of this module scope), on first use — nothing happens at import time. Compilation is
// synchronous (`new WebAssembly.Module`): Node puts no size limit on that, in any thread, and
// the module is ~5 KB.

type Compiled = ReturnType<typeof compile>;
let privateModule: Compiled | null = null;
let sharedModule: Compiled | null = null;
let supported: boolean | null = null;
let relaxed: boolean | null = null;

function decodeBase64(text: string): Uint8Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

function compile(base64: string) {
  const wa = webAssembly();
  if (wa === null) throw new Error("WebAssembly is not available in this JavaScript host");
  return new wa.Module(decodeBase64(base64));
}

/**
 * Whether this host can run the kernels: it validates the kernel module itself (SIMD128, and
 * nothing newer), which is a stricter probe than a one-instruction SIMD module. Cached.
 */
export function wasmSimdSupported(): boolean {
  if (supported === null) {
    const wa = webAssembly();
    supported = wa !== null && wa.validate(decodeBase64(kernelsPrivateBase64));
  }
  return supported;
}

/**
 * Whether the kernels use relaxed SIMD: the host validates the relaxed-SIMD build (Node 20:
 * only when started with `--experimental-wasm-relaxed-simd`; V8 turns on relaxed SIMD by
 * default in later versions) and `WEFT_RELAXED_SIMD` is not "0". Then gemm's multiply-adds are
 * fused (FMA) on hardware that has it: a product rounds once instead of twice, so results differ
 * from the plain SIMD build in the last bits (within the golden tolerances) and stay the same
 * run to run on one machine. Every thread of a process decides alike (V8 flags are per process).
 */
export function wasmRelaxedSimd(): boolean {
  if (relaxed === null) {
    const wa = webAssembly();
    const env = typeof process !== "undefined" ? process.env.WEFT_RELAXED_SIMD : undefined;
    relaxed = wa !== null && env !== "0" && wasmSimdSupported() && wa.validate(decodeBase64(kernelsPrivateRelaxedBase64));
  }
  return relaxed;
}

/** True when `memory` is a shared `WebAssembly.Memory` (its buffer is a SharedArrayBuffer). */
export function isSharedMemory(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * Instantiates the kernels over `memory`, choosing the module variant that imports that kind
 * of memory (a module declares its memory import shared or not; see scripts/build-wasm.mjs).
 */
export function instantiateKernels(memory: WasmMemory): KernelExports {
  const wa = webAssembly();
  if (wa === null) throw new Error("WebAssembly is not available in this JavaScript host");
  const shared = isSharedMemory(memory);
  const r = wasmRelaxedSimd();
  const module = shared
    ? (sharedModule ??= compile(r ? kernelsSharedRelaxedBase64 : kernelsSharedBase64))
    : (privateModule ??= compile(r ? kernelsPrivateRelaxedBase64 : kernelsPrivateBase64));
  return new wa.Instance(module, { env: { memory } }).exports as KernelExports;
}

/** A new plain (non-shared) memory of `pages` 64 KiB pages, growable to the wasm32 maximum. */
export function createPrivateMemory(pages: number): WasmMemory {
  const wa = webAssembly();
  if (wa === null) throw new Error("WebAssembly is not available in this JavaScript host");
  return new wa.Memory({ initial: pages });
}
