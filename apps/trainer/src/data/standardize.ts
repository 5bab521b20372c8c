import type { Dataset } from "./dataset.js";

/** The input standardisation, recorded in a run's config.json to apply at predict time. */
export interface Standardization {
  mean: number;
  std: number;
}

/**
 * Standardises inputs with ONE scalar mean and standard deviation over every feature of
 * `train` (as the usual MNIST recipe, `Normalize((0.1307,), (0.3081,))`, does): computes
 * them from the training set only, then applies `x ← (x − mean) / std` in place to `train`
 * and to each of `others` (validation, test) — never fitting on held-out data.
 *
 * The std is the population one (divide by N, as numpy's and sklearn's StandardScaler's),
 * so the standardised training set has std exactly 1; with N in the millions it differs
 * from torch's unbiased `x.std()` by < 1e-6. Sums are float64, two passes (mean, then
 * squared deviations) for accuracy. A constant training set is only centred (std taken as
 * 1) rather than divided by zero.
 */
export function standardize(train: Dataset, ...others: Dataset[]): Standardization {
  const x = rows(train);
  if (x.length === 0) throw new RangeError(`standardize: the training set (${train.source}) is empty`);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]!;
  const mean = sum / x.length;
  let squares = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - mean;
    squares += d * d;
  }
  let std = Math.sqrt(squares / x.length);
  if (!(std > 0 && Number.isFinite(std))) std = 1;
  const stats = { mean, std };
  applyStandardization(stats, train, ...others);
  return stats;
}

/** Applies a recorded {@link Standardization} in place: `x ← (x − mean) / std`. */
export function applyStandardization(stats: Standardization, ...datasets: Dataset[]): void {
  const { mean, std } = stats;
  for (const ds of datasets) {
    const x = rows(ds);
    for (let i = 0; i < x.length; i++) x[i] = (x[i]! - mean) / std;
  }
}

function rows(ds: Dataset): Float32Array {
  return ds.x.subarray(0, ds.n * ds.features);
}
