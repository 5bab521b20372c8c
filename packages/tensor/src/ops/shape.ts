/**
 * Shape ops: the views that share storage (reshape, flatten, unflatten, squeeze, unsqueeze) and
 * the copies (transpose, permute, expand, clone, dtype conversion). Tensors stay contiguous, so
 * a permutation is a copy; its backward is the inverse permutation, added into the slot.
 * Every op here takes float and int32 tensors alike; gradients flow through the float ones.
 */
import { Tensor, fromOp, gradSlot, formatShape, shapeSize, SAVES_NOTHING, type DType, type TensorData } from "../tensor.js";
import { allocFloat32, allocFloat64, allocInt32, allocSame } from "../arena.js";
import { broadcastIndex, normalizeAxis } from "../shape.js";
import { permuteInto } from "../kernels/strided.js";

/** A view over the same storage with another shape; the gradient passes through unchanged. */
function viewAs<D extends TensorData>(x: Tensor<D>, shape: readonly number[]): Tensor<D> {
  return fromOp(x.data, shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < g.length; i++) s[i] += g[i];
  }, SAVES_NOTHING)._shareVersion(x);
}

/** Same data, new shape (one dimension may be -1). Shares storage with the input (PyTorch's `view`). */
export function reshape<D extends TensorData>(x: Tensor<D>, shape: readonly number[]): Tensor<D> {
  const dims = [...shape];
  const free = dims.indexOf(-1);
  if (free >= 0 && dims.indexOf(-1, free + 1) >= 0) throw new Error(`reshape: only one dimension can be -1, got ${formatShape(shape)}`);
  if (free >= 0) {
    const known = shapeSize(dims.filter((_, i) => i !== free));
    dims[free] = known === 0 ? 0 : x.size / known;
  }
  if (!dims.every((d) => Number.isInteger(d) && d >= 0) || shapeSize(dims) !== x.size) {
    throw new Error(`reshape: shape ${formatShape(shape)} is invalid for a tensor of ${x.size} elements (shape ${formatShape(x.shape)})`);
  }
  return viewAs(x, dims);
}

/** Dims `startDim … endDim` (both included, negative from the end) merged into one; a view. */
export function flatten<D extends TensorData>(x: Tensor<D>, startDim = 0, endDim = -1): Tensor<D> {
  if (x.ndim === 0) return viewAs(x, [1]);
  const s = normalizeAxis(startDim, x.ndim, "flatten");
  const e = normalizeAxis(endDim, x.ndim, "flatten");
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${formatShape(x.shape)}`);
  const shape = [...x.shape.slice(0, s), shapeSize(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return viewAs(x, shape);
}

/** Dim `dim` split into `sizes` (one may be -1); a view. `unflatten(x, 1, [2, 3])`: [N, 6] → [N, 2, 3]. */
export function unflatten<D extends TensorData>(x: Tensor<D>, dim: number, sizes: readonly number[]): Tensor<D> {
  const d = normalizeAxis(dim, x.ndim, "unflatten");
  const sub = [...sizes];
  const free = sub.indexOf(-1);
  if (free >= 0) sub[free] = x.shape[d] / shapeSize(sub.filter((_, i) => i !== free));
  if (!sub.every((v) => Number.isInteger(v) && v >= 0) || shapeSize(sub) !== x.shape[d]) {
    throw new Error(`unflatten: sizes ${formatShape(sizes)} do not multiply to dim ${dim}'s ${x.shape[d]} (shape ${formatShape(x.shape)})`);
  }
  return viewAs(x, [...x.shape.slice(0, d), ...sub, ...x.shape.slice(d + 1)]);
}

/** Removes dim `dim` if it has size 1 (every size-1 dim when omitted); a view. */
export function squeeze<D extends TensorData>(x: Tensor<D>, dim?: number): Tensor<D> {
  if (dim === undefined) return viewAs(x, x.shape.filter((v) => v !== 1));
  const d = normalizeAxis(dim, x.ndim, "squeeze");
  if (x.ndim === 0 || x.shape[d] !== 1) return viewAs(x, x.shape);
  return viewAs(x, [...x.shape.slice(0, d), ...x.shape.slice(d + 1)]);
}

