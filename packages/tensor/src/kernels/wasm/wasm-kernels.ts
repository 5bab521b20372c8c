/**
 * `wasmKernels`: the kernel interface on the WebAssembly SIMD kernels — every method they speed
 * up, for float32 operands; float64, the layouts they do not take, and the methods not listed
 * here run the js kernels (dispatch.ts says how a call is routed). To add a wasm kernel for an
 * interface method: a WasmKernels method of the same name and signature in its family file,
 * and one line here.
 */
import type { Kernels } from "../interface.js";
import { implement } from "./dispatch.js";
import { defaultWasmKernels, gemmKernelsFor, threadWasmKernels } from "./index.js";
import { rankStride } from "./reduce.js";
import type { WasmKernels } from "./kernels.js";

/**
 * This thread's kernels when every array argument lies in their memory, else null (the js
 * kernel): for kernels that run in place only (the recurrent cells, see rnn.ts).
 */
function inPlace(a: unknown, b: unknown, c: unknown, d: unknown, e: unknown = null, f: unknown = null, g: unknown = null): WasmKernels | null {
  const t = threadWasmKernels();
  if (t === null) return null;
  // Named parameters, no rest array: nothing allocated per call.
  const held = (v: unknown): boolean => !(v instanceof Float32Array || v instanceof Float64Array) || t.holds(v);
  return held(a) && held(b) && held(c) && held(d) && held(e) && held(f) && held(g) ? t : null;
}

/** Softmax's wasm kernels run over the last axis: inner = 1. */
const innermost = (inner: number): boolean => inner === 1;

/** This thread's kernels when they hold all three arrays, else the default (staging) instance. */
function inThread(a: Float32Array, b: Float32Array, c: Int32Array) {
  const t = threadWasmKernels();
  return t !== null && t.holds(a) && t.holds(b) && t.holds(c) ? t : defaultWasmKernels();
}

/**
 * The wasm backend's kernels: `kernels()` under `WEFT_BACKEND=wasm` (the default where the host
 * runs WebAssembly SIMD).
 *
 * @example
 * import { wasmKernels } from "@weft/tensor";
 * wasmKernels.reluForward(x, out); // float32: the SIMD kernel; float64: the js one
 */
export const wasmKernels: Kernels = implement({
  // gemm may run on this thread's kernels with some operands staged (when that fits their scratch).
  gemm: { choose: (transA, transB, m, n, k, alpha, a, _aOff, lda, b, _bOff, ldb, _beta, c, _cOff, ldc, bias) => gemmKernelsFor(transA, transB, m, n, k, alpha, a, lda, b, ldb, c, ldc, bias) },
  columnSum: {},
  // In place only, on the engine's equally spaced gradient slots; otherwise the js loop (staging
  // W slots through scratch would copy more than the sum reads).
  sumRanks: {
    choose: (dst, srcs, _lo, hi) => {
      const t = threadWasmKernels();
      return t !== null && rankStride(t, dst, srcs, hi) >= 0 ? t : null;
    },
  },
  firstNonFinite: {},
  reluForward: {},
  reluBackward: {},
  leakyReluForward: {},
  leakyReluBackward: {},
  sigmoidForward: {},
  sigmoidBackward: {},
  tanhForward: {},
  tanhBackward: {},
  geluForward: {},
  geluBackward: {},
  mulAccumulate: {},
  addArrays: {},
  moveHeads: {},
  softmaxForward: { accepts: (_x, _out, _outer, _dim, inner) => innermost(inner) },
  softmaxBackward: { accepts: (_y, _g, _slot, _outer, _dim, inner) => innermost(inner) },
  crossEntropy: { float64: [5, 6] },
  crossEntropyProbs: { float64: [5, 6] },
  layerNormForward: { float64: [7, 8] },
  layerNormBackward: { float64: [4, 5] },
  batchNormMeanVar: { float64: [4, 5] },
  batchNormSums: { float64: [4, 5] },
  batchNormForward: { float64: [4, 5, 6] },
  batchNormBackwardSums: { float64: [5, 6, 7] },
  batchNormBackwardDx: { float64: [5, 6, 7, 8, 9] },
  // Convolution's unfold/fold and max pooling (issue 14):
  im2col: {},
  col2im: {},
  winogradWeights: {},
  winogradInput: {},
  winogradOutput: {},
  // The int32 winners too must lie in this thread's memory to run there (the default rule looks at float arrays only).
  maxPool2dForward: { choose: (x, _planes, _g, out, argmax) => inThread(x, out, argmax) },
  maxPool2dBackward: { choose: (gy, argmax, _planes, _g, gx) => inThread(gy, gx, argmax) },
  // In place in this thread's memory only (the engine's step arena), else the js kernels.
  lstmCellForward: { choose: (_r, _h, g, _go, _gs, cp, _co, _cs, c, _o, _s, h) => inPlace(g, cp, c, h) },
  lstmCellBackward: { choose: (_r, _h, g, _go, _gs, cp, _co, _cs, c, _o, _s, dho, _do, _ds, dh, dc, dg) => inPlace(g, cp, c, dho, dh, dc, dg) },
  gruCellForward: { choose: (_r, _h, gx, _xo, _xs, gh, _go, _gs, hp, _po, _ps, h) => inPlace(gx, gh, hp, h) },
  // The fused attention's row passes: in place only, like the cells (offsets into whole batches).
  attentionRowsForward: { float64: [7], choose: (e, _eo, _r, _k, _s, _f, _c, inv) => inPlace(e, inv, null, null) },
  attentionRowsBackward: { float64: [10], choose: (e, _eo, ds, _r, _k, _s, g, _go, out, _dv, inv) => inPlace(e, ds, g, out, inv) },
  gruCellBackward: { choose: (_r, _h, gx, _xo, _xs, gh, _go, _gs, hp, _po, _ps, dho, _do, _ds, dh, dgx, dgh) => inPlace(gx, gh, hp, dho, dh, dgx, dgh) },
});
