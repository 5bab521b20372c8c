/**
 * The WebAssembly SIMD kernel backend: kernels compiled from assembly/ (AssemblyScript) and
 * shipped inside the package (binary.generated.ts), instantiated synchronously in whichever
 * thread first uses them.
 */
import { WasmKernels } from "./kernels.js";

export { WasmKernels, type AdamStep, type WasmKernelsOptions } from "./kernels.js";
export { wasmSimdSupported } from "./module.js";
export type { WasmMemory } from "./wasm-api.js";

let instance: WasmKernels | null = null;

/** This thread's default kernels, over a private memory they own; created on first use. */
export function defaultWasmKernels(): WasmKernels {
  return (instance ??= new WasmKernels());
}

/**
 * The float32 gemm of kernels/gemm.ts computed by the WebAssembly SIMD kernel (this thread's
 * default instance; operands copied in and out). Same signature and contract.
 */
export function wasmGemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOff: number, lda: number, b: Float32Array, bOff: number, ldb: number,
  beta: number, c: Float32Array, cOff: number, ldc: number, bias?: Float32Array | null, biasOff = 0,
): void {
  defaultWasmKernels().gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bias, biasOff);
}
