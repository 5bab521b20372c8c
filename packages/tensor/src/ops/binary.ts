/** Elementwise binary ops with NumPy/PyTorch broadcasting; each backward rule sits under its forward. */
import { Tensor, fromOp, freshGradSlot, gradSlot, SAVES_NOTHING, type FloatArray } from "../tensor.js";
import { requireFloat } from "../dtype-check.js";
import { broadcastIndex, broadcastShapes } from "../shape.js";
import { allocEmptyLike, allocFloat32, allocFloat64 } from "../arena.js";
import { kernels } from "../kernels/backend.js";

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
  /** Whether a, b have the broadcast shape itself. */
  sameA: boolean;
  sameB: boolean;
  /** The broadcast index maps (null: same shape), filled by {@link withMaps} for the generic loops. */
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
  const same = (s: readonly number[]): boolean => s.length === shape.length && s.every((d, i) => d === shape[i]);
  const n = shape.reduce((p, d) => p * d, 1);
  // float64 wins, as in type promotion: gradient checks run the graph in float64. Every op's
  // loop writes all n outputs, so they skip the arena's zero-fill.
  const out = allocEmptyLike(a.dtype === "float64" || b.dtype === "float64" ? F64 : F32, n);
  return { a, b, shape, n, sameA: same(a.shape), sameB: same(b.shape), mapA: null, mapB: null, out };
}

/** p with its broadcast index maps, for the generic loops (the fast paths need none). */
function withMaps(p: Prepared): Prepared {
  if (!p.sameA) p.mapA = broadcastIndex(p.a.shape, p.shape);
  if (!p.sameB) p.mapB = broadcastIndex(p.b.shape, p.shape);
  return p;
}

const F32 = new Float32Array(0), F64 = new Float64Array(0);

/**
 * Same-shape operands of one dtype (a residual connection): the addArrays kernel, forward and
 * for each gradient's `+=` — SIMD under the wasm backend, same bits as the generic loops below,
 * which take every dtype mix and a broadcast map and ran the char-LM's residual adds at ≈ 15 ns
 * an element.
 */
function sameShape(p: Prepared): boolean {
  return p.sameA && p.sameB && p.a.data.constructor === p.out.constructor && p.b.data.constructor === p.out.constructor;
}

/** a ± b of same-shape operands, forward and backward on addArrays. */
function addSubSame(p: Prepared, sign: number): Tensor {
  const { a, b, shape, out } = p;
  kernels().addArrays(a.data as FloatArray, b.data as FloatArray, out, sign);
  return fromOp(out, shape, [a, b], (g) => {
    // A's gradient is g itself: copied, not added to zeros, when this is its first producer.
    const fa = freshGradSlot(a);
    if (fa) fa.set(g);
    else {
      const sa = gradSlot(a);
      if (sa) kernels().addArrays(sa, g, sa, 1);
    }
    const sb = gradSlot(b);
    if (sb) kernels().addArrays(sb, g, sb, sign);
  }, SAVES_NOTHING);
}

/**
 * The number of leading rows when `inner` broadcasts along the leading dims of `outer` only
 * (its shape, less leading 1s, is outer's trailing dims: a position embedding added to a batch
 * of [B, T, E]), same dtype; else 0.
 */
function rowBroadcast(outer: Tensor, inner: Tensor, p: Prepared): number {
  if (outer.data.constructor !== p.out.constructor || inner.data.constructor !== p.out.constructor) return 0;
  let lead = 0;
  while (lead < inner.shape.length && inner.shape[lead] === 1) lead++;
  const tail = inner.shape.length - lead;
  for (let i = 0; i < tail; i++) if (inner.shape[lead + i] !== p.shape[p.shape.length - tail + i]) return 0;
  return inner.size === 0 ? 0 : p.n / inner.size;
}

/**
 * outer + inner with inner repeated over `rows` leading rows: a row loop forward; the backward
 * adds g into outer's gradient (addArrays) and g's column sums into inner's (columnSum, row by
 * row in the slot's precision: the generic loop's order and bits).
 */
function addRows(outer: Tensor, inner: Tensor, rows: number, p: Prepared): Tensor {
  const { shape, out } = p;
  const od = outer.data as FloatArray, id = inner.data as FloatArray, m = inner.size;
  for (let r = 0, o = 0; r < rows; r++, o += m) for (let j = 0; j < m; j++) out[o + j] = od[o + j] + id[j];
  return fromOp(out, shape, [outer, inner], (g) => {
    const so = gradSlot(outer);
    if (so) kernels().addArrays(so, g, so, 1);
    const si = gradSlot(inner);
    if (si) kernels().columnSum(g, rows, m, si);
  }, SAVES_NOTHING);
}

/** `a + b` with broadcasting. */
export function add(x: Operand, y: Operand): Tensor {
  const p = prepare("add", x, y);
  if (sameShape(p)) return addSubSame(p, 1);
  const rowsB = p.sameA ? rowBroadcast(p.a, p.b, p) : 0;
  if (rowsB > 0) return addRows(p.a, p.b, rowsB, p);
  const rowsA = p.sameB ? rowBroadcast(p.b, p.a, p) : 0;
  if (rowsA > 0) return addRows(p.b, p.a, rowsA, p);
  const { a, b, shape, n, mapA, mapB, out } = withMaps(p);
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
  if (sameShape(p)) return addSubSame(p, -1);
  const { a, b, shape, n, mapA, mapB, out } = withMaps(p);
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
  const { a, b, shape, n, mapA, mapB, out } = withMaps(prepare("mul", x, y));
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
  const { a, b, shape, n, mapA, mapB, out } = withMaps(prepare("div", x, y));
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
