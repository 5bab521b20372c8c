/**
 * Cutting and joining along an axis: narrow, slice (with a step), split, chunk, cat, stack and
 * constant pad. Each is one box copy (kernels/strided.ts) forward, and the same box added back
 * in its backward. Float and int32 tensors alike; gradients flow through the float ones.
 */
import { Tensor, fromOp, gradSlot, formatShape, shapeSize, SAVES_NOTHING, type TensorData } from "../tensor.js";
import { allocSame } from "../arena.js";
import { normalizeAxis } from "../shape.js";
import { copyBox } from "../kernels/strided.js";
import { unsqueeze } from "./shape.js";

const zerosLike = (shape: readonly number[]): number[] => shape.map(() => 0);

/** Elements `start … start + length − 1` of `axis` (a copy). `narrow(x, 1, 2, 3)`: x[:, 2:5]. */
export function narrow<D extends TensorData>(x: Tensor<D>, axis: number, start: number, length: number): Tensor<D> {
  const ax = normalizeAxis(axis, x.ndim, "narrow");
  const n = x.shape[ax];
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(s) || !Number.isInteger(length) || s < 0 || length < 0 || s + length > n) {
    throw new Error(`narrow: start ${start} and length ${length} do not fit in dim ${axis} of size ${n} (shape ${formatShape(x.shape)})`);
  }
  return sliceOp(x, ax, s, length, 1);
}

/**
 * Python's `x[:, start:end:step]` along `axis`: `start` default 0, `end` default the size (both
 * may be negative, and are clamped to the dim as Python does), `step` ≥ 1 (a copy).
 */
export function slice<D extends TensorData>(x: Tensor<D>, axis: number, start = 0, end?: number, step = 1): Tensor<D> {
  const ax = normalizeAxis(axis, x.ndim, "slice");
  if (!Number.isInteger(step) || step < 1) throw new Error(`slice: step must be a positive integer, got ${step}`);
  const n = x.shape[ax];
  const clampIndex = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = clampIndex(start);
  const e = clampIndex(end ?? n);
  const length = e > s ? Math.ceil((e - s) / step) : 0;
  return sliceOp(x, ax, s, length, step);
}

function sliceOp<D extends TensorData>(x: Tensor<D>, ax: number, start: number, length: number, step: number): Tensor<D> {
  const shape = [...x.shape];
  shape[ax] = length;
  const out = allocSame(x.data, shapeSize(shape));
  const srcStart = zerosLike(shape);
  srcStart[ax] = start;
  const steps = step === 1 ? undefined : x.shape.map((_, i) => (i === ax ? step : 1));
  const origin = zerosLike(shape);
  copyBox(x.data, x.shape, srcStart, out, shape, origin, shape, false, steps);
  return fromOp(out, shape, [x], (g) => {
    const sl = gradSlot(x);
    if (sl) copyBox(g, shape, origin, sl, x.shape, srcStart, shape, true, undefined, steps);
  }, SAVES_NOTHING);
}

/**
 * Pieces along `axis`: of `size` each (the last may be shorter), or of the given sizes (which
 * must add up to the dim), as torch.split.
 */
export function split<D extends TensorData>(x: Tensor<D>, sizeOrSizes: number | readonly number[], axis = 0): Tensor<D>[] {
  const ax = normalizeAxis(axis, x.ndim, "split");
  const n = x.shape[ax];
  let sizes: number[];
  if (typeof sizeOrSizes === "number") {
    if (!Number.isInteger(sizeOrSizes) || sizeOrSizes < 1) throw new Error(`split: size must be a positive integer, got ${sizeOrSizes}`);
    sizes = [];
    for (let s = 0; s < n; s += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, n - s));
    if (n === 0) sizes.push(0);
  } else {
    sizes = [...sizeOrSizes];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || total !== n) {
      throw new Error(`split: sizes ${formatShape(sizes)} must be non-negative integers adding up to dim ${axis}'s size ${n}`);
    }
  }
  const out: Tensor<D>[] = [];
  let start = 0;
  for (const s of sizes) {
    out.push(sliceOp(x, ax, start, s, 1));
    start += s;
  }
  return out;
}

