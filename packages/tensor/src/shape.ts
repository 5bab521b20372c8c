/** Broadcasting (NumPy/PyTorch rules) and the index maps that apply it. */
import { formatShape, shapeSize, type FloatArray } from "./tensor.js";
import { allocInt32 } from "./arena.js";

/** The broadcast shape of `a` and `b`, or an error naming both shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op = "op"): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast (dimension ${i} of the result: ${da} vs ${db}); trailing dimensions must be equal or 1`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each flat index of `outShape`, the flat index of the element of `inShape` broadcast to it.
 * Null when no map is needed (same shape). Used off the hot path: layers use fused ops.
 */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array | null {
  if (inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i])) return null;
  const n = outShape.length;
  const strides = new Array<number>(n).fill(0);
  let s = 1;
  for (let i = inShape.length - 1; i >= 0; i--) {
    const o = n - inShape.length + i;
    strides[o] = inShape[i] === 1 ? 0 : s;
    s *= inShape[i];
  }
  const total = shapeSize(outShape);
  const map = allocInt32(total);
  const counter = new Array<number>(n).fill(0);
  let idx = 0;
  for (let flat = 0; flat < total; flat++) {
    map[flat] = idx;
    for (let d = n - 1; d >= 0; d--) {
      counter[d]++;
      idx += strides[d];
      if (counter[d] < outShape[d]) break;
      idx -= strides[d] * counter[d];
      counter[d] = 0;
    }
  }
  return map;
}

/** Adds `grad` (over the broadcast shape) into `slot` (over the input shape) through the index map. */
export function accumulateBroadcast(slot: FloatArray, grad: FloatArray, map: Int32Array | null, scale?: FloatArray, scaleMap?: Int32Array | null): void {
  const n = grad.length;
  if (scale === undefined) {
    if (map === null) for (let i = 0; i < n; i++) slot[i] += grad[i];
    else for (let i = 0; i < n; i++) slot[map[i]] += grad[i];
    return;
  }
  for (let i = 0; i < n; i++) {
    const s = scale[scaleMap ? scaleMap[i] : i];
    slot[map ? map[i] : i] += grad[i] * s;
  }
}

/** Resolves an axis (negative counts from the end) against `ndim`, or throws naming the op. */
export function normalizeAxis(axis: number, ndim: number, op: string): number {
  const a = axis < 0 ? axis + ndim : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(ndim, 1)) {
    throw new Error(`${op}: axis ${axis} is out of range for a tensor with ${ndim} dimension(s)`);
  }
  return a;
}

/** Splits a shape around `axis` into [outer, dim, inner] so reductions are three nested loops. */
export function splitAxis(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape.length === 0 ? 1 : shape[axis], inner];
}
