/**
 * Elementwise extremes (maximum, minimum, clamp) and the statistics over an axis (variance, std,
 * logsumexp, cumsum), with PyTorch's semantics and gradients; each backward under its forward.
 */
import { Tensor, fromOp, gradSlot, shapeSize, SAVES_NOTHING, type TensorData } from "../tensor.js";
import { allocFloat64, allocLike, allocSame } from "../arena.js";
import { broadcastIndex, broadcastShapes, normalizeAxis, splitAxis } from "../shape.js";
import { requireFloat } from "../dtype-check.js";
import { allocDtype, operand, resultDtype, type Operand } from "./promote.js";
import { reduction } from "./reduce.js";

function extremum(op: string, a: Operand, b: Operand, larger: boolean): Tensor<TensorData> {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new Error(`${op}: at least one operand must be a Tensor`);
  const dtype = resultDtype(a, b);
  const ta = operand(a, dtype, op, "input"), tb = operand(b, dtype, op, "other");
  const shape = broadcastShapes(ta.shape, tb.shape, op);
  const ma = broadcastIndex(ta.shape, shape), mb = broadcastIndex(tb.shape, shape);
  const n = shapeSize(shape);
  const out = allocDtype(dtype, n);
  const ad = ta.data, bd = tb.data;
  for (let i = 0; i < n; i++) {
    const av = ad[ma ? ma[i] : i], bv = bd[mb ? mb[i] : i];
    out[i] = av !== av || bv !== bv ? NaN : (larger ? av >= bv : av <= bv) ? av : bv; // NaN propagates, as torch.maximum
  }
  // torch's rule (derivatives.yaml): the winner gets g, a tie gives each g/2; with a NaN both get g.
  return fromOp<TensorData>(out, shape, [ta, tb], (g) => {
    const sa = gradSlot(ta), sb = gradSlot(tb);
    for (let i = 0; i < n; i++) {
      const av = ad[ma ? ma[i] : i], bv = bd[mb ? mb[i] : i];
      const tie = av === bv;
      if (sa && (tie || !(larger ? av < bv : av > bv))) sa[ma ? ma[i] : i] += tie ? 0.5 * g[i] : g[i];
      if (sb && (tie || !(larger ? bv < av : bv > av))) sb[mb ? mb[i] : i] += tie ? 0.5 * g[i] : g[i];
    }
  });
}

/**
 * Elementwise maximum with broadcasting (torch.maximum); tensors of any dtype or numbers, the
 * result promoted as promote.ts says. NaN propagates. Gradient to the larger; ties split g/2 each.
 */
export function maximum(a: Tensor, b: Tensor | number): Tensor;
export function maximum(a: number, b: Tensor): Tensor;
export function maximum(a: Operand, b: Operand): Tensor<TensorData>;
export function maximum(a: Operand, b: Operand): Tensor<TensorData> {
  return extremum("maximum", a, b, true);
}

/** Elementwise minimum with broadcasting (torch.minimum): {@link maximum} mirrored. */
export function minimum(a: Tensor, b: Tensor | number): Tensor;
export function minimum(a: number, b: Tensor): Tensor;
export function minimum(a: Operand, b: Operand): Tensor<TensorData>;
export function minimum(a: Operand, b: Operand): Tensor<TensorData> {
  return extremum("minimum", a, b, false);
}

