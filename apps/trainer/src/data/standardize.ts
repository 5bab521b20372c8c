import type { Dataset } from "./dataset.js";

/**
 * The input standardisation, recorded in a run's config.json to apply at predict time: one
 * scalar mean and std for every feature (images), or one per feature column (tabular data).
 */
export interface Standardization {
  mean: number | number[];
  std: number | number[];
}

export interface StandardizeOptions {
  /**
   * One mean and std per feature column (tabular data, as sklearn's StandardScaler) instead of
   * one scalar over every value (images). Default false.
   */
  perFeature?: boolean;
}

/**
 * Standardises inputs with the mean and standard deviation of `train` — ONE scalar over every
 * feature by default (as the usual MNIST recipe, `Normalize((0.1307,), (0.3081,))`, does), or
 * one per feature column with `perFeature` (tabular data: a 0–1 ratio beside an income of 5e4
 * would otherwise be flattened to nothing) — computed from the training set only, then applies
 * `x ← (x − mean) / std` in place to `train` and to each of `others` (validation, test): never
 * fitting on held-out data.
 *
 * The std is the population one (divide by N, as numpy's and sklearn's StandardScaler's),
 * so the standardised training set has std exactly 1; with N in the millions it differs
 * from torch's unbiased `x.std()` by < 1e-6. Sums are float64, two passes (mean, then
 * squared deviations) for accuracy. A constant training set (or column) is only centred (std
 * taken as 1) rather than divided by zero.
 *
 * NaN values (missing, to impute) are left out of the statistics and become 0 — the training
 * mean — once standardised: mean imputation, from the training split only.
 */
export function standardize(train: Dataset, others: Dataset[] = [], options: StandardizeOptions = {}): Standardization {
  const x = rows(train);
  if (x.length === 0) throw new RangeError(`standardize: the training set (${train.source}) is empty`);
  const f = options.perFeature ? train.features : 1;
  const sum = new Float64Array(f);
  const count = new Float64Array(f);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v === v) {
      sum[i % f] += v;
      count[i % f]++;
    }
  }
  const mean = Array.from(sum, (s, j) => (count[j]! > 0 ? s / count[j]! : 0));
  const squares = new Float64Array(f);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v === v) squares[i % f] += (v - mean[i % f]!) ** 2;
  }
  const std = Array.from(squares, (s, j) => {
    const d = Math.sqrt(s / count[j]!);
    return d > 0 && Number.isFinite(d) ? d : 1;
  });
  const stats: Standardization = options.perFeature ? { mean, std } : { mean: mean[0]!, std: std[0]! };
  applyStandardization(stats, train, ...others);
  return stats;
}

/**
 * Applies a recorded {@link Standardization} in place: `x ← (x − mean) / std` (per column when
 * `mean` and `std` are arrays); a NaN (a missing value) becomes 0, the training mean.
 */
export function applyStandardization(stats: Standardization, ...datasets: Dataset[]): void {
  const mean = typeof stats.mean === "number" ? [stats.mean] : stats.mean;
  const std = typeof stats.std === "number" ? [stats.std] : stats.std;
  const f = mean.length;
  for (const ds of datasets) {
    if (f > 1 && ds.features !== f) throw new RangeError(`applyStandardization: ${f} per-feature statistics for ${ds.features} features (${ds.source})`);
    const x = rows(ds);
    for (let i = 0; i < x.length; i++) {
      const v = (x[i]! - mean[i % f]!) / std[i % f]!;
      x[i] = v === v ? v : 0;
    }
  }
}

function rows(ds: Dataset): Float32Array {
  return ds.x.subarray(0, ds.n * ds.features);
}
