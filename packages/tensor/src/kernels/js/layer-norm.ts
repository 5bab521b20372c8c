/**
 * LayerNorm's row loops, the reference kernels of @weft/norm's LayerNorm (moved here from its
 * layer-norm.ts, so the wasm tests import them): statistics per row in float64, two passes.
 *
 * Each row sum runs as four partial sums — element j into partial j mod 4 for the leading
 * 4·⌊d/4⌋ elements, the rest into partial 0, then (p0 + p1) + (p2 + p3) — which the wasm kernel
 * computes in two f64x2 lanes pairs with the same bits (a single sequential sum was a chain of
 * dependent adds, ≈ 4% of the char-LM's step in wasm).
 */
import type { FloatArray } from "../interface.js";

/** See Kernels.layerNormForward. */
export function layerNormForward(
  x: FloatArray, rows: number, d: number, eps: number, weight: FloatArray | null, bias: FloatArray | null,
  out: FloatArray, mean: Float64Array, invstd: Float64Array,
): void {
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    const d4 = d & ~3;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = o; j < o + d4; j += 4) { s0 += x[j]; s1 += x[j + 1]; s2 += x[j + 2]; s3 += x[j + 3]; }
    for (let j = o + d4; j < o + d; j++) s0 += x[j];
    const m = (s0 + s1 + (s2 + s3)) / d;
    s0 = 0; s1 = 0; s2 = 0; s3 = 0;
    for (let j = o; j < o + d4; j += 4) {
      const v0 = x[j] - m, v1 = x[j + 1] - m, v2 = x[j + 2] - m, v3 = x[j + 3] - m;
      s0 += v0 * v0; s1 += v1 * v1; s2 += v2 * v2; s3 += v3 * v3;
    }
    for (let j = o + d4; j < o + d; j++) { const v = x[j] - m; s0 += v * v; }
    const is = 1 / Math.sqrt((s0 + s1 + (s2 + s3)) / d + eps);
    mean[r] = m;
    invstd[r] = is;
    for (let j = 0; j < d; j++) out[o + j] = (x[o + j] - m) * is * (weight ? weight[j] : 1) + (bias ? bias[j] : 0);
  }
}

/**
 * See Kernels.layerNormBackward. With dŷ = dy·γ and x̂ = (x − μ)·invstd:
 * dx = invstd·(dŷ − mean(dŷ) − x̂·mean(dŷ·x̂)); dγ += Σ_rows dy·x̂; dβ += Σ_rows dy.
 */
export function layerNormBackward(
  x: FloatArray, dy: FloatArray, rows: number, d: number, mean: Float64Array, invstd: Float64Array,
  weight: FloatArray | null, gx: FloatArray | null, gw: FloatArray | null, gb: FloatArray | null,
): void {
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    const m = mean[r];
    const is = invstd[r];
    // Σ dŷ and Σ dŷ·x̂ as four partial sums each (see the file's comment).
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    const d4 = d & ~3;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - m) * is;
      const gy = dy[o + j];
      if (gw) gw[j] += gy * xh;
      if (gb) gb[j] += gy;
      const dyh = gy * (weight ? weight[j] : 1);
      const p = dyh * xh;
      switch (j < d4 ? j & 3 : 0) {
        case 0: a0 += dyh; b0 += p; break;
        case 1: a1 += dyh; b1 += p; break;
        case 2: a2 += dyh; b2 += p; break;
        default: a3 += dyh; b3 += p;
      }
    }
    if (!gx) continue;
    const meanDy = (a0 + a1 + (a2 + a3)) / d;
    const meanDyXhat = (b0 + b1 + (b2 + b3)) / d;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - m) * is;
      gx[o + j] += is * (dy[o + j] * (weight ? weight[j] : 1) - meanDy - xh * meanDyXhat);
    }
  }
}
