import { checkKnownOptions, finiteNumber, integer } from "./hyper-parameters.js";
import { LRScheduler, type LrGroup, type SchedulableOptimizer } from "./lr-scheduler.js";

/** Options of {@link LinearLR}. */
export interface LinearLROptions {
  /** Factor at epoch 0, in (0, 1]; default 1/3. */
  startFactor?: number;
  /** Factor from epoch `totalIters` on, in [0, 1]; default 1. */
  endFactor?: number;
  /** Epochs of the linear ramp (integer >= 1); default 5. */
  totalIters?: number;
}

/**
 * Linear warm-up (or decay) of the learning rate's factor from `startFactor` to `endFactor`
 * over `totalIters` epochs, then constant: `lr = base·(start + (end − start)·min(epoch, T)/T)`,
 * computed as PyTorch does, by rescaling the current `lr` each epoch.
 * E.g. defaults from 0.3: 0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3, …
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: SchedulableOptimizer, options: LinearLROptions = {}) {
    if (options === null || typeof options !== "object") throw new Error("LinearLR: options must be an object");
    checkKnownOptions("LinearLR", options, ["startFactor", "endFactor", "totalIters"]);
    super("LinearLR", optimizer);
    const start = finiteNumber("LinearLR", "startFactor", options.startFactor, 1 / 3);
    if (!(start > 0 && start <= 1)) throw new Error(`LinearLR: startFactor must be in (0, 1], got ${start}`);
    const end = finiteNumber("LinearLR", "endFactor", options.endFactor, 1);
    if (!(end >= 0 && end <= 1)) throw new Error(`LinearLR: endFactor must be in [0, 1], got ${end}`);
    this.startFactor = start;
    this.endFactor = end;
    this.totalIters = integer("LinearLR", "totalIters", options.totalIters, 1, 5);
    this.initialStep();
  }

  get config(): { startFactor: number; endFactor: number; totalIters: number } {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }

  protected computeLr(group: LrGroup): number {
    const e = this.lastEpoch;
    const lr = group.lr;
    if (e === 0) return lr * this.startFactor;
    if (e > this.totalIters) return lr;
    const { startFactor: s, endFactor: f, totalIters: t } = this;
    return lr * (1 + (f - s) / (t * s + (e - 1) * (f - s)));
  }
}
