/**
 * Sums and checks over whole arrays: linear's bias gradient, the parallel engine's all-reduce of
 * a gradient range and its finiteness check (moved here from @weft/parallel's worker).
 */
import type { FloatArray } from "../interface.js";

/** See Kernels.columnSum. */
export function columnSum(a: FloatArray, rows: number, cols: number, dst: FloatArray): void {
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let j = 0; j < cols; j++) dst[j] += a[o + j];
  }
}

/**
 * See Kernels.sumRanks: accumulated in double and rounded to float32 once — the bits of the wasm
 * `sum` kernel. W = 2 without the inner loop (the same arithmetic, 2.2× faster).
 */
export function sumRanks(dst: Float32Array, srcs: readonly Float32Array[], lo: number, hi: number): void {
  if (srcs.length === 2) {
    const a = srcs[0], b = srcs[1];
    for (let i = lo; i < hi; i++) dst[i] = (0 + a[i]) + b[i];
    return;
  }
  const w = srcs.length;
  for (let i = lo; i < hi; i++) {
    let acc = 0;
    for (let r = 0; r < w; r++) acc += srcs[r][i];
    dst[i] = acc;
  }
}

/** See Kernels.firstNonFinite. v·0 is NaN exactly for ±∞ and NaN: one multiply-add per element, then a search only on failure. */
export function firstNonFinite(x: FloatArray): number {
  let probe = 0;
  for (let i = 0; i < x.length; i++) probe += x[i] * 0;
  if (probe !== 0) for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return i;
  return -1;
}
