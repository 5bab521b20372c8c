/**
 * `--data` and `--splits` → the three splits, standardised with the training set's statistics,
 * held in one buffer (train rows, then validation, then test) so the engine copies one array
 * into shared memory and addresses the splits by row index.
 */
import { resolve } from "node:path";
import { loadCsv, loadEmbeddedMnist, loadIdx, splitDataset, standardize, type Dataset, type Splits, type Standardization } from "./data/index.js";
import { labelColumns, type TrainOptions } from "./config.js";
import { UsageError } from "./errors.js";
import { plural } from "./plural.js";

export interface Splits3 {
  /** All rows, `[train + val + test, features]`, standardised. */
  x: Float32Array;
  y: Int32Array;
  features: number;
  /** Classes (0 for regression). */
  classes: number;
  /** Image height and width, for image data. */
  shape?: [number, number];
  rows: { train: number; val: number; test: number };
  standardization: Standardization;
  source: string;
  /** Text class labels' names (y indexes them). */
  classNames?: string[];
  featureNames?: string[];
  /** Regression: the targets `[rows, targetNames.length]` standardised, as the model learns them… */
  targets?: Float32Array;
  /** …and as in the file (for figures in their own units). */
  rawTargets?: Float32Array;
  targetNames?: string[];
  /** Regression: each target column's training mean and std. */
  targetStandardization?: Standardization;
}

/** How a CSV is read: the run's --task, --label-column, --impute, and (eval, resume) the class names it learnt. */
export type SourceOptions = Pick<TrainOptions, "task" | "labelColumn" | "impute"> & { classNames?: readonly string[] };

/** `--data` with its file paths made absolute (config.json must not depend on the directory it was run from). */
export function absoluteDataPaths(data: string, cwd: string): string {
  if (data.startsWith("idx:")) return `idx:${data.slice(4).split(",").map((p) => resolve(cwd, p)).join(",")}`;
  if (data.startsWith("csv:")) return `csv:${resolve(cwd, data.slice(4))}`;
  return data;
}

/** Loads a `--data` source as it is on disk (raw values, all rows); `o` says how to read a CSV. */
export function loadSource(data: string, o?: SourceOptions): Dataset {
  if (data === "mnist") return loadEmbeddedMnist();
  if (data.startsWith("idx:")) {
    const [images, labels] = data.slice(4).split(",") as [string, string];
    return loadIdx(images, labels);
  }
  if (data.startsWith("csv:")) {
    return loadCsv(data.slice(4), {
      task: o?.task === "regression" ? "regression" : "classification",
      ...(o?.labelColumn != null ? { labelColumn: labelColumns(o.labelColumn) } : {}),
      missing: o?.impute === "mean" ? "nan" : "error",
      ...(o?.classNames ? { classNames: o.classNames } : {}),
    });
  }
  throw new UsageError(`--data must be mnist, idx:<images>,<labels> or csv:<file>, got ${JSON.stringify(data)}`);
}

/** Splits `ds` by a shuffle seeded with `seed` (in place: `ds` is reordered); `--splits` errors name the flag. */
export function splitRows(ds: Dataset, splits: readonly [number, number, number], seed: number): Splits {
  const counts = splits.some((s) => s > 1);
  try {
    return splitDataset(ds, counts ? { seed, inPlace: true, counts: { train: splits[0], val: splits[1], test: splits[2] } } : { seed, inPlace: true, train: splits[0], val: splits[1], test: splits[2] });
  } catch (e) {
    throw new UsageError(`--splits ${splits.join(",")} does not fit ${ds.source} (${plural(ds.n, "row")}): ${(e as Error).message.replace(/^splitDataset: /, "")}`);
  }
}

/**
 * Splits (see {@link splitRows}) and standardises with the training split's mean and std: one
 * scalar for images, one per feature column for tabular data (`perFeature`, default: the data
 * has no image shape; a resumed run keeps the kind it started with).
 */
export function splitAndStandardize(ds: Dataset, splits: readonly [number, number, number], seed: number, perFeature = ds.shape === undefined): Splits3 {
  const parts = splitRows(ds, splits, seed);
  const { train, val, test } = parts;
  for (const [name, part] of [["validation", val], ["test", test]] as const) {
    if (part.n === 0) throw new UsageError(`--splits ${splits.join(",")} leaves the ${name} split of ${ds.source} (${plural(ds.n, "row")}) empty`);
  }
  const standardization = standardize(train, [val, test], { perFeature });
  const total = train.n + val.n + test.n;
  const out: Splits3 = {
    x: ds.x.subarray(0, total * ds.features),
    y: ds.y.subarray(0, total),
    features: ds.features,
    classes: ds.classes,
    shape: ds.shape,
    rows: { train: train.n, val: val.n, test: test.n },
    standardization,
    source: ds.source,
    ...(ds.classNames ? { classNames: ds.classNames } : {}),
    ...(ds.featureNames ? { featureNames: ds.featureNames } : {}),
  };
  if (ds.targets && ds.targetNames) {
    // The targets are standardised too (per column, training split): the MSE then weighs every target alike and Adam's lr fits any scale.
    const w = ds.targetNames.length;
    const targets = ds.targets.subarray(0, total * w);
    const rawTargets = targets.slice();
    const asRows = (from: number, n: number) => ({ ...ds, x: targets.subarray(from * w, (from + n) * w), n, features: w });
    const targetStandardization = standardize(asRows(0, train.n), [asRows(train.n, val.n + test.n)], { perFeature: true });
    Object.assign(out, { targets, rawTargets, targetNames: ds.targetNames, targetStandardization });
  }
  return out;
}

/** Row indices `[from, to)` as an Int32Array (the engine's index lists). */
export function rowRange(from: number, to: number): Int32Array {
  const out = new Int32Array(to - from);
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
}
