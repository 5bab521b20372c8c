/**
 * Indexing by int32 index tensors, as PyTorch: indexSelect, gather, scatterAdd, embedding. The
 * forward turns the indices into flat offsets once (checking every value against the valid range);
 * the backward scatter-adds through the same offsets, so repeated indices accumulate. The op keeps
 * those offsets itself rather than the index tensor, so changing the indices in place after the
 * op cannot corrupt its gradient (nothing to detect). Indices are never negative, as torch's
 * index_select, gather and embedding refuse them too. Float and int32 `x` alike; gradients flow
 * to float inputs only.
 */
import { Tensor, fromOp, gradSlot, formatShape, shapeSize, SAVES_NOTHING, type TensorData } from "../tensor.js";
import { allocInt32, allocSame } from "../arena.js";
import { normalizeAxis, splitAxis } from "../shape.js";
import { requireFloat, requireInt } from "../dtype-check.js";

/** Row-major strides of a shape. */
function rowStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** Throws unless every value of `index` lies in `[0, size)`: names the op, the value, where it is and the range. */
function checkRange(op: string, index: Int32Array, size: number, what: string): void {
  for (let p = 0; p < index.length; p++) {
    const v = index[p];
    if (v < 0 || v >= size) {
      const valid = size === 0 ? "it is empty, so no index is valid" : `valid indices are 0 … ${size - 1}`;
      throw new Error(`${op}: index ${v} (element ${p} of the index) is out of range for ${what} of size ${size}; ${valid}`);
    }
  }
}

/**
 * Flat offsets, in a row-major tensor of shape `shape`, of the elements at each coordinate of the
 * leading box `box` (`box[d] ≤ shape[d]`); when `index` is given, the coordinate along `axis` is
 * `index` at that position instead (torch.gather's addressing).
 */
function boxOffsets(shape: readonly number[], box: readonly number[], axis: number, index: Int32Array | null): Int32Array {
  const nd = box.length;
  const strides = rowStrides(shape);
  const n = shapeSize(box);
  const out = allocInt32(n);
  const coord = new Array<number>(nd).fill(0);
  const skip = index === null ? -1 : axis; // the dim whose coordinate comes from the index
  let base = 0;
  for (let p = 0; p < n; p++) {
    out[p] = index === null ? base : base + index[p] * strides[axis];
    for (let d = nd - 1; d >= 0; d--) {
      coord[d]++;
      if (d !== skip) base += strides[d];
      if (coord[d] < box[d]) break;
      if (d !== skip) base -= strides[d] * coord[d];
      coord[d] = 0;
    }
  }
  return out;
}

/** Checks that `index` may address `shape` along `axis` as gather and scatterAdd do; returns its offsets. */
function gatherOffsets(op: string, shape: readonly number[], ax: number, index: Tensor<Int32Array>, arg: string): Int32Array {
  if (index.ndim !== shape.length) {
    throw new Error(`${op}: the index must have as many dims as ${arg} (${shape.length}), got shape ${formatShape(index.shape)} for ${arg} ${formatShape(shape)}`);
  }
  for (let d = 0; d < shape.length; d++) {
    if (d !== ax && index.shape[d] > shape[d]) {
      throw new Error(`${op}: index shape ${formatShape(index.shape)} is larger than ${arg}'s ${formatShape(shape)} in dim ${d} (only dim ${ax} may be)`);
    }
  }
  const s = shape.length === 0 ? [1] : shape;
  checkRange(op, index.data, s[ax], `dim ${ax} of ${arg} ${formatShape(shape)}`);
  return boxOffsets(s, index.ndim === 0 ? [1] : index.shape, ax, index.data);
}

/**
 * The slices of `x` at `index` along `axis`, as torch.index_select: `x: [..., n, ...]`,
 * `index: [k]` (int32, values in `0 … n−1`, repeats allowed) → `[..., k, ...]`. The gradient
 * scatter-adds back (repeated indices accumulate).
 *
 * @example indexSelect(x, 0, tensor([2, 0, 2], [3], { dtype: "int32" })) // rows 2, 0, 2 of x
 */
export function indexSelect<D extends TensorData>(x: Tensor<D>, axis: number, index: Tensor<Int32Array>): Tensor<D> {
  requireInt(index, "indexSelect", "index");
  if (x.ndim === 0) throw new Error("indexSelect: the input must have at least one dim (it is a scalar)");
  if (index.ndim > 1) throw new Error(`indexSelect: the index must be 1-D, got shape ${formatShape(index.shape)} — flatten it, or use gather`);
  const ax = normalizeAxis(axis, x.ndim, "indexSelect");
  const [outer, dim, inner] = splitAxis(x.shape, ax);
  checkRange("indexSelect", index.data, dim, `dim ${ax} of the input ${formatShape(x.shape)}`);
  const k = index.size;
  const idx = allocInt32(k);
  idx.set(index.data);
  const shape = [...x.shape];
  shape[ax] = k;
  const out = allocSame(x.data, outer * k * inner);
  const xd = x.data;
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < k; r++) {
      const src = (o * dim + idx[r]) * inner, dst = (o * k + r) * inner;
      for (let j = 0; j < inner; j++) out[dst + j] = xd[src + j];
    }
  }
  return fromOp(out, shape, [x, index], (g) => {
    const s = gradSlot(x);
    if (!s) return;
    for (let o = 0; o < outer; o++) {
      for (let r = 0; r < k; r++) {
        const src = (o * dim + idx[r]) * inner, dst = (o * k + r) * inner;
        for (let j = 0; j < inner; j++) s[src + j] += g[dst + j];
      }
    }
  }, SAVES_NOTHING);
}