/** Inserts a dim of size 1 at `dim` (`0 … ndim`, negative from the end as PyTorch); a view. */
export function unsqueeze<D extends TensorData>(x: Tensor<D>, dim: number): Tensor<D> {
  const d = normalizeAxis(dim, x.ndim + 1, "unsqueeze");
  return viewAs(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** Output dim `i` is input dim `dims[i]` (a copy). `permute(x, [0, 2, 1, 3])`: [B, T, H, D] → [B, H, T, D]. */
export function permute<D extends TensorData>(x: Tensor<D>, dims: readonly number[]): Tensor<D> {
  if (!Array.isArray(dims) || dims.length !== x.ndim) {
    throw new Error(`permute: dims ${JSON.stringify(dims)} must list each of the ${x.ndim} dims of shape ${formatShape(x.shape)} once`);
  }
  const perm = dims.map((d) => normalizeAxis(d, x.ndim, "permute"));
  if (new Set(perm).size !== perm.length) throw new Error(`permute: dims ${JSON.stringify(dims)} repeat a dim`);
  const shape = perm.map((p) => x.shape[p]);
  const out = allocSame(x.data, x.size);
  permuteInto(x.data, x.shape, perm, out);
  const inverse = new Array<number>(perm.length);
  for (let i = 0; i < perm.length; i++) inverse[perm[i]] = i;
  return fromOp(out, shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) permuteInto(g, shape, inverse, s, true);
  }, SAVES_NOTHING);
}

/**
 * `transpose(x)`: the 2-D transpose; `transpose(x, dim0, dim1)`: dims `dim0` and `dim1` swapped
 * (negative from the end), any rank. A copy: tensors stay contiguous.
 */
export function transpose<D extends TensorData>(x: Tensor<D>, dim0?: number, dim1?: number): Tensor<D> {
  if (dim0 === undefined && dim1 === undefined) {
    if (x.ndim !== 2) throw new Error(`transpose: the input must be 2-D without dims (got shape ${formatShape(x.shape)}); give transpose(x, dim0, dim1)`);
    return permute(x, [1, 0]);
  }
  if (dim0 === undefined || dim1 === undefined) throw new Error("transpose: give both dim0 and dim1");
  const a = normalizeAxis(dim0, x.ndim, "transpose");
  const b = normalizeAxis(dim1, x.ndim, "transpose");
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/**
 * Broadcasts `x` to `shape` (a copy; -1 keeps a dim; new leading dims allowed), as torch's
 * `expand`; the gradient sums back over the broadcast dims.
 */
export function expand<D extends TensorData>(x: Tensor<D>, shape: readonly number[]): Tensor<D> {
  const lead = shape.length - x.ndim;
  if (lead < 0) throw new Error(`expand: shape ${formatShape(shape)} has fewer dims than the input ${formatShape(x.shape)}`);
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead] : d));
  for (let i = 0; i < x.ndim; i++) {
    const from = x.shape[i], to = target[i + lead];
    if (from !== to && from !== 1) throw new Error(`expand: cannot expand shape ${formatShape(x.shape)} to ${formatShape(shape)}: only size-1 dims can grow (dim ${i}: ${from} → ${to})`);
  }
  const map = broadcastIndex(x.shape, target);
  const n = shapeSize(target);
  const out = allocSame(x.data, n);
  const xd = x.data;
  for (let i = 0; i < n; i++) out[i] = xd[map ? map[i] : i];
  return fromOp(out, target, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < n; i++) s[map ? map[i] : i] += g[i];
  }, SAVES_NOTHING);
}

/** A copy with its own storage, in the graph (the gradient passes through). */
export function clone<D extends TensorData>(x: Tensor<D>): Tensor<D> {
  const out = allocSame(x.data, x.size);
  out.set(x.data as ArrayLike<number>);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < g.length; i++) s[i] += g[i];
  }, SAVES_NOTHING);
}

/**
 * A copy as `dtype` (x itself when it already is). Float to int32 truncates toward zero (as
 * PyTorch's `.int()`); between float32 and float64 the gradient flows; int results have none.
 */
export function toDtype(x: Tensor<TensorData>, dtype: DType): Tensor<TensorData> {
  if (dtype !== "float32" && dtype !== "float64" && dtype !== "int32") throw new Error(`to: unknown dtype ${JSON.stringify(dtype)} (float32, float64 or int32)`);
  if (x.dtype === dtype) return x;
  const n = x.size;
  const src = x.data;
  if (dtype === "int32") {
    const out = allocInt32(n);
    for (let i = 0; i < n; i++) {
      const v = src[i];
      if (!Number.isFinite(v) || v >= 2147483648 || v < -2147483648) throw new Error(`to("int32"): element ${i} (${v}) does not fit in int32`);
      out[i] = Math.trunc(v);
    }
    return new Tensor(out, x.shape);
  }
  const out = dtype === "float64" ? allocFloat64(n) : allocFloat32(n);
  for (let i = 0; i < n; i++) out[i] = src[i];
  if (x.data instanceof Int32Array) return new Tensor(out, x.shape);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < n; i++) s[i] += g[i];
  }, SAVES_NOTHING);
}
