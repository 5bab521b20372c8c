/**
 * BatchNorm's loops over x: [n, c, inner] (per-channel vectors float64 [c]), the reference
 * kernels of @weft/norm's BatchNorm1d and SyncBatchNorm (moved here from their files, so the
 * wasm tests import them). Statistics are summed in float64, element by element in memory order.
 */
import type { FloatArray } from "../interface.js";

/** See Kernels.batchNormMeanVar: mean, then Σ(x − mean)², each divided by n·inner. */
export function batchNormMeanVar(x: FloatArray, n: number, c: number, inner: number, mean: Float64Array, variance: Float64Array): void {
  const count = n * inner;
  mean.fill(0);
  variance.fill(0);
  for (let i = 0, idx = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) for (let l = 0; l < inner; l++) mean[ch] += x[idx++];
  }
  for (let ch = 0; ch < c; ch++) mean[ch] /= count;
  for (let i = 0, idx = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const m = mean[ch];
      for (let l = 0; l < inner; l++) {
        const dv = x[idx++] - m;
        variance[ch] += dv * dv;
      }
    }
  }
  for (let ch = 0; ch < c; ch++) variance[ch] /= count;
}

/** See Kernels.batchNormSums: per (sample, channel), the sums over inner are added to sum and sumSq. */
export function batchNormSums(x: FloatArray, n: number, c: number, inner: number, sum: Float64Array, sumSq: Float64Array): void {
  for (let i = 0, idx = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      let s2 = 0;
      for (let l = 0; l < inner; l++, idx++) {
        const v = x[idx];
        s += v;
        s2 += v * v;
      }
      sum[ch] += s;
      sumSq[ch] += s2;
    }
  }
}

/** See Kernels.batchNormForward. */
export function batchNormForward(x: FloatArray, n: number, c: number, inner: number, mean: Float64Array, scale: Float64Array, shift: Float64Array, out: FloatArray): void {
  for (let i = 0, idx = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const m = mean[ch];
      const s = scale[ch];
      const b = shift[ch];
      for (let l = 0; l < inner; l++, idx++) out[idx] = (x[idx] - m) * s + b;
    }
  }
}

/** See Kernels.batchNormBackwardSums: per (sample, channel), the sums over inner are added to sums. */
export function batchNormBackwardSums(x: FloatArray, dy: FloatArray, n: number, c: number, inner: number, mean: Float64Array, invstd: Float64Array, sums: Float64Array): void {
  for (let i = 0, idx = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const m = mean[ch];
      const is = invstd[ch];
      let sdy = 0;
      let sdyx = 0;
      for (let l = 0; l < inner; l++, idx++) {
        sdy += dy[idx];
        sdyx += dy[idx] * (x[idx] - m) * is;
      }
      sums[ch] += sdy;
      sums[c + ch] += sdyx;
    }
  }
}

/** See Kernels.batchNormBackwardDx. */
export function batchNormBackwardDx(
  x: FloatArray, dy: FloatArray, n: number, c: number, inner: number, mean: Float64Array, invstd: Float64Array,
  k: Float64Array, meanDy: Float64Array, meanDyXhat: Float64Array, gx: FloatArray, assign = false,
): void {
  if (assign) gx.fill(0, 0, n * c * inner);
  for (let i = 0, idx = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const m = mean[ch];
      const is = invstd[ch];
      const kc = k[ch];
      const mdy = meanDy[ch];
      const mdyx = meanDyXhat[ch];
      for (let l = 0; l < inner; l++, idx++) gx[idx] += kc * (dy[idx] - mdy - (x[idx] - m) * is * mdyx);
    }
  }
}

/** See Kernels.batchNormBackwardDxEval. */
export function batchNormBackwardDxEval(dy: FloatArray, n: number, c: number, inner: number, k: Float64Array, gx: FloatArray): void {
  for (let i = 0, idx = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++) {
      const kc = k[ch];
      for (let l = 0; l < inner; l++, idx++) gx[idx] += kc * dy[idx];
    }
  }
}
