/**
 * The two ways the benchmarks train the standard workload: the data-parallel engine (W
 * worker_threads, `DataParallel.runSteps`) and the plain single-process loop a user would write
 * with @weft/layers and @weft/optim (forward, loss, backward, step, zeroGrad). Both run `steps`
 * steps of `batch` rows per call and report wall time, measured on the main thread.
 */
import { crossEntropyLoss, type Sequential } from "@weft/layers";
import { createOptimizer, type Optimizer } from "@weft/optim";
import { DataParallel, buildModel } from "@weft/parallel";
import { Worker } from "node:worker_threads";
import { Rng, Tensor } from "@weft/tensor";
import { CNN_ARENA_BYTES_PER_ROW, CNN_SAMPLE_SHAPE, FEATURES, OPTIMIZER, batchesOf, cnnSpec, modelSpec, rowOrder, type Arch, type Dataset } from "./workload.js";

/** One timed call: `steps` steps of `batch` rows. */
export interface RunSample {
  batch: number;
  steps: number;
  ms: number;
  /** Per rank, ms summed over the steps: [compute, barrier wait, all-reduce, optimizer]. */
  timings: Float64Array;
}

export interface Runner {
  /** What runs the steps: `weft`, `plain`, or a peer library. */
  readonly kind: string;
  readonly workers: number;
  run(batch: number, steps: number): Promise<RunSample>;
  close(): Promise<void>;
}

/** Seeds of the row order: fixed, so every runner of a run sees the same batches. */
export const ORDER_SEED = 7;

/** The engine: a pool of `workers` threads over the shared model and data. */
export class EngineRunner implements Runner {
  readonly kind = "weft";
  private order: Int32Array;

  private constructor(private readonly dp: DataParallel, private readonly rows: number) {
    this.order = rowOrder(rows, ORDER_SEED);
  }

  /** A runner over an engine already created with `rows` samples of data (any workload: the char-LM's too). */
  static over(dp: DataParallel, rows: number): EngineRunner {
    return new EngineRunner(dp, rows);
  }

  get workers(): number {
    return this.dp.worldSize;
  }

  /**
   * `arch` "cnn": the standard CNN on the same rows seen as [1, 28, 28] images (hidden and bn
   * unused), with a step arena for `batch` rows (CNN_ARENA_BYTES_PER_ROW each), so that every
   * activation lies in the workers' wasm memory and no kernel stages a copy.
   */
  static async create(workers: number, hidden: readonly number[], bn: boolean, data: Dataset, seed: number, arch: Arch = "mlp", batch = 128): Promise<EngineRunner> {
    const cnn = arch === "cnn";
    const model = cnn ? cnnSpec() : modelSpec(hidden, bn);
    const x = cnn ? { sampleShape: CNN_SAMPLE_SHAPE } : { features: FEATURES };
    const arena = cnn ? { arenaBytes: Math.ceil(batch / workers) * CNN_ARENA_BYTES_PER_ROW + (8 << 20) } : {};
    const dp = await DataParallel.create({ model, loss: { type: "crossEntropyLoss" }, optimizer: OPTIMIZER, workers, seed, ...arena, data: { x: data.x, ...x, y: data.y } });
    return new EngineRunner(dp, data.rows);
  }

  async run(batch: number, steps: number): Promise<RunSample> {
    const batches = batchesOf(this.rows, batch, steps);
    const t0 = performance.now();
    const { timings } = await this.dp.runSteps(this.order, batches);
    return { batch, steps, ms: performance.now() - t0, timings };
  }

  close(): Promise<void> {
    return this.dp.close();
  }
}

/**
 * The plain loop on the main thread, as in a user's script. It gathers each batch's rows into
 * a reused buffer, as the engine's workers do, so both pay for the same copy.
 */
export class PlainRunner implements Runner {
  readonly kind = "plain";
  readonly workers = 1;
  private readonly model: Sequential;
  private readonly optimizer: Optimizer;
  private readonly order: Int32Array;
  private x = new Float32Array(0);
  private y = new Int32Array(0);

  constructor(hidden: readonly number[], bn: boolean, private readonly data: Dataset, seed: number) {
    this.model = buildModel(modelSpec(hidden, bn), { rng: new Rng(seed) });
    this.optimizer = createOptimizer("Adam", this.model.parameters(), OPTIMIZER.config);
    this.order = rowOrder(data.rows, ORDER_SEED);
  }

  async run(batch: number, steps: number): Promise<RunSample> {
    const { x: xAll, y: yAll, rows } = this.data;
    if (this.x.length < batch * FEATURES) {
      this.x = new Float32Array(batch * FEATURES);
      this.y = new Int32Array(batch);
    }
    const x = this.x.subarray(0, batch * FEATURES);
    const y = this.y.subarray(0, batch);
    const batches = batchesOf(rows, batch, steps);
    const timings = new Float64Array(4);
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) {
      const ta = performance.now();
      const offset = batches[s][0];
      for (let i = 0; i < batch; i++) {
        const row = this.order[offset + i];
        x.set(xAll.subarray(row * FEATURES, (row + 1) * FEATURES), i * FEATURES);
        y[i] = yAll[row];
      }
      this.model.zeroGrad();
      const loss = crossEntropyLoss(this.model.forward(new Tensor(x, [batch, FEATURES])), y);
      loss.backward();
      const tb = performance.now();
      this.optimizer.step();
      timings[0] += tb - ta;
      timings[3] += performance.now() - tb;
    }
    return { batch, steps, ms: performance.now() - t0, timings };
  }

  async close(): Promise<void> {}
}

/**
 * The plain loop in one worker_thread instead of the main thread, so that the engine at W = 1
 * (which computes in a worker) can also be compared with the same thread kind: V8 sizes and
 * collects a worker's heap apart from the main one's, and single runs showed either faster.
 */
export class PlainWorkerRunner implements Runner {
  readonly kind = "plain-worker";
  readonly workers = 1;
  private readonly worker: Worker;

  constructor(hidden: readonly number[], bn: boolean, data: Dataset, seed: number) {
    this.worker = new Worker(new URL("./plain-worker.js", import.meta.url), { workerData: { hidden, bn, data, seed } });
  }

  run(batch: number, steps: number): Promise<RunSample> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.worker.once("error", onError);
      this.worker.once("message", (s: RunSample) => {
        this.worker.off("error", onError);
        resolve(s);
      });
      this.worker.postMessage({ batch, steps });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
