/**
 * Kernel backend selection and the dispatching kernels that ops call.
 *
 * `"wasm"`: the WebAssembly SIMD kernels (kernels/wasm/); `"js"`: the plain TypeScript kernels,
 * which stay the portable fallback and the reference. The choice comes from the environment
 * variable `WEFT_BACKEND=js|wasm`, read once on first use; unset means wasm where this host
 * validates the kernel module (WebAssembly with SIMD128), else js. Tests switch with
 * {@link setBackend}.
 */
import { gemm as jsGemm, type FloatArray } from "./gemm.js";
import * as jsAct from "./activation.js";
import { reluBackward as jsReluBackward, reluForward as jsReluForward } from "./activation.js";
import { wasmGemm, wasmKernelsFor, wasmSimdSupported } from "./wasm/index.js";

export type Backend = "js" | "wasm";

const BACKENDS: readonly Backend[] = ["js", "wasm"];

let current: Backend | null = null;

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
    return;
  }
  if (!BACKENDS.includes(b)) throw new Error(`setBackend: expected one of ${BACKENDS.map((x) => JSON.stringify(x)).join(", ")}, got ${JSON.stringify(b)}`);
  if (b === "wasm" && !wasmSimdSupported()) throw new Error("setBackend: this JavaScript host cannot run WebAssembly SIMD (128-bit)");
  current = b;
}

/**
 * C[m×n] = alpha · op(A) · op(B) + beta · C (+ bias), the contract and signature of
 * kernels/gemm.ts. With the wasm backend, float32 operands (A, B, C and bias all
 * Float32Array) run on the WebAssembly SIMD kernel; float64 ones, and everything under the js
 * backend, on the TypeScript kernel.
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
  if ((current ?? backend()) === "wasm" && a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array
    && (bias === undefined || bias === null || bias instanceof Float32Array)) {
    wasmGemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bias, biasOff);
    return;
  }
  jsGemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bias, biasOff);
}

/** Whether float32 work goes to the wasm kernels. */
const wasmFloat32 = (): boolean => (current ?? backend()) === "wasm";

/**
 * out = relu(x) (same length). Float32 under the wasm backend: the SIMD kernel (same bits as
 * the JS one but at −∞, where it gives 0 as torch.relu); otherwise kernels/activation.ts.
 */
export function reluForward(x: FloatArray, out: FloatArray): void {
  if (x instanceof Float32Array && out instanceof Float32Array && wasmFloat32()) wasmKernelsFor(x, out).reluForward(x, out);
  else jsReluForward(x, out);
}

/** slot += g where x > 0 (same lengths); dispatched as {@link reluForward}, same bits either way. */
export function reluBackward(x: FloatArray, g: FloatArray, slot: FloatArray): void {
  if (x instanceof Float32Array && g instanceof Float32Array && slot instanceof Float32Array && wasmFloat32()) {
    wasmKernelsFor(x, g, slot).reluBackward(x, g, slot);
  } else {
    jsReluBackward(x, g, slot);
  }
}

const f32 = (a: FloatArray): a is Float32Array => a instanceof Float32Array;

// leakyRelu, sigmoid, tanh and GELU, dispatched as {@link reluForward} / {@link reluBackward}:
// float32 under the wasm backend on the kernels of assembly/activation.ts, otherwise
// kernels/activation.ts. leakyRelu, sigmoid and tanh's backward give the JS kernels' bits
// (float64 arithmetic rounded once, fdlibm's exp as V8's Math); tanh's forward and GELU are
// float32 SIMD approximations within a few ulps of them (assembly/fast-math.ts), ≈ 10× faster.

