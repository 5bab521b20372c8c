/**
 * The standard workload in mind-net.js: a SequentialModel (Dense 784 input, ReLU hidden layers,
 * softmax output, categorical cross-entropy, Adam lr 1e-3), trained with its own
 * `train(input, expected, {batchSize, epochs: 1})` over `steps × batch` rows — on the main
 * thread, or through its ParallelModelWrapper across worker_threads (the only other JS library
 * that trains across workers). Rows are Float64Array per sample, its data format.
 */
import { AdamOptimizer, Dense, ParallelModelWrapper, SequentialModel } from "mind-net.js";
import type { RunSample, Runner } from "./runners.js";
import { CLASSES, FEATURES, rowOrder, type Dataset } from "./workload.js";

type Rows = Float64Array[];

function buildNet(hidden: readonly number[]): SequentialModel {
  const net = new SequentialModel(new AdamOptimizer({ lr: 1e-3 }), "categoricalCrossEntropy");
  net.addLayer(new Dense(FEATURES));
  for (const h of hidden) net.addLayer(new Dense(h, { activation: "relu" }));
  net.addLayer(new Dense(CLASSES, { activation: "softmax" }));
  net.compile();
  return net;
}

export class MindNetRunner implements Runner {
  readonly kind: string;
  private readonly x: Rows;
  private readonly y: Rows;
  private cursor = 0;

  private constructor(readonly workers: number, private readonly net: SequentialModel, private readonly parallel: ParallelModelWrapper<SequentialModel> | null, data: Dataset) {
    this.kind = parallel ? "mind-net-parallel" : "mind-net";
    const order = rowOrder(data.rows, 7);
    this.x = Array.from(order, (r) => Float64Array.from(data.x.subarray(r * FEATURES, (r + 1) * FEATURES)));
    this.y = Array.from(order, (r) => {
      const t = new Float64Array(CLASSES);
      t[data.y[r]] = 1;
      return t;
    });
  }

  /** `workers` 0: the plain model on this thread; ≥ 1: ParallelModelWrapper with that many workers. */
  static async create(workers: number, hidden: readonly number[], data: Dataset): Promise<MindNetRunner> {
    const net = buildNet(hidden);
    if (workers === 0) return new MindNetRunner(1, net, null, data);
    const parallel = new ParallelModelWrapper(net, workers);
    await parallel.init();
    return new MindNetRunner(workers, net, parallel, data);
  }

  async run(batch: number, steps: number): Promise<RunSample> {
    const rows = batch * steps;
    if (this.cursor + rows > this.x.length) this.cursor = 0;
    if (rows > this.x.length) throw new Error(`mind-net runner: ${rows} rows asked, the data has ${this.x.length}`);
    const x = this.x.slice(this.cursor, this.cursor + rows);
    const y = this.y.slice(this.cursor, this.cursor + rows);
    this.cursor += rows;
    const t0 = performance.now();
    if (this.parallel) await this.parallel.train(x, y, { batchSize: batch, epochs: 1, progress: false });
    else this.net.train(x, y, { batchSize: batch, epochs: 1, progress: false });
    return { batch, steps, ms: performance.now() - t0, timings: new Float64Array(4) };
  }

  async close(): Promise<void> {
    if (this.parallel) await this.parallel.terminate();
  }
}