/** `chunks` pieces along `axis` of ⌈size / chunks⌉ each (fewer when that divides evenly sooner), as torch.chunk. */
export function chunk<D extends TensorData>(x: Tensor<D>, chunks: number, axis = 0): Tensor<D>[] {
  if (!Number.isInteger(chunks) || chunks < 1) throw new Error(`chunk: chunks must be a positive integer, got ${chunks}`);
  const ax = normalizeAxis(axis, x.ndim, "chunk");
  return split(x, Math.max(1, Math.ceil(x.shape[ax] / chunks)), ax);
}

/** Joins tensors along an existing `axis`; their shapes agree elsewhere and their dtypes match. */
export function cat<D extends TensorData>(tensors: readonly Tensor<D>[], axis = 0): Tensor<D> {
  if (!tensors || typeof tensors.length !== "number" || tensors.length === 0) throw new Error("cat: expected a non-empty array of tensors");
  const first = tensors[0];
  const ax = normalizeAxis(axis, first.ndim, "cat");
  let total = 0;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    if (t.dtype !== first.dtype) throw new Error(`cat: tensor ${i} is ${t.dtype} but tensor 0 is ${first.dtype}`);
    if (t.ndim !== first.ndim || t.shape.some((d, j) => j !== ax && d !== first.shape[j])) {
      throw new Error(`cat: tensor ${i} has shape ${formatShape(t.shape)}, which does not match tensor 0's ${formatShape(first.shape)} outside dim ${axis}`);
    }
    total += t.shape[ax];
  }
  const shape = [...first.shape];
  shape[ax] = total;
  const out = allocSame(first.data, shapeSize(shape));
  const starts: number[][] = [];
  let at = 0;
  for (const t of tensors) {
    const start = zerosLike(shape);
    start[ax] = at;
    starts.push(start);
    copyBox(t.data, t.shape, zerosLike(shape), out, shape, start, t.shape);
    at += t.shape[ax];
  }
  return fromOp(out, shape, tensors, (g) => {
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i];
      const s = gradSlot(t);
      if (s) copyBox(g, shape, starts[i], s, t.shape, zerosLike(shape), t.shape, true);
    }
  }, SAVES_NOTHING);
}

/** Joins same-shaped tensors along a new dim `axis` (`0 … ndim`). */
export function stack<D extends TensorData>(tensors: readonly Tensor<D>[], axis = 0): Tensor<D> {
  if (!tensors || typeof tensors.length !== "number" || tensors.length === 0) throw new Error("stack: expected a non-empty array of tensors");
  const first = tensors[0];
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((d, j) => d !== first.shape[j])) {
      throw new Error(`stack: tensor ${i} has shape ${formatShape(t.shape)} but tensor 0 has ${formatShape(first.shape)}; stack needs equal shapes`);
    }
  });
  const ax = normalizeAxis(axis, first.ndim + 1, "stack");
  return cat(tensors.map((t) => unsqueeze(t, ax)), ax);
}

/**
 * Constant padding, torch.nn.functional.pad's `"constant"` mode: `pad` lists (before, after)
 * pairs from the last dim backwards — `[left, right]` pads the last dim, `[left, right, top,
 * bottom]` the last two. Amounts are non-negative.
 */
export function pad<D extends TensorData>(x: Tensor<D>, pad: readonly number[], value = 0): Tensor<D> {
  if (!Array.isArray(pad) || pad.length % 2 !== 0 || pad.length / 2 > x.ndim) {
    throw new Error(`pad: expected an even number of amounts, at most 2 per dim of shape ${formatShape(x.shape)}, got ${JSON.stringify(pad)}`);
  }
  if (pad.some((p) => !Number.isInteger(p) || p < 0)) throw new Error(`pad: amounts must be non-negative integers, got ${JSON.stringify(pad)}`);
  const shape = [...x.shape];
  const start = zerosLike(shape);
  for (let i = 0; i < pad.length / 2; i++) {
    const d = x.ndim - 1 - i;
    start[d] = pad[2 * i];
    shape[d] += pad[2 * i] + pad[2 * i + 1];
  }
  const out = allocSame(x.data, shapeSize(shape));
  if (value !== 0) out.fill(value);
  copyBox(x.data, x.shape, zerosLike(shape), out, shape, start, x.shape);
  return fromOp(out, shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) copyBox(g, shape, start, s, x.shape, zerosLike(shape), x.shape, true);
  }, SAVES_NOTHING);
}
