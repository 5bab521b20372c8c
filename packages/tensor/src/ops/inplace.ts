/**
 * In-place ops (PyTorch's trailing underscore). Each bumps the tensor's version counter, so a
 * backward that needs the old values throws instead of using the new ones. A tensor that takes
 * part in autograd (requires grad, in grad mode) cannot be changed in place: run it inside
 * `noGrad()` (as an optimiser step does) or use the out-of-place op.
 */
import { Tensor, isGradEnabled, formatShape, type TensorData } from "../tensor.js";
import { broadcastIndex, broadcastShapes } from "../shape.js";
import { requireInt } from "../dtype-check.js";

function checkInPlace(t: Tensor<TensorData>, op: string): void {
  if (t.requiresGrad && isGradEnabled()) {
    throw new Error(
      `${op}: ${t.isLeaf ? "a leaf tensor that requires grad" : "a tensor that is part of the autograd graph"} cannot be modified in place — do it inside noGrad(), or use the out-of-place op`,
    );
  }
}

/** Index map from `t`'s flat indices to `other`'s, `other` broadcast to `t`'s shape (which must not grow). */
function mapInto(t: Tensor<TensorData>, other: Tensor<TensorData>, op: string): Int32Array | null {
  const shape = broadcastShapes(t.shape, other.shape, op);
  if (shape.length !== t.ndim || shape.some((d, i) => d !== t.shape[i])) {
    throw new Error(`${op}: the other operand's shape ${formatShape(other.shape)} does not broadcast to this tensor's ${formatShape(t.shape)}`);
  }
  return broadcastIndex(other.shape, t.shape);
}

function writeInt(t: Tensor<TensorData>, op: string, v: number): void {
  if (t.data instanceof Int32Array && !Number.isInteger(v)) throw new Error(`${op}: an int32 tensor cannot hold ${v}`);
}

export function fill_<T extends Tensor<TensorData>>(t: T, value: number): T {
  checkInPlace(t, "fill_");
  writeInt(t, "fill_", value);
  t.data.fill(value);
  t._bumpVersion();
  return t;
}

export function copy_<T extends Tensor<TensorData>>(t: T, src: Tensor<TensorData>): T {
  checkInPlace(t, "copy_");
  const map = mapInto(t, src, "copy_");
  const d = t.data, s = src.data;
  if (map === null) d.set(s as ArrayLike<number>);
  else for (let i = 0; i < d.length; i++) d[i] = s[map[i]];
  t._bumpVersion();
  return t;
}

/** t += alpha · other (other broadcast to t's shape, or a number). */
export function add_<T extends Tensor<TensorData>>(t: T, other: Tensor<TensorData> | number, alpha = 1): T {
  checkInPlace(t, "add_");
  const d = t.data;
  if (typeof other === "number") {
    writeInt(t, "add_", other * alpha);
    for (let i = 0; i < d.length; i++) d[i] += alpha * other;
  } else {
    const map = mapInto(t, other, "add_");
    const s = other.data;
    for (let i = 0; i < d.length; i++) d[i] += alpha * s[map ? map[i] : i];
  }
  t._bumpVersion();
  return t;
}

/** t *= other (other broadcast to t's shape, or a number). */
export function mul_<T extends Tensor<TensorData>>(t: T, other: Tensor<TensorData> | number): T {
  checkInPlace(t, "mul_");
  const d = t.data;
  if (typeof other === "number") {
    writeInt(t, "mul_", other);
    for (let i = 0; i < d.length; i++) d[i] *= other;
  } else {
    const map = mapInto(t, other, "mul_");
    const s = other.data;
    for (let i = 0; i < d.length; i++) d[i] *= s[map ? map[i] : i];
  }
  t._bumpVersion();
  return t;
}

/** t[mask] = value, `mask` an int32 0/1 tensor broadcast to t's shape. */
export function maskedFill_<T extends Tensor<TensorData>>(t: T, mask: Tensor<Int32Array>, value: number): T {
  requireInt(mask, "maskedFill_", "mask");
  checkInPlace(t, "maskedFill_");
  writeInt(t, "maskedFill_", value);
  const map = mapInto(t, mask, "maskedFill_");
  const d = t.data, m = mask.data;
  for (let i = 0; i < d.length; i++) if (m[map ? map[i] : i] !== 0) d[i] = value;
  t._bumpVersion();
  return t;
}
