/**
 * Choosing elements by a mask: maskedFill, where, and the triangular masks tril/triu. Masks and
 * conditions are int32 0/1 tensors (any non-zero counts as true), as the comparison ops return.
 * Float and int32 data alike; gradients flow to the float inputs, through the unmasked elements.
 */
import { Tensor, fromOp, gradSlot, formatShape, shapeSize, SAVES_NOTHING, type FloatArray, type TensorData } from "../tensor.js";
import { allocSame } from "../arena.js";
import { broadcastIndex, broadcastShapes } from "../shape.js";
import { requireInt } from "../dtype-check.js";
import { allocDtype, operand, resultDtype, type Operand } from "./promote.js";

/** Whether `inner`, less its leading 1s, is exactly the trailing dims of `outer`. */
function isTrailing(inner: readonly number[], outer: readonly number[]): boolean {
  let start = 0;
  while (start < inner.length && inner[start] === 1) start++;
  const k = inner.length - start;
  if (k > outer.length) return false;
  for (let i = 0; i < k; i++) if (inner[start + i] !== outer[outer.length - k + i]) return false;
  return true;
}

/**
 * `x` with `value` where `mask` is non-zero, torch.masked_fill: `mask` (int32 0/1) broadcasts
 * to x's shape, which the output keeps; the gradient flows where the mask is 0. An int32 `x`
 * takes only an integer `value`.
 *
 * @example maskedFill(scores, causal, -1e9) // scores: [B, H, T, T], causal: int32 [T, T]
 */
export function maskedFill<D extends TensorData>(x: Tensor<D>, mask: Tensor<Int32Array>, value: number): Tensor<D> {
  requireInt(mask, "maskedFill", "mask");
  if (typeof value !== "number") throw new Error(`maskedFill: value must be a number, got ${typeof value}`);
  if (x.data instanceof Int32Array && !Number.isInteger(value)) throw new Error(`maskedFill: an int32 input cannot hold ${value} — convert the input with .float()`);
  const shape = broadcastShapes(x.shape, mask.shape, "maskedFill");
  if (shape.length !== x.ndim || shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(`maskedFill: the mask's shape ${formatShape(mask.shape)} must broadcast to the input's ${formatShape(x.shape)} (the output keeps the input's shape)`);
  }
  // A mask over x's trailing dims (attention's [T, S] over [B, H, T, S]) repeats every
  // mask.size elements: index it modulo, without a full-size index map.
  const ms = mask.size;
  const map = ms > 0 && isTrailing(mask.shape, x.shape) ? null : broadcastIndex(mask.shape, x.shape);
  const n = x.size;
  const out = allocSame(x.data, n);
  const xd = x.data, m = mask.data;
  for (let i = 0; i < n; i++) out[i] = m[map ? map[i] : i % ms] !== 0 ? value : xd[i];
  return fromOp(out, x.shape, [x, mask], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < n; i++) if (m[map ? map[i] : i % ms] === 0) s[i] += g[i];
  }, [mask]);
}

/**
 * `a` where `cond` is non-zero, else `b` (torch.where): `cond` int32 0/1; `a`, `b` tensors or
 * numbers; all three broadcast. The result is float64 if either is, else float32 if either is
 * float, else int32. Gradients: `a` gets g where cond holds, `b` where it does not.
 *
 * @example where(gt(x, 0), x, mul(x, 0.1)) // leaky ReLU
 */
export function where(cond: Tensor<Int32Array>, a: Tensor, b: Tensor | number): Tensor;
export function where(cond: Tensor<Int32Array>, a: number, b: Tensor): Tensor;
export function where(cond: Tensor<Int32Array>, a: Operand, b: Operand): Tensor<TensorData>;
export function where(cond: Tensor<Int32Array>, a: Operand, b: Operand): Tensor<TensorData> {
  requireInt(cond, "where", "condition");
  const dtype = resultDtype(a, b);
  const ta = operand(a, dtype, "where", "input"), tb = operand(b, dtype, "where", "other");
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, "where"), tb.shape, "where");
  const mc = broadcastIndex(cond.shape, shape), ma = broadcastIndex(ta.shape, shape), mb = broadcastIndex(tb.shape, shape);
  const n = shapeSize(shape);
  const out = allocDtype(dtype, n);
  const c = cond.data, ad = ta.data, bd = tb.data;
  for (let i = 0; i < n; i++) out[i] = c[mc ? mc[i] : i] !== 0 ? ad[ma ? ma[i] : i] : bd[mb ? mb[i] : i];
  return fromOp<TensorData>(out, shape, [cond, ta, tb], (g) => {
    const sa = gradSlot(ta);
    if (sa) for (let i = 0; i < n; i++) if (c[mc ? mc[i] : i] !== 0) sa[ma ? ma[i] : i] += g[i];
    const sb = gradSlot(tb);
    if (sb) for (let i = 0; i < n; i++) if (c[mc ? mc[i] : i] === 0) sb[mb ? mb[i] : i] += g[i];
  }, [cond]);
}

function triangle<D extends TensorData>(op: string, x: Tensor<D>, diagonal: number, lower: boolean): Tensor<D> {
  if (x.ndim < 2) throw new Error(`${op}: the input must have at least 2 dims (the last two are the matrix), got shape ${formatShape(x.shape)}`);
  if (!Number.isInteger(diagonal)) throw new Error(`${op}: diagonal must be an integer, got ${diagonal}`);
  const rows = x.shape[x.ndim - 2], cols = x.shape[x.ndim - 1];
  const batch = rows * cols === 0 ? 0 : x.size / (rows * cols);
  const out = allocSame(x.data, x.size);
  const xd = x.data;
  // Row i keeps columns j with j − i ≤ diagonal (tril) or j − i ≥ diagonal (triu): one contiguous run.
  const run = (i: number): [number, number] => lower ? [0, Math.min(cols, Math.max(0, i + diagonal + 1))] : [Math.min(cols, Math.max(0, i + diagonal)), cols];
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rows; i++) {
      const [j0, j1] = run(i);
      const base = (b * rows + i) * cols;
      for (let j = j0; j < j1; j++) out[base + j] = xd[base + j];
    }
  }
  return fromOp(out, x.shape, [x], (g: FloatArray) => {
    const s = gradSlot(x);
    if (!s) return;
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < rows; i++) {
        const [j0, j1] = run(i);
        const base = (b * rows + i) * cols;
        for (let j = j0; j < j1; j++) s[base + j] += g[base + j];
      }
    }
  }, SAVES_NOTHING);
}

/**
 * The lower triangle of the last two dims (`x: [..., M, N]`), zeros elsewhere: keeps `j − i ≤
 * diagonal` (0: the main diagonal and below; 1 also the first superdiagonal; −1 strictly below).
 */
export function tril<D extends TensorData>(x: Tensor<D>, diagonal = 0): Tensor<D> {
  return triangle("tril", x, diagonal, true);
}

/** The upper triangle of the last two dims (`x: [..., M, N]`), zeros elsewhere: keeps `j − i ≥ diagonal`. */
export function triu<D extends TensorData>(x: Tensor<D>, diagonal = 0): Tensor<D> {
  return triangle("triu", x, diagonal, false);
}
