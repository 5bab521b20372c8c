import { setFlagsFromString } from "node:v8";
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

/** The smallest module that uses relaxed SIMD: one function returning f32x4.relaxed_madd of its three v128 parameters. */
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128, v128, v128) → v128
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // local.get 0..2, f32x4.relaxed_madd
]);

/**
 * Turns relaxed SIMD on for this process where the host has it behind a flag (Node 20, V8 11.3:
 * `--experimental-wasm-relaxed-simd`; Node 22 and later have it on by default), unless
 * `WEFT_RELAXED_SIMD=0`, so that gemm's multiply-adds are fused (FMA) — 5–9% less CPU per MLP
 * step on the Zen 4 dev machine; on a 2-vCPU Xeon one pair of runs gave 17 → 28 GFLOP/s for the
 * conv-micro gemm, later pairs were level within that machine's noise. V8 reads its
 * wasm feature flags when it validates and compiles a module, and its flags are per process, so
 * this covers the calling thread and every worker thread started afterwards — the same as
 * re-executing with the flag. Call it first, before any kernel runs: once this thread has
 * decided (by {@link wasmRelaxedSimd} or a first kernel call), the decision stands and this
 * changes nothing, so that threads never disagree. `weft` (the CLI) and the benchmarks call it.
 * Returns {@link wasmRelaxedSimd}.
 */
export function enableRelaxedSimd(): boolean {
  const env = typeof process !== "undefined" ? process.env.WEFT_RELAXED_SIMD : undefined;
  const wa = webAssembly();
  if (relaxed === null && env !== "0" && wa !== null && !wa.validate(RELAXED_PROBE)) {
    setFlagsFromString("--experimental-wasm-relaxed-simd");
  }
  return wasmRelaxedSimd();
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
