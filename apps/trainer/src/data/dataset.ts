/**
 * A labelled dataset held in memory.
 *
 * `x` is row-major `[n, features]`; `y` is `[n]` with classes in `0..classes−1`. Both may be
 * views over a `SharedArrayBuffer` (see {@link allocDataset}), so worker threads can read the
 * rows without a copy.
 */
export interface Dataset {
  /** Features, row-major `[n, features]`. */
  x: Float32Array;
  /** Class labels `[n]`, each in `[0, classes)`. */
  y: Int32Array;
  n: number;
  features: number;
  classes: number;
  /** Image height × width when every row is an image (`features === h * w`). */
  shape?: [number, number];
  /** Where the data came from, for reports: `mnist`, `idx:<images>,<labels>`, `csv:<file>`. */
  source: string;
  /** The classes' names when the labels were text (`y[i]` indexes them; sorted order). */
  classNames?: string[];
  /** The feature columns' names (a CSV header). */
  featureNames?: string[];
  /**
   * Regression targets, row-major `[n, targetNames.length]` (float values; `y` is then unused
   * and `classes` 0).
   */
  targets?: Float32Array;
  /** The target columns' names, one a column of `targets`. */
  targetNames?: string[];
}

/** Options shared by everything that allocates a dataset. */
export interface AllocOptions {
  /** Allocate `x` and `y` over `SharedArrayBuffer`s (for worker threads). Default `false`. */
  shared?: boolean;
}

/**
 * Allocates `x: [n, features]` and `y: [n]`, zero-filled, over `SharedArrayBuffer`s when
 * `shared` is set (the trainer hands these to its workers) and plain `ArrayBuffer`s otherwise.
 */
export function allocDataset(
  n: number,
  features: number,
  shared = false,
): { x: Float32Array; y: Int32Array } {
  if (!shared) return { x: new Float32Array(n * features), y: new Int32Array(n) };
  return {
    x: new Float32Array(new SharedArrayBuffer(n * features * Float32Array.BYTES_PER_ELEMENT)),
    y: new Int32Array(new SharedArrayBuffer(n * Int32Array.BYTES_PER_ELEMENT)),
  };
}

/** A copy of `ds` whose `x` and `y` live in `SharedArrayBuffer`s (one `.set` each). */
export function toShared(ds: Dataset): Dataset {
  const { x, y } = allocDataset(ds.n, ds.features, true);
  x.set(ds.x.subarray(0, ds.n * ds.features));
  y.set(ds.y.subarray(0, ds.n));
  return { ...ds, x, y };
}

/**
 * Bad input data. The message names the file and, where it applies, the line (CSV) or record
 * (IDX) and what was expected, so the CLI can print it as it is, without a stack trace.
 */
export class DataError extends Error {
  override name = "DataError";
  constructor(
    message: string,
    /** The file at fault. */
    readonly file: string,
    /** 1-based line number (CSV), when the fault is on one line. */
    readonly line?: number,
  ) {
    super(message);
  }
}
