/** Elementwise binary ops with NumPy/PyTorch broadcasting; each backward rule sits under its forward. */
import { Tensor, fromOp, gradSlot, SAVES_NOTHING, type FloatArray } from "../tensor.js";
import { requireFloat } from "../dtype-check.js";
import { broadcastIndex, broadcastShapes } from "../shape.js";
import { allocFloat32, allocFloat64 } from "../arena.js";

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
  // float64 wins, as in type promotion: gradient checks run the graph in float64.
  const out = a.dtype === "float64" || b.dtype === "float64" ? allocFloat64(n) : allocFloat32(n);
  return { a, b, shape, n, mapA, mapB, out };
}

/** `a + b` with broadcasting. */
export function add(x: Operand, y: Operand): Tensor {
  const { a, b, shape, n, mapA, mapB, out } = prepare("add", x, y);
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
  const { a, b, shape, n, mapA, mapB, out } = prepare("sub", x, y);
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