/**
 * `min(max(x, min), max)` elementwise (torch.clamp): a bound that is null or undefined is absent
 * (not both). When min > max every element becomes max, as torch. Gradient 1 where
 * `min ≤ x ≤ max` (inclusive, as torch), 0 elsewhere. An int32 `x` with integer bounds stays int32.
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor;
export function clamp(x: Tensor<TensorData>, min?: number | null, max?: number | null): Tensor<TensorData>;
export function clamp(x: Tensor<TensorData>, min?: number | null, max?: number | null): Tensor<TensorData> {
  const hasMin = min !== undefined && min !== null, hasMax = max !== undefined && max !== null;
  if (!hasMin && !hasMax) throw new Error("clamp: give at least one of min and max (both are absent)");
  if ((hasMin && typeof min !== "number") || (hasMax && typeof max !== "number")) throw new Error(`clamp: min and max must be numbers, got ${typeof min} and ${typeof max}`);
  const dtype = resultDtype(x, hasMin ? min : 0, hasMax ? max : 0);
  // Bounds compared in the result's dtype (float32(0.1) for a float32 x), as torch's clamp kernel.
  const lo = hasMin ? operand(min, dtype, "clamp", "min").data[0] : -Infinity;
  const hi = hasMax ? operand(max, dtype, "clamp", "max").data[0] : Infinity;
  const n = x.size;
  const out = dtype === x.dtype ? allocSame(x.data, n) : allocDtype(dtype, n);
  const xd = x.data;
  if (lo !== lo || hi !== hi) out.fill(NaN);
  else {
    for (let i = 0; i < n; i++) {
      const v = xd[i];
      const r = v < lo ? lo : v;
      out[i] = r > hi ? hi : r;
    }
  }
  return fromOp<TensorData>(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < n; i++) if (xd[i] >= lo && xd[i] <= hi) s[i] += g[i];
  });
}

export interface VarianceOptions {
  /** Subtracted from the count in the divisor (Bessel's correction): 1 (default) unbiased, 0 the population variance. */
  correction?: number;
  /** Keep the reduced axis as size 1. Default false. */
  keepdim?: boolean;
}

/** Per output position: the mean, and the divisor max(0, n − correction) (torch's; 0 gives inf or NaN, as torch). */
function moments(op: string, x: Tensor, axis: number | undefined, options: VarianceOptions) {
  requireFloat(x, op, "input");
  const correction = options.correction ?? 1;
  if (typeof correction !== "number" || !Number.isFinite(correction) || correction < 0) {
    throw new Error(`${op}: correction must be a finite number ≥ 0 (1: divide by n − 1, 0: by n), got ${correction}`);
  }
  const r = reduction(x.shape, axis, options.keepdim ?? false, op);
  const { outer, dim, inner } = r;
  const xd = x.data;
  const means = allocFloat64(outer * inner);
  const m2 = allocFloat64(outer * inner);
  // Two passes in double precision (mean, then squared deviations): no cancellation as in E[x²] − E[x]².
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * dim * inner + j;
      let s = 0;
      for (let k = 0; k < dim; k++) s += xd[base + k * inner];
      const m = s / dim;
      let q = 0;
      for (let k = 0; k < dim; k++) {
        const d = xd[base + k * inner] - m;
        q += d * d;
      }
      means[o * inner + j] = m;
      m2[o * inner + j] = q;
    }
  }
  return { ...r, means, m2, divisor: Math.max(0, dim - correction) };
}

/**
 * Variance over `axis` (over all elements when omitted), torch.var: `Σ(x − mean)² / (n −
 * correction)`; n − correction ≤ 0 gives inf or NaN (as torch). `x: [...]` float.
 * Gradient `2(x − mean) / (n − correction)`. Also exported as `var`.
 *
 * @example variance(x, -1, { correction: 0, keepdim: true }) // LayerNorm's biased variance, [..., 1]
 */
export function variance(x: Tensor, axis?: number, options: VarianceOptions = {}): Tensor {
  const { outer, dim, inner, shape, means, m2, divisor } = moments("var", x, axis, options);
  const out = allocLike(x.data, outer * inner);
  for (let p = 0; p < out.length; p++) out[p] = m2[p] / divisor;
  const xd = x.data;
  return fromOp(out, shape, [x], (g) => {
    const s = gradSlot(x);
    if (!s) return;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const p = o * inner + j, base = o * dim * inner + j, c = (2 * g[p]) / divisor;
        for (let k = 0; k < dim; k++) s[base + k * inner] += c * (xd[base + k * inner] - means[p]);
      }
    }
  });
}

