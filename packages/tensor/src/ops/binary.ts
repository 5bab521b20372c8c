/** Elementwise binary ops with NumPy/PyTorch broadcasting; each backward rule sits under its forward. */
import { Tensor, fromOp, gradSlot, SAVES_NOTHING, type FloatArray } from "../tensor.js";
import { requireFloat } from "../dtype-check.js";
import { broadcastIndex, broadcastShapes } from "../shape.js";
import { allocEmptyLike, allocFloat32, allocFloat64 } from "../arena.js";

type Operand = Tensor | number;

function asTensor(x: Operand, like: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  const data = like.dtype === "float64" ? allocFloat64(1) : allocFloat32(1);
  data[0] = x;
  return new Tensor(data, []);
}

interface Prepared {
  a: Tensor;
  b: Tensor;
  shape: number[];
  n: number;
  mapA: Int32Array | null;
  mapB: Int32Array | null;
  out: FloatArray;
}

function prepare(name: string, x: Operand, y: Operand): Prepared {
  if (!(x instanceof Tensor) && !(y instanceof Tensor)) throw new Error(`${name}: at least one operand must be a Tensor`);
  if (x instanceof Tensor) requireFloat(x, name, "input");
  if (y instanceof Tensor) requireFloat(y, name, "other");
  const a = asTensor(x, (x instanceof Tensor ? x : y) as Tensor);
  const b = asTensor(y, a);
  const shape = broadcastShapes(a.shape, b.shape, name);
  const mapA = broadcastIndex(a.shape, shape);
  const mapB = broadcastIndex(b.shape, shape);
  const n = shape.reduce((p, d) => p * d, 1);
  // float64 wins, as in type promotion: gradient checks run the graph in float64. Every op's
  // loop writes all n outputs, so they skip the arena's zero-fill.
  const out = allocEmptyLike(a.dtype === "float64" || b.dtype === "float64" ? F64 : F32, n);
  return { a, b, shape, n, mapA, mapB, out };
}

const F32 = new Float32Array(0), F64 = new Float64Array(0);

/**
 * Same-shape float32 operands (a residual connection): monomorphic loops that only ever see
 * Float32Arrays. The generic loops below take every dtype mix and a broadcast map, and ran the
 * char-LM's residual adds at ≈ 15 ns an element (forward + backward ≈ 10% of its step); these
 * run at memory speed. Same arithmetic, same bits.
 */
function sameShape32(p: Prepared): boolean {
  return p.mapA === null && p.mapB === null && p.a.data instanceof Float32Array && p.b.data instanceof Float32Array && p.out instanceof Float32Array;
}
function addInto32(a: Float32Array, b: Float32Array, out: Float32Array, n: number, sign: number): void {
  if (sign > 0) for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
  else for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
}
/** d += g (sign 1) or d −= g (sign −1), float32 gradients (the slot of a float32 operand is float32). */
function accumulate32(d: Float32Array, g: Float32Array, n: number, sign: number): void {
  if (sign > 0) for (let i = 0; i < n; i++) d[i] += g[i];
  else for (let i = 0; i < n; i++) d[i] -= g[i];
}

/** a ± b of same-shape float32 operands, forward and backward on the loops above. */
function addSub32(p: Prepared, sign: number): Tensor {
  const { a, b, shape, n } = p;
  const out = p.out as Float32Array;
  addInto32(a.data as Float32Array, b.data as Float32Array, out, n, sign);
  return fromOp(out, shape, [a, b], (g) => {
    const sa = gradSlot(a);
    if (sa) accumulate32(sa as Float32Array, g as Float32Array, n, 1);
    const sb = gradSlot(b);
    if (sb) accumulate32(sb as Float32Array, g as Float32Array, n, sign);
  }, SAVES_NOTHING);
}

/** `a + b` with broadcasting. */
export function add(x: Operand, y: Operand): Tensor {
  const p = prepare("add", x, y);
  if (sameShape32(p)) return addSub32(p, 1);
  const { a, b, shape, n, mapA, mapB, out } = p;
  const ad = a.data, bd = b.data;
  for (let i = 0; i < n; i++) out[i] = ad[mapA ? mapA[i] : i] + bd[mapB ? mapB[i] : i];
  return fromOp(out, shape, [a, b], (g) => {
    const sa = gradSlot(a);
    if (sa) for (let i = 0; i < n; i++) sa[mapA ? mapA[i] : i] += g[i];
    const sb = gradSlot(b);
    if (sb) for (let i = 0; i < n; i++) sb[mapB ? mapB[i] : i] += g[i];
  }, SAVES_NOTHING);
}

/** `a - b` with broadcasting. */
export function sub(x: Operand, y: Operand): Tensor {
  const p = prepare("sub", x, y);
  if (sameShape32(p)) return addSub32(p, -1);
  const { a, b, shape, n, mapA, mapB, out } = p;
  const ad = a.data, bd = b.data;
  for (let i = 0; i < n; i++) out[i] = ad[mapA ? mapA[i] : i] - bd[mapB ? mapB[i] : i];
  return fromOp(out, shape, [a, b], (g) => {
    const sa = gradSlot(a);
    if (sa) for (let i = 0; i < n; i++) sa[mapA ? mapA[i] : i] += g[i];
    const sb = gradSlot(b);
    if (sb) for (let i = 0; i < n; i++) sb[mapB ? mapB[i] : i] -= g[i];
  }, SAVES_NOTHING);
}

/** `a * b` elementwise with broadcasting. */
export function mul(x: Operand, y: Operand): Tensor {
  const { a, b, shape, n, mapA, mapB, out } = prepare("mul", x, y);
  const ad = a.data, bd = b.data;
  for (let i = 0; i < n; i++) out[i] = ad[mapA ? mapA[i] : i] * bd[mapB ? mapB[i] : i];
  return fromOp(out, shape, [a, b], (g) => {
    const sa = gradSlot(a);
    if (sa) for (let i = 0; i < n; i++) sa[mapA ? mapA[i] : i] += g[i] * bd[mapB ? mapB[i] : i];
    const sb = gradSlot(b);
    if (sb) for (let i = 0; i < n; i++) sb[mapB ? mapB[i] : i] += g[i] * ad[mapA ? mapA[i] : i];
  });
}

/** `a / b` elementwise with broadcasting. */
export function div(x: Operand, y: Operand): Tensor {
  const { a, b, shape, n, mapA, mapB, out } = prepare("div", x, y);
  const ad = a.data, bd = b.data;
  for (let i = 0; i < n; i++) out[i] = ad[mapA ? mapA[i] : i] / bd[mapB ? mapB[i] : i];
  return fromOp(out, shape, [a, b], (g) => {
    const sa = gradSlot(a);
    if (sa) for (let i = 0; i < n; i++) sa[mapA ? mapA[i] : i] += g[i] / bd[mapB ? mapB[i] : i];
    const sb = gradSlot(b);
    if (sb) {
      for (let i = 0; i < n; i++) {
        const bv = bd[mapB ? mapB[i] : i];
        sb[mapB ? mapB[i] : i] -= (g[i] * ad[mapA ? mapA[i] : i]) / (bv * bv);
      }
    }
  });
}
