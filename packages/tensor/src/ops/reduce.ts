/** Reductions: sum, mean and max over all elements or one axis (keepdim as PyTorch), argmax. */
import { Tensor, fromOp, gradSlot, formatShape } from "../tensor.js";
import { allocInt32, allocLike } from "../arena.js";
import { normalizeAxis, splitAxis } from "../shape.js";

function reducedShape(shape: readonly number[], axis: number, keepdim: boolean): number[] {
  const out = [...shape];
  if (keepdim) out[axis] = 1;
  else out.splice(axis, 1);
  return out;
}

function sumOrMean(x: Tensor, axis: number | undefined, keepdim: boolean, mean: boolean): Tensor {
  const name = mean ? "mean" : "sum";
  if (axis === undefined || axis === null) {
    let s = 0;
    for (let i = 0; i < x.size; i++) s += x.data[i];
    const scale = mean ? 1 / x.size : 1;
    const out = allocLike(x.data, 1);
    out[0] = s * scale;
    return fromOp(out, keepdim ? x.shape.map(() => 1) : [], [x], (g) => {
      const slot = gradSlot(x);
      if (slot) for (let i = 0; i < slot.length; i++) slot[i] += g[0] * scale;
    });
  }
  const ax = normalizeAxis(axis, x.ndim, name);
  const [outer, dim, inner] = splitAxis(x.shape, ax);
  const scale = mean ? 1 / dim : 1;
  const out = allocLike(x.data, outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < dim; k++) {
      const src = (o * dim + k) * inner;
      for (let j = 0; j < inner; j++) out[o * inner + j] += x.data[src + j];
    }
  }
  if (mean) for (let i = 0; i < out.length; i++) out[i] *= scale;
  return fromOp(out, reducedShape(x.shape, ax, keepdim), [x], (g) => {
    const slot = gradSlot(x);
    if (!slot) return;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < dim; k++) {
        const dst = (o * dim + k) * inner;
        for (let j = 0; j < inner; j++) slot[dst + j] += g[o * inner + j] * scale;
      }
    }
  });
}

/** Sum of all elements (scalar), or along `axis` (dropped unless `keepdim`). */
export function sum(x: Tensor, axis?: number, keepdim = false): Tensor {
  return sumOrMean(x, axis, keepdim, false);
}

/** Mean of all elements (scalar), or along `axis` (dropped unless `keepdim`). */
export function mean(x: Tensor, axis?: number, keepdim = false): Tensor {
  return sumOrMean(x, axis, keepdim, true);
}

/** Index of the first maximum along `axis` for each [outer, inner] position, flat. */
function argmaxIndices(x: Tensor, axis: number | undefined): { idx: Int32Array; outer: number; dim: number; inner: number; ax: number } {
  if (x.size === 0) throw new Error(`max/argmax: cannot reduce an empty tensor of shape ${formatShape(x.shape)}`);
  if (axis === undefined) {
    let best = 0;
    for (let i = 1; i < x.size; i++) if (x.data[i] > x.data[best] || (Number.isNaN(x.data[i]) && !Number.isNaN(x.data[best]))) best = i;
    return { idx: Int32Array.of(best), outer: 1, dim: x.size, inner: 1, ax: -1 };
  }
  const ax = normalizeAxis(axis, x.ndim, "argmax");
  const [outer, dim, inner] = splitAxis(x.shape, ax);
  const idx = allocInt32(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * dim * inner + j;
      let best = 0;
      let bv = x.data[base];
      for (let k = 1; k < dim; k++) {
        const v = x.data[base + k * inner];
        if (v > bv) { bv = v; best = k; }
      }
      idx[o * inner + j] = best;
    }
  }
  return { idx, outer, dim, inner, ax };
}

/** Indices of the maxima (flat index over all elements when `axis` is omitted). For accuracy. */
export function argmax(x: Tensor, axis?: number): Int32Array {
  return argmaxIndices(x, axis).idx;
}

/** Maximum of all elements, or along `axis`; the gradient flows to the first maximum. */
export function max(x: Tensor, axis?: number, keepdim = false): Tensor {
  const { idx, outer, dim, inner, ax } = argmaxIndices(x, axis);
  const out = allocLike(x.data, idx.length);
  const src = allocInt32(idx.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const p = o * inner + j;
      src[p] = ax < 0 ? idx[0] : o * dim * inner + idx[p] * inner + j;
      out[p] = x.data[src[p]];
    }
  }
  const shape = ax < 0 ? (keepdim ? x.shape.map(() => 1) : []) : reducedShape(x.shape, ax, keepdim);
  return fromOp(out, shape, [x], (g) => {
    const slot = gradSlot(x);
    if (slot) for (let p = 0; p < src.length; p++) slot[src[p]] += g[p];
  });
}
