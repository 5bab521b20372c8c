/**
 * LayerNorm's row loops, the reference kernels of @weft/norm's LayerNorm (moved here from its
 * layer-norm.ts, so the wasm tests import them): statistics per row in float64, two passes.
 */
import type { FloatArray } from "../interface.js";

/** See Kernels.layerNormForward. */
export function layerNormForward(
  x: FloatArray, rows: number, d: number, eps: number, weight: FloatArray | null, bias: FloatArray | null,
  out: FloatArray, mean: Float64Array, invstd: Float64Array,
): void {
  for (let r = 0, o = 0; r < rows; r++, o += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[o + j];
    const m = s / d;
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const dv = x[o + j] - m;
      ss += dv * dv;
    }
    const is = 1 / Math.sqrt(ss / d + eps);
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
    let sdy = 0;
    let sdyx = 0;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - m) * is;
      const gy = dy[o + j];
      if (gw) gw[j] += gy * xh;
      if (gb) gb[j] += gy;
      const dyh = gy * (weight ? weight[j] : 1);
      sdy += dyh;
      sdyx += dyh * xh;
    }
    if (!gx) continue;
    const meanDy = sdy / d;
    const meanDyXhat = sdyx / d;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - m) * is;
      gx[o + j] += is * (dy[o + j] * (weight ? weight[j] : 1) - meanDy - xh * meanDyXhat);
    }
  }
}
