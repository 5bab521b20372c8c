/**
 * The WebAssembly SIMD kernel backend: kernels compiled from assembly/ (AssemblyScript) and
 * shipped inside the package (binary.generated.ts), instantiated synchronously in whichever
 * thread first uses them.
 */
import { WasmKernels } from "./kernels.js";

export { WasmKernels, type AdamStep, type RmspropStep, type SgdStep, type WasmKernelsOptions } from "./kernels.js";
export { enableRelaxedSimd, wasmRelaxedSimd, wasmSimdSupported } from "./module.js";
export type { WasmMemory } from "./wasm-api.js";

let instance: WasmKernels | null = null;
let threadInstance: WasmKernels | null = null;

/** This thread's default kernels, over a private memory they own; created on first use. */
export function defaultWasmKernels(): WasmKernels {
  return (instance ??= new WasmKernels());
}

/**
 * Makes `kernels` (e.g. over a shared memory that holds a model's parameters and gradients, with
 * this thread's own scratch range) the first choice of this thread's float32 kernels, so
 * operands already in that memory are used in place (see {@link wasmKernelsFor}; gemm also when
 * only some operands are there and the others' staging fits its scratch range). Any other call
 * runs on the default private instance. `null` restores the default.
 */
export function setThreadWasmKernels(kernels: WasmKernels | null): void {
  threadInstance = kernels;
}

/** The kernels set by {@link setThreadWasmKernels}, if any. */
export function threadWasmKernels(): WasmKernels | null {
  return threadInstance;
}

/**
 * The instance for an array-level call on these operands: this thread's kernels (see
 * {@link setThreadWasmKernels}) when every operand given lies in their memory, so that the call
 * runs in place with zero copies; else the default instance, which stages operands through its
 * private memory (faster to copy into than a shared one, and it grows as needed). Pass every
 * operand that can be large: one left out and outside the memory would be staged into the
 * thread instance's fixed scratch range, which may be too small.
 */
export function wasmKernelsFor(...operands: (Float32Array | Float64Array | null | undefined)[]): WasmKernels {
  const t = threadInstance;
  if (t === null) return defaultWasmKernels();
  for (let i = 0; i < operands.length; i++) {
    const a = operands[i];
    if (a !== null && a !== undefined && !t.holds(a)) return defaultWasmKernels();
  }
  return t;
}

/**
 * The instance for a float32 gemm call: this thread's kernels when the call's staging (the
 * operands not in their memory) fits their scratch range, else the default instance.
 */
export function gemmKernelsFor(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, lda: number, b: Float32Array, ldb: number, c: Float32Array, ldc: number, bias?: Float32Array | null,
): WasmKernels {
  const t = threadInstance;
  return t !== null && t.gemmFits(m, n, k, alpha, a, lda, b, ldb, c, ldc, transA, transB, bias) ? t : defaultWasmKernels();
}

/**
 * The float32 gemm of the kernel interface computed by the WebAssembly SIMD kernel, on the
 * instance {@link gemmKernelsFor} chooses (operands not in its memory copied in and out). Same
 * signature and contract.
 */
export function wasmGemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, b: Float32Array, bOff: number, ldb: number,
  beta: number, c: Float32Array, cOff: number, ldc: number, bias?: Float32Array | null, biasOff = 0,
): void {
  gemmKernelsFor(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, bias)
    .gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bias, biasOff);
}