/**
 * Standard deviation, `sqrt(variance(x, axis, options))` (torch.std). Gradient
 * `(x − mean) / ((n − correction)·std)`, and 0 where std is 0 (as torch, instead of NaN).
 */
export function std(x: Tensor, axis?: number, options: VarianceOptions = {}): Tensor {
  const { outer, dim, inner, shape, means, m2, divisor } = moments("std", x, axis, options);
  const out = allocLike(x.data, outer * inner);
  for (let p = 0; p < out.length; p++) out[p] = Math.sqrt(m2[p] / divisor);
  const xd = x.data;
  return fromOp(out, shape, [x], (g) => {
    const s = gradSlot(x);
    if (!s) return;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const p = o * inner + j, base = o * dim * inner + j;
        if (out[p] === 0) continue;
        const c = g[p] / (divisor * out[p]);
        for (let k = 0; k < dim; k++) s[base + k * inner] += c * (xd[base + k * inner] - means[p]);
      }
    }
  }, [x], true);
}

/**
 * `log Σ exp(x)` along `axis` (torch.logsumexp), computed as `m + log Σ exp(x − m)` with m the
 * maximum, so it neither overflows (inputs of scale 1e4) nor loses the small terms; an infinite m
 * is not subtracted (all −inf gives −inf, a +inf gives +inf), as torch. Gradient `softmax(x)`.
 */
export function logsumexp(x: Tensor, axis: number, keepdim = false): Tensor {
  requireFloat(x, "logsumexp", "input");
  if (axis === undefined || axis === null) throw new Error("logsumexp: give an axis (as torch.logsumexp's dim)");
  const { outer, dim, inner, shape } = reduction(x.shape, axis, keepdim, "logsumexp");
  const out = allocLike(x.data, outer * inner);
  const xd = x.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * dim * inner + j;
      let m = -Infinity;
      for (let k = 0; k < dim; k++) if (xd[base + k * inner] > m) m = xd[base + k * inner];
      if (m === Infinity || m === -Infinity) m = 0;
      let s = 0;
      for (let k = 0; k < dim; k++) s += Math.exp(xd[base + k * inner] - m);
      out[o * inner + j] = Math.log(s) + m;
    }
  }
  return fromOp(out, shape, [x], (g) => {
    const s = gradSlot(x);
    if (!s) return;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const p = o * inner + j, base = o * dim * inner + j;
        for (let k = 0; k < dim; k++) s[base + k * inner] += g[p] * Math.exp(xd[base + k * inner] - out[p]);
      }
    }
  }, [x], true);
}

/**
 * Running sum along `axis` (torch.cumsum): `out[..., k, ...] = Σ_{i ≤ k} x[..., i, ...]`, same
 * shape; sums accumulate in a double. Float or int32 `x` (int32 wraps on overflow: no int64 here).
 * Gradient: the reversed running sum of g.
 */
export function cumsum<D extends TensorData>(x: Tensor<D>, axis: number): Tensor<D> {
  const ax = normalizeAxis(axis, x.ndim, "cumsum");
  const [outer, dim, inner] = splitAxis(x.shape, ax);
  const out = allocSame(x.data, x.size);
  const xd = x.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * dim * inner + j;
      let s = 0;
      for (let k = 0; k < dim; k++) {
        s += xd[base + k * inner];
        out[base + k * inner] = s;
      }
    }
  }
  return fromOp(out, x.shape, [x], (g) => {
    const sl = gradSlot(x);
    if (!sl) return;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * dim * inner + j;
        let s = 0;
        for (let k = dim - 1; k >= 0; k--) {
          s += g[base + k * inner];
          sl[base + k * inner] += s;
        }
      }
    }
  }, SAVES_NOTHING);
}
