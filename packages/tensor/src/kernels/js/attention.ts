/**
 * The row passes of the fused scaled dot-product attention (ops/attention.ts) without a mask or
 * with the causal one: the portable kernels (either precision). float32's exp is a table and a
 * cubic, Math.exp's float32 result or one ulp off; float64 uses Math.exp.
 */
import type { FloatArray } from "../interface.js";

/** 1.5·2⁵²: adding and subtracting it rounds a double to an integer (ties to even). */
const ROUND = 6755399441055744;
const POW2_BIAS = 160;
/** 2ⁿ for n = −160 … 100: below exp(−104) ≈ 7e-46 a float32 is 0, and the arguments are ≤ 0. */
const POW2 = /* @__PURE__ */ (() => {
  const t = new Float64Array(POW2_BIAS + 101);
  for (let i = 0; i < t.length; i++) t[i] = Math.pow(2, i - POW2_BIAS);
  return t;
})();
/** 2^(i/32), i = 0 … 31. */
const POW2_32THS = /* @__PURE__ */ (() => Float64Array.from({ length: 32 }, (_, i) => Math.pow(2, i / 32)))();
const LOG2E_32 = 32 / Math.LN2, LN2_32 = Math.LN2 / 32;

/**
 * s[j] = exp(s[j] − shift) over [o, o + n); returns the sum (in float64). For float32 the exp is
 * inlined: m = round(x·32/ln 2), r = x − m·ln 2/32 (|r| ≤ 0.011), exp(x) = 2^⌊m/32⌋ · 2^((m mod 32)/32)
 * · (1 + r + r²/2 + r³/6) from two tables, in float64. Stored as float32 it is Math.exp's result
 * rounded, or one ulp off for 0.11% of arguments in [−100, 0] (1e6 samples) — fewer than
 * Cephes expf's polynomial (0.83%) — and ≈ 4× faster than Math.exp in V8 (≈ 5 vs 22 ns an element
 * on the 2-vCPU dev machine). float64 (gradient checks) uses Math.exp.
 */
export function expRow(s: FloatArray, o: number, n: number, shift: number): number {
  let sum = 0;
  if (s instanceof Float32Array) {
    for (let j = o; j < o + n; j++) {
      const x = s[j] - shift;
      let e = 0;
      if (x >= -104) {
        const t = x * LOG2E_32 + ROUND - ROUND;
        const r = x - t * LN2_32, m = t | 0;
        e = (1 + r + r * r * (0.5 + r * (1 / 6))) * POW2_32THS[m & 31] * POW2[(m >> 5) + POW2_BIAS];
      } else if (x !== x) e = x; // NaN stays NaN; −∞ and underflow give 0
      s[j] = e;
      sum += e;
    }
  } else {
    for (let j = o; j < o + n; j++) { const e = Math.exp(s[j] - shift); s[j] = e; sum += e; }
  }
  return sum;
}

/** See Kernels.attentionRowsForward (here: E = exp(s) unshifted when the row's max lies within ±60). */
export function attentionRowsForward(
  e: FloatArray, eo: number, rows: number, keys: number, stride: number, first: number, causal: boolean, inv: Float64Array, invOff: number,
): void {
  for (let i = 0; i < rows; i++) {
    const o = eo + i * stride;
    const vis = causal ? Math.min(first + i + 1, keys) : keys;
    let max = -Infinity;
    for (let j = o; j < o + vis; j++) { const v = e[j]; if (v > max || v !== v) max = v; }
    if (max === -Infinity) {
      e.fill(0, o, o + keys);
      inv[invOff + i] = 0;
      continue;
    }
    // A max within ±60 needs no shift (exp stays within [1e-26, 1e26] for what counts): the
    // unshifted row, as this kernel always computed it for such rows.
    inv[invOff + i] = 1 / expRow(e, o, vis, max <= 60 && max >= -60 ? 0 : max);
    if (vis < keys) e.fill(0, o + vis, o + keys);
  }
}

/** See Kernels.attentionRowsBackward. */
export function attentionRowsBackward(
  e: FloatArray, eo: number, ds: FloatArray, rows: number, keys: number, stride: number,
  g: FloatArray, go: number, out: FloatArray, dv: number, inv: Float64Array, invOff: number,
): void {
  for (let i = 0; i < rows; i++) {
    let dot = 0;
    for (let c = go + i * dv; c < go + (i + 1) * dv; c++) dot += g[c] * out[c];
    const f = inv[invOff + i], o = i * stride, oe = eo + i * stride;
    for (let j = 0; j < keys; j++) ds[o + j] = f * e[oe + j] * (ds[o + j] - dot);
  }
}
