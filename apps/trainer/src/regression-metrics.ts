/**
 * Regression figures in the targets' own units: the model predicts standardised targets
 * (`(t − mean) / std`, the training split's statistics per target column), so predictions are
 * mapped back (`p · std + mean`) before they are compared with the raw targets.
 */
import type { Standardization } from "./data/index.js";

export interface RegressionMetrics {
  /** √(mean of (p − t)²) over every target value, in the targets' units. */
  rmse: number;
  /** Mean of |p − t|. */
  mae: number;
  /**
   * The coefficient of determination, 1 − SS_res / SS_tot per target column, averaged over the
   * columns (scikit-learn's r2_score, multioutput="uniform_average"; a constant column counts 1
   * when predicted exactly, else 0, as its force_finite does).
   */
  r2: number;
}

/** Maps standardised predictions `[rows, width]` back to the targets' units, in place. */
export function unstandardizeTargets(pred: Float32Array, stats: Standardization): Float32Array {
  const mean = stats.mean as number[];
  const std = stats.std as number[];
  const w = mean.length;
  for (let i = 0; i < pred.length; i++) pred[i] = pred[i]! * std[i % w]! + mean[i % w]!;
  return pred;
}

/** rmse, mae and r2 of predictions against targets, both `[rows, width]` in the targets' units. */
export function regressionMetrics(pred: Float32Array, target: Float32Array, width: number): RegressionMetrics {
  const rows = target.length / width;
  let se = 0;
  let ae = 0;
  const sum = new Float64Array(width);
  for (let i = 0; i < target.length; i++) {
    const d = pred[i]! - target[i]!;
    se += d * d;
    ae += Math.abs(d);
    sum[i % width] += target[i]!;
  }
  const res = new Float64Array(width);
  const tot = new Float64Array(width);
  for (let i = 0; i < target.length; i++) {
    const j = i % width;
    res[j] += (pred[i]! - target[i]!) ** 2;
    tot[j] += (target[i]! - sum[j]! / rows) ** 2;
  }
  let r2 = 0;
  for (let j = 0; j < width; j++) r2 += tot[j]! > 0 ? 1 - res[j]! / tot[j]! : res[j] === 0 ? 1 : 0;
  return { rmse: Math.sqrt(se / target.length), mae: ae / target.length, r2: r2 / width };
}