/**
 * torch.gather: `out[i][j][k] = x[index[i][j][k]][j][k]` for axis 0, `x[i][index[i][j][k]][k]`
 * for axis 1, …. `index` is int32 with x's number of dims and no larger than x outside `axis`;
 * the output has index's shape. The gradient scatter-adds back into x.
 *
 * @example gather(logProbs, 1, targets.unsqueeze(1)) // [N, C], [N, 1] → [N, 1]
 */
export function gather<D extends TensorData>(x: Tensor<D>, axis: number, index: Tensor<Int32Array>): Tensor<D> {
  requireInt(index, "gather", "index");
  const ax = normalizeAxis(axis, x.ndim, "gather");
  const src = gatherOffsets("gather", x.shape, ax, index, "the input");
  const n = src.length;
  const out = allocSame(x.data, n);
  const xd = x.data;
  for (let p = 0; p < n; p++) out[p] = xd[src[p]];
  return fromOp(out, index.shape, [x, index], (g) => {
    const s = gradSlot(x);
    if (s) for (let p = 0; p < n; p++) s[src[p]] += g[p];
  }, SAVES_NOTHING);
}

/**
 * Out-of-place torch.scatter_add: a copy of `x` with `src[i][j][k]` added at
 * `[index[i][j][k]][j][k]` (axis 0), `[i][index[i][j][k]][k]` (axis 1), …. `index` (int32) has
 * the dims of x and src, is no larger than src anywhere and than x outside `axis`; only src's
 * elements at index's coordinates are used. `x` and `src` share a dtype. Gradients: dx = g,
 * dsrc = g gathered at the same places (0 where src is unused).
 */
export function scatterAdd<D extends TensorData>(x: Tensor<D>, axis: number, index: Tensor<Int32Array>, src: Tensor<D>): Tensor<D> {
  requireInt(index, "scatterAdd", "index");
  if (!(src instanceof Tensor) || src.dtype !== x.dtype) {
    throw new Error(`scatterAdd: argument "src" must be a tensor of the input's dtype (${x.dtype}), got ${src instanceof Tensor ? src.dtype : typeof src}`);
  }
  const ax = normalizeAxis(axis, x.ndim, "scatterAdd");
  if (src.ndim !== x.ndim || index.shape.some((d, i) => d > src.shape[i])) {
    throw new Error(`scatterAdd: src ${formatShape(src.shape)} must have the input's ${x.ndim} dims and be at least as large as the index ${formatShape(index.shape)} in each`);
  }
  const dst = gatherOffsets("scatterAdd", x.shape, ax, index, "the input");
  const from = boxOffsets(src.ndim === 0 ? [1] : src.shape, index.ndim === 0 ? [1] : index.shape, -1, null);
  const out = allocSame(x.data, x.size);
  out.set(x.data as ArrayLike<number>);
  const sd = src.data;
  for (let p = 0; p < dst.length; p++) out[dst[p]] += sd[from[p]];
  return fromOp(out, x.shape, [x, src, index], (g) => {
    const sx = gradSlot(x);
    if (sx) for (let i = 0; i < g.length; i++) sx[i] += g[i];
    const ss = gradSlot(src);
    if (ss) for (let p = 0; p < dst.length; p++) ss[from[p]] += g[dst[p]];
  }, SAVES_NOTHING);
}

export interface EmbeddingOptions {
  /**
   * A row that gets no gradient (its values are still read), as torch's `padding_idx`; negative
   * counts from the end (`-1` is row V − 1), in `−V … V−1`. Default: none.
   */
  paddingIdx?: number | null;
}

/**
 * Row lookup, torch.nn.functional.embedding: `indices` (int32, any shape, values in `0 … V−1`),
 * `weight: [V, D]` (float) → `[...indices.shape, D]`, `out[..., :] = weight[indices[...], :]`.
 * The gradient of a row used several times is the sum; row `paddingIdx` gets none.
 *
 * @example embedding(tokens, table) // tokens: int32 [B, T], table: [V, D] → [B, T, D]
 */
export function embedding(indices: Tensor<Int32Array>, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  requireInt(indices, "embedding", "indices");
  requireFloat(weight, "embedding", "weight");
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be 2-D [numEmbeddings, embeddingDim], got shape ${formatShape(weight.shape)}`);
  const [V, D] = weight.shape;
  let pad = -1;
  const p = options.paddingIdx;
  if (p !== undefined && p !== null) {
    if (!Number.isInteger(p) || p < -V || p >= V) {
      throw new Error(`embedding: paddingIdx ${p} must be an integer in ${-V} … ${V - 1} (the weight has ${V} rows)`);
    }
    pad = p < 0 ? p + V : p;
  }
  checkRange("embedding", indices.data, V, `the ${V} rows of weight ${formatShape(weight.shape)}`);
  const n = indices.size;
  const idx = allocInt32(n);
  idx.set(indices.data);
  const out = allocSame(weight.data, n * D);
  const w = weight.data;
  for (let r = 0; r < n; r++) {
    const src = idx[r] * D, dst = r * D;
    for (let j = 0; j < D; j++) out[dst + j] = w[src + j];
  }
  return fromOp(out, [...indices.shape, D], [weight, indices], (g) => {
    const s = gradSlot(weight);
    if (!s) return;
    for (let r = 0; r < n; r++) {
      if (idx[r] === pad) continue;
      const dst = idx[r] * D, src = r * D;
      for (let j = 0; j < D; j++) s[dst + j] += g[src + j];
    }
  }, SAVES_NOTHING);
}
