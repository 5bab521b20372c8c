/**
 * The char-LM workload's runners: the data-parallel engine over the model file of @weft/text
 * (CHAR_LM_MODEL), and the plain single-process loop a user writes. Both as runners.ts's: `steps`
 * steps of `batch` windows per call, wall time on the main thread.
 */
import { AdamW } from "@weft/optim";
import { DataParallel } from "@weft/parallel";
import { Rng, Tensor } from "@weft/tensor";
import { CHAR_LM_MODEL, CharTransformer, charLmLoss } from "@weft/text";
import { EngineRunner, ORDER_SEED, type RunSample, type Runner } from "./runners.js";
import { LM_BLOCK, LM_OPTIMIZER, type LmDataset } from "./lm-workload.js";
import { batchesOf, rowOrder } from "./workload.js";


/** The engine over the char-LM model file: runners.ts's EngineRunner (same timing), its data windows of LM_BLOCK tokens. */
export async function lmEngineRunner(workers: number, data: LmDataset, seed: number): Promise<Runner> {
  const dp = await DataParallel.create({
    model: CHAR_LM_MODEL, modelOptions: { vocabSize: data.vocabSize }, optimizer: LM_OPTIMIZER, workers, seed,
    data: { x: data.x, sampleShape: [LM_BLOCK], y: data.y, targetShape: [LM_BLOCK] },
  });
  return EngineRunner.over(dp, data.rows);
}

/** The plain loop on the main thread: gather the windows, forward, loss, backward, AdamW step. */
export class LmPlainRunner implements Runner {
  readonly kind = "plain";
  readonly workers = 1;
  private readonly model: CharTransformer;
  private readonly optimizer: AdamW;
  private readonly order: Int32Array;

  constructor(private readonly data: LmDataset, seed: number) {
    this.model = new CharTransformer({ vocabSize: data.vocabSize, rng: new Rng(seed) });
    this.optimizer = new AdamW(this.model.parameters(), LM_OPTIMIZER.config);
    this.order = rowOrder(data.rows, ORDER_SEED);
  }

  async run(batch: number, steps: number): Promise<RunSample> {
    const T = LM_BLOCK, { x: xAll, y: yAll } = this.data;
    const x = new Int32Array(batch * T), y = new Int32Array(batch * T);
    const batches = batchesOf(this.data.rows, batch, steps);
    const timings = new Float64Array(4);
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) {
      const ta = performance.now();
      for (let i = 0; i < batch; i++) {
        const r = this.order[batches[s][0] + i];
        x.set(xAll.subarray(r * T, (r + 1) * T), i * T);
        y.set(yAll.subarray(r * T, (r + 1) * T), i * T);
      }
      this.model.zeroGrad();
      charLmLoss(this.model.forward(new Tensor(x, [batch, T])), new Tensor(y, [batch, T])).backward();
      const tb = performance.now();
      this.optimizer.step();
      timings[0] += tb - ta;
      timings[3] += performance.now() - tb;
    }
    return { batch, steps, ms: performance.now() - t0, timings };
  }

  async close(): Promise<void> {}
}
