/**
 * Kernel backend selection: this thread's `Kernels` (kernels/interface.ts).
 *
 * `"wasm"`: the WebAssembly SIMD kernels (`wasmKernels`, kernels/wasm/) for float32 work, the js
 * kernels for the rest; `"js"`: the plain TypeScript kernels (`jsKernels`, kernels/js/), which
 * stay the portable fallback and the reference. The choice comes from the environment variable
 * `WEFT_BACKEND=js|wasm`, read once on first use; unset means wasm where this host validates the
 * kernel module (WebAssembly with SIMD128), else js. Tests switch with {@link setBackend}.
 */
import type { FloatArray, Kernels } from "./interface.js";
import { jsKernels } from "./js/index.js";
import { wasmSimdSupported } from "./wasm/index.js";
import { wasmKernels } from "./wasm/wasm-kernels.js";

export type Backend = "js" | "wasm";

const BACKENDS: readonly Backend[] = ["js", "wasm"];

let current: Backend | null = null;
let chosen: Kernels | null = null;

/**
 * The backend a `WEFT_BACKEND` value selects. Empty or unset: wasm when `simd` (the host runs
 * the kernels), else js. Anything else than "js" or "wasm" — and "wasm" on a host without
 * WebAssembly SIMD — is an error that names the variable.
 */
export function parseBackend(value: string | undefined, simd: boolean): Backend {
  const v = value?.trim() ?? "";
  if (v === "") return simd ? "wasm" : "js";
  if (!(BACKENDS as readonly string[]).includes(v)) {
    throw new Error(`WEFT_BACKEND must be one of ${BACKENDS.map((b) => JSON.stringify(b)).join(", ")} (or unset), got ${JSON.stringify(value)}`);
  }
  if (v === "wasm" && !simd) {
    throw new Error('WEFT_BACKEND="wasm", but this JavaScript host cannot run WebAssembly SIMD (128-bit); use WEFT_BACKEND=js');
  }
  return v as Backend;
}

/** The kernel backend in use: `WEFT_BACKEND` (read once, on first call) or the default. */
export function backend(): Backend {
  if (current === null) {
    const env = typeof process !== "undefined" ? process.env.WEFT_BACKEND : undefined;
    current = parseBackend(env, wasmSimdSupported());
  }
  return current;
}

/**
 * Selects the backend for this thread (workers choose their own, from the same environment).
 * Without an argument, forgets the choice: the next {@link backend} call reads `WEFT_BACKEND`
 * again.
 */
export function setBackend(b?: Backend): void {
  if (b === undefined) {
    current = null;
    chosen = null;
    return;
  }
  if (!BACKENDS.includes(b)) throw new Error(`setBackend: expected one of ${BACKENDS.map((x) => JSON.stringify(x)).join(", ")}, got ${JSON.stringify(b)}`);
  if (b === "wasm" && !wasmSimdSupported()) throw new Error("setBackend: this JavaScript host cannot run WebAssembly SIMD (128-bit)");
  current = b;
  chosen = null;
}

/**
 * This thread's kernels, chosen once from {@link backend}: `wasmKernels` under the wasm backend,
 * else `jsKernels`. Ops call `kernels().reluForward(x, out)` and never test the backend.
 *
 * @example
 * import { kernels } from "@weft/tensor";
 * kernels().softmaxForward(x, y, rows, cols, 1, false); // softmax over the last axis of [rows, cols]
 */
export function kernels(): Kernels {
  return (chosen ??= backend() === "wasm" ? wasmKernels : jsKernels);
}

/**
 * C[m×n] = alpha · op(A) · op(B) + beta · C (+ bias) on this thread's kernels — `kernels().gemm`
 * (see the `Kernels` interface for the contract). With the wasm backend, float32 operands (A, B,
 * C and bias all Float32Array) run on the WebAssembly SIMD kernel; float64 ones, and everything
 * under the js backend, on the TypeScript kernel.
 *
 * @example
 * // Linear forward y[N×out] = x[N×in] · W[out×in]ᵀ + b
 * gemm(false, true, N, out, inF, 1, x, 0, inF, w, 0, inF, 0, y, 0, out, b, 0);
 */
export function gemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number,
  beta: number, c: FloatArray, cOff: number, ldc: number, bias?: FloatArray | null, biasOff = 0,
): void {
  kernels().gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bias, biasOff);
}

/** dst[j] += Σ_r a[r·cols + j] for a: [rows, cols], dst: [cols] — linear's bias gradient; `kernels().columnSum`. */
export function columnSum(a: FloatArray, rows: number, cols: number, dst: FloatArray): void {
  kernels().columnSum(a, rows, cols, dst);
}
