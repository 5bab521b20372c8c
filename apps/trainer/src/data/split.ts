import { Rng } from "@weft/tensor";
import { allocDataset, type AllocOptions, type Dataset } from "./dataset.js";

export interface SplitOptions extends AllocOptions {
  /** Seed of the shuffle: `new Rng(seed).permutation(n)`. */
  seed: number | bigint;
  /** Fraction of the rows for training. Default 0.8; the three fractions must sum to 1. */
  train?: number;
  /** Fraction for validation. Default 0.1. */
  val?: number;
  /** Fraction for test. Default 0.1. */
  test?: number;
  /** Exact row counts instead of fractions (their sum may be below n: the rest is unused). */
  counts?: { train: number; val: number; test: number };
  /**
   * Reorder `ds`'s own rows (and labels) into shuffled order and return views of them: no
   * new memory at all (pages are expensive to fault in; see mnist.ts), but `ds` is changed.
   * Default false: the splits are gathered into one new buffer (shared when `shared` is set).
   */
  inPlace?: boolean;
}

export interface Splits {
  train: Dataset;
  val: Dataset;
  test: Dataset;
  /** For each split, the rows of the input it holds, in order. */
  indices: { train: Uint32Array; val: Uint32Array; test: Uint32Array };
}

/**
 * Splits `ds` into train / validation / test by a seeded shuffle, as `torch.utils.data.
 * random_split` does: row order `p = new Rng(seed).permutation(n)`; train takes `p[0, a)`,
 * val `p[a, a + b)`, test `p[a + b, a + b + c)`. The embedded MNIST's 10,000 rows give
 * 8,000 / 1,000 / 1,000 by default.
 *
 * Fractions become counts as random_split's do: ⌊n·f⌋ each, and the rows left over go one
 * at a time to train, val, test in turn. The three splits are views of one buffer
 * (train, then val, then test), so handing them to workers is one `SharedArrayBuffer`.
 *
 * @example
 * const { train, val, test } = splitDataset(loadEmbeddedMnist(), { seed: 42 });
 */
export function splitDataset(ds: Dataset, options: SplitOptions): Splits {
  const { seed } = options;
  if (!(typeof seed === "bigint" || Number.isInteger(seed))) {
    throw new RangeError(`splitDataset: seed must be an integer, got ${seed}`);
  }
  if (ds.n < 1) throw new RangeError(`splitDataset: ${ds.source} has no rows to split`);
  const [a, b, c] = splitCounts(ds.n, options);
  const order = new Rng(seed).permutation(ds.n);
  const f = ds.features;
  const w = ds.targetNames?.length ?? 0;
  let x: Float32Array;
  let y: Int32Array;
  let t = ds.targets;
  if (options.inPlace) {
    permuteRows(ds.x, ds.y, f, order);
    if (t) permuteRows(t, null, w, order);
    ({ x, y } = ds);
  } else {
    ({ x, y } = allocDataset(a + b + c, f, options.shared));
    if (t) t = options.shared ? new Float32Array(new SharedArrayBuffer((a + b + c) * w * 4)) : new Float32Array((a + b + c) * w);
    for (let j = 0; j < a + b + c; j++) {
      const i = order[j]!;
      x.set(ds.x.subarray(i * f, (i + 1) * f), j * f);
      y[j] = ds.y[i]!;
      if (t) t.set(ds.targets!.subarray(i * w, (i + 1) * w), j * w);
    }
  }
  const view = (from: number, rows: number): Dataset => ({
    ...ds,
    x: x.subarray(from * f, (from + rows) * f),
    y: y.subarray(from, from + rows),
    n: rows,
    ...(t ? { targets: t.subarray(from * w, (from + rows) * w) } : {}),
  });
  return {
    train: view(0, a),
    val: view(a, b),
    test: view(a + b, c),
    indices: { train: order.slice(0, a), val: order.slice(a, a + b), test: order.slice(a + b, a + b + c) },
  };
}

/** The three row counts, validated. */
function splitCounts(n: number, options: SplitOptions): [number, number, number] {
  const { counts } = options;
  if (counts) {
    if (options.train !== undefined || options.val !== undefined || options.test !== undefined) {
      throw new RangeError("splitDataset: give either fractions (train, val, test) or counts, not both");
    }
    const list = [counts.train, counts.val, counts.test] as [number, number, number];
    list.forEach((k, i) => {
      if (!Number.isInteger(k) || k < 0) {
        throw new RangeError(`splitDataset: ${NAMES[i]} count must be a non-negative integer, got ${k}`);
      }
    });
    const sum = list[0] + list[1] + list[2];
    if (sum > n) {
      throw new RangeError(
        `splitDataset: counts ${list.join(" + ")} = ${sum} exceed the ${n} rows of the dataset`,
      );
    }
    if (list[0] === 0) throw new RangeError("splitDataset: the training split would be empty (train count 0)");
    return list;
  }
  const fractions = [options.train ?? 0.8, options.val ?? 0.1, options.test ?? 0.1] as const;
  fractions.forEach((v, i) => {
    if (!(Number.isFinite(v) && v >= 0 && v <= 1)) {
      throw new RangeError(`splitDataset: ${NAMES[i]} fraction must be in [0, 1], got ${v}`);
    }
  });
  const sum = fractions[0] + fractions[1] + fractions[2];
  if (Math.abs(sum - 1) > 1e-6) {
    throw new RangeError(
      `splitDataset: fractions must sum to 1, got train ${fractions[0]} + val ${fractions[1]} + test ${fractions[2]} = ${sum}`,
    );
  }
  // ⌊n·f⌋, with a hair of slack so that 0.29 · 100 (= 28.999999999999996) gives 29.
  const k = fractions.map((v) => Math.floor(n * v + 1e-9)) as [number, number, number];
  for (let i = 0, left = n - k[0] - k[1] - k[2]; left > 0; i = (i + 1) % 3) {
    if (fractions[i]! > 0) {
      k[i]!++;
      left--;
    }
  }
  if (k[0] === 0) {
    throw new RangeError(`splitDataset: the training split would be empty (train fraction ${fractions[0]} of ${n} rows)`);
  }
  return k;
}

const NAMES = ["train", "val", "test"];

/**
 * Reorders rows (of `f` values, and their labels when `y` is given) in place so that new row j is old row `order[j]`, following the cycles of
 * the permutation with one spare row: each row is moved once, nothing of the data's size is
 * allocated.
 */
function permuteRows(x: Float32Array, y: Int32Array | null, f: number, order: Uint32Array): void {
  const n = order.length;
  const done = new Uint8Array(n);
  const spare = new Float32Array(f);
  for (let s = 0; s < n; s++) {
    if (done[s] || order[s] === s) continue;
    spare.set(x.subarray(s * f, (s + 1) * f));
    const spareLabel = y?.[s] ?? 0;
    let j = s;
    for (;;) {
      done[j] = 1;
      const k = order[j]!;
      if (k === s) {
        x.set(spare, j * f);
        if (y) y[j] = spareLabel;
        break;
      }
      x.copyWithin(j * f, k * f, (k + 1) * f);
      if (y) y[j] = y[k]!;
      j = k;
    }
  }
}