export function leakyReluForward(x: FloatArray, out: FloatArray, slope: number): void {
  if (f32(x) && f32(out) && wasmFloat32()) wasmKernelsFor(x, out).leakyReluForward(x, out, slope);
  else jsAct.leakyReluForward(x, out, slope);
}
export function leakyReluBackward(x: FloatArray, g: FloatArray, slot: FloatArray, slope: number): void {
  if (f32(x) && f32(g) && f32(slot) && wasmFloat32()) wasmKernelsFor(x, g, slot).leakyReluBackward(x, g, slot, slope);
  else jsAct.leakyReluBackward(x, g, slot, slope);
}
export function tanhForward(x: FloatArray, out: FloatArray): void {
  if (f32(x) && f32(out) && wasmFloat32()) wasmKernelsFor(x, out).tanhForward(x, out);
  else jsAct.tanhForward(x, out);
}
export function tanhBackward(y: FloatArray, g: FloatArray, slot: FloatArray): void {
  if (f32(y) && f32(g) && f32(slot) && wasmFloat32()) wasmKernelsFor(y, g, slot).tanhBackward(y, g, slot);
  else jsAct.tanhBackward(y, g, slot);
}
export function geluForward(x: FloatArray, out: FloatArray, approximate: "none" | "tanh"): void {
  if (f32(x) && f32(out) && wasmFloat32()) wasmKernelsFor(x, out).geluForward(x, out, approximate);
  else jsAct.geluForward(x, out, approximate);
}
export function geluBackward(x: FloatArray, g: FloatArray, slot: FloatArray, approximate: "none" | "tanh"): void {
  if (f32(x) && f32(g) && f32(slot) && wasmFloat32()) wasmKernelsFor(x, g, slot).geluBackward(x, g, slot, approximate);
  else jsAct.geluBackward(x, g, slot, approximate);
}
export function sigmoidForward(x: FloatArray, out: FloatArray): void {
  if (f32(x) && f32(out) && wasmFloat32()) wasmKernelsFor(x, out).sigmoidForward(x, out);
  else jsAct.sigmoidForward(x, out);
}
export function sigmoidBackward(y: FloatArray, g: FloatArray, slot: FloatArray): void {
  if (f32(y) && f32(g) && f32(slot) && wasmFloat32()) wasmKernelsFor(y, g, slot).sigmoidBackward(y, g, slot);
  else jsAct.sigmoidBackward(y, g, slot);
}
/**
 * Softmax (log-softmax when `log`) over the middle axis of x viewed as [outer, dim, inner], into
 * out of the same size — kernels/activation.ts's softmaxForward. Float32 with inner = 1 (the last
 * axis) under the wasm backend: the wasm kernel (assembly/softmax.ts, the same bits); any other
 * layout, float64, or the js backend: the TypeScript kernel.
 */
export function softmaxForward(x: FloatArray, out: FloatArray, outer: number, dim: number, inner: number, log: boolean): void {
  if (inner === 1 && f32(x) && f32(out) && wasmFloat32()) wasmKernelsFor(x, out).softmaxForward(x, out, outer, dim, log);
  else jsAct.softmaxForward(x, out, outer, dim, inner, log);
}

/**
 * slot += dx from the forward's output y and the gradient g, all [outer, dim, inner] — the
 * backward of {@link softmaxForward}, dispatched the same way (same bits either way).
 */
export function softmaxBackward(y: FloatArray, g: FloatArray, slot: FloatArray, outer: number, dim: number, inner: number, log: boolean): void {
  if (inner === 1 && f32(y) && f32(g) && f32(slot) && wasmFloat32()) wasmKernelsFor(y, g, slot).softmaxBackward(y, g, slot, outer, dim, log);
  else jsAct.softmaxBackward(y, g, slot, outer, dim, inner, log);
}

/**
 * dst[j] += Σ_r a[r·cols + j] for a: [rows, cols], dst: [cols] — linear's bias gradient.
 * Added row by row in dst's precision on either backend (for float32, the same bits); the wasm
 * kernel for float32 under the wasm backend.
 */
export function columnSum(a: FloatArray, rows: number, cols: number, dst: FloatArray): void {
  if (a instanceof Float32Array && dst instanceof Float32Array && wasmFloat32()) {
    wasmKernelsFor(a, dst).columnSum(a, rows, cols, dst);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) dst[j] += a[o + j];
  }
}
