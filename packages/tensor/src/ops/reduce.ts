/**
 * Reductions over all elements or one axis (keepdim as PyTorch): sum, mean, max, min, the
 * (values, indices) pairs of torch.max(x, dim) / torch.min(x, dim), argmax and argmin.
 */
import { Tensor, fromOp, gradSlot, formatShape, SAVES_NOTHING, type TensorData } from "../tensor.js";
import { allocInt32, allocLike } from "../arena.js";
import { normalizeAxis, splitAxis } from "../shape.js";
import { requireFloat } from "../dtype-check.js";

/** How a reduction walks its input: `[outer, dim, inner]` loops, the output shape, and the axis (−1: all elements). */
export interface Reduction {
  outer: number;
  dim: number;
  inner: number;
  ax: number;
  shape: number[];
}

/**
 * The loops and output shape of reducing `x` over `axis` (negative from the end), or over all
 * elements when `axis` is undefined or null (`[]`, or all ones with `keepdim`).
 */
export function reduction(shape: readonly number[], axis: number | undefined | null, keepdim: boolean, op: string): Reduction {
  if (axis === undefined || axis === null) {
    let n = 1;
    for (const d of shape) n *= d;
    return { outer: 1, dim: n, inner: 1, ax: -1, shape: keepdim ? shape.map(() => 1) : [] };
  }
  const ax = normalizeAxis(axis, shape.length, op);
  const [outer, dim, inner] = splitAxis(shape, ax);
  const out = [...shape];
  if (keepdim) out[ax] = 1;
  else out.splice(ax, 1);
  return { outer, dim, inner, ax, shape: out };
}

function sumOrMean(x: Tensor, axis: number | undefined, keepdim: boolean, mean: boolean): Tensor {
  const name = mean ? "mean" : "sum";
  requireFloat(x, name, "input");
  const { outer, dim, inner, ax, shape } = reduction(x.shape, axis, keepdim, name);
  const scale = mean ? 1 / dim : 1;
  const out = allocLike(x.data, outer * inner);
  const xd = x.data;
  if (ax < 0) {
    let s = 0; // all elements: accumulated in a double, one rounding
    for (let i = 0; i < dim; i++) s += xd[i];
    out[0] = s * scale;
  } else {
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < dim; k++) {
        const src = (o * dim + k) * inner;
        for (let j = 0; j < inner; j++) out[o * inner + j] += xd[src + j];
      }
    }
    if (mean) for (let i = 0; i < out.length; i++) out[i] *= scale;
  }
  return fromOp(out, shape, [x], (g) => {
    const slot = gradSlot(x);
    if (!slot) return;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < dim; k++) {
        const dst = (o * dim + k) * inner;
        for (let j = 0; j < inner; j++) slot[dst + j] += g[o * inner + j] * scale;
      }
    }
  }, SAVES_NOTHING);
}

/** Sum of all elements (scalar), or along `axis` (dropped unless `keepdim`). `x: [...]` float. */
export function sum(x: Tensor, axis?: number, keepdim = false): Tensor {
  return sumOrMean(x, axis, keepdim, false);
}

/** Mean of all elements (scalar), or along `axis` (dropped unless `keepdim`). `x: [...]` float. */
export function mean(x: Tensor, axis?: number, keepdim = false): Tensor {
  return sumOrMean(x, axis, keepdim, true);
}

/**
 * For each output position, the index (along `axis`, or flat over all elements) of the first
 * maximum (`larger`) or minimum. A NaN beats every number and the first NaN wins, as torch.max
 * and torch.argmax propagate NaN.
 */
function extremeIndices(x: Tensor<TensorData>, r: Reduction, larger: boolean, op: string): Int32Array {
  if (x.size === 0) throw new Error(`${op}: cannot reduce an empty tensor of shape ${formatShape(x.shape)}`);
  const { outer, dim, inner } = r;
  const xd = x.data;
  const idx = allocInt32(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * dim * inner + j;
      let best = 0;
      let bv = xd[base];
      if (bv === bv) {
        for (let k = 1; k < dim; k++) {
          const v = xd[base + k * inner];
          if (v !== v) { best = k; break; }
          if (larger ? v > bv : v < bv) { bv = v; best = k; }
        }
      }
      idx[o * inner + j] = best;
    }
  }
  return idx;
}

/** The extreme values and their indices; the gradient flows to the element each index names. */
function extreme(x: Tensor, axis: number | undefined, keepdim: boolean, larger: boolean, op: string): { values: Tensor; idx: Int32Array; shape: number[] } {
  requireFloat(x, op, "input");
  const r = reduction(x.shape, axis, keepdim, op);
  const idx = extremeIndices(x, r, larger, op);
  const { outer, dim, inner } = r;
  const out = allocLike(x.data, idx.length);
  const src = allocInt32(idx.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const p = o * inner + j;
      src[p] = (o * dim + idx[p]) * inner + j;
      out[p] = x.data[src[p]];
    }
  }
  const values = fromOp(out, r.shape, [x], (g) => {
    const slot = gradSlot(x);
    if (slot) for (let p = 0; p < src.length; p++) slot[src[p]] += g[p];
  }, SAVES_NOTHING);
  return { values, idx, shape: r.shape };
}

/**
 * Maximum of all elements (scalar), or along `axis` (dropped unless `keepdim`); `x` float. The
 * gradient flows to the first maximum only (torch.max(x, dim) does the same; torch's all-element
 * max spreads it over ties instead — ties are measure-zero for real data).
 */
export function max(x: Tensor, axis?: number, keepdim = false): Tensor {
  return extreme(x, axis, keepdim, true, "max").values;
}

/** Minimum of all elements, or along `axis`: {@link max} mirrored. */
export function min(x: Tensor, axis?: number, keepdim = false): Tensor {
  return extreme(x, axis, keepdim, false, "min").values;
}

/** torch.max(x, dim)'s pair: the maxima along `axis` and their indices (int32, first maximum), both of shape `x.shape` without `axis` (1 with `keepdim`). */
export function maxWithIndices(x: Tensor, axis: number, keepdim = false): { values: Tensor; indices: Tensor<Int32Array> } {
  if (axis === undefined || axis === null) throw new Error("maxWithIndices: give an axis (use max(x) for the maximum of all elements)");
  const { values, idx, shape } = extreme(x, axis, keepdim, true, "maxWithIndices");
  return { values, indices: new Tensor(idx, shape) };
}

/** torch.min(x, dim)'s pair: {@link maxWithIndices} mirrored. */
export function minWithIndices(x: Tensor, axis: number, keepdim = false): { values: Tensor; indices: Tensor<Int32Array> } {
  if (axis === undefined || axis === null) throw new Error("minWithIndices: give an axis (use min(x) for the minimum of all elements)");
  const { values, idx, shape } = extreme(x, axis, keepdim, false, "minWithIndices");
  return { values, indices: new Tensor(idx, shape) };
}

/** Indices of the first maxima along `axis` (the flat index over all elements when omitted); float or int32 `x`. */
export function argmax(x: Tensor<TensorData>, axis?: number): Int32Array {
  return extremeIndices(x, reduction(x.shape, axis, false, "argmax"), true, "argmax");
}

/** Indices of the first minima along `axis` (flat when omitted); float or int32 `x`. */
export function argmin(x: Tensor<TensorData>, axis?: number): Int32Array {
  return extremeIndices(x, reduction(x.shape, axis, false, "argmin"), false, "argmin");
}
