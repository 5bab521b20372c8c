import { checkKnownOptions, finiteNumber } from "./hyper-parameters.js";
import { LRScheduler, type LrGroup, type SchedulableOptimizer } from "./lr-scheduler.js";

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Half-period in epochs (> 0): the rate reaches `etaMin` at epoch `tMax`. */
  tMax: number;
  /** Minimum learning rate; default 0. */
  etaMin?: number;
}

/**
 * Cosine annealing without restarts, in PyTorch's closed form
 * `lr = etaMin + (base − etaMin)·(1 + cos(π·epoch/tMax))/2` (periodic past `tMax`, as PyTorch's).
 * PyTorch's `step()` uses an equivalent recursive form; the closed form does not drift and
 * does not depend on the optimiser's current `lr`.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    if (options === null || typeof options !== "object") throw new Error("CosineAnnealingLR: options with tMax are required");
    checkKnownOptions("CosineAnnealingLR", options, ["tMax", "etaMin"]);
    super("CosineAnnealingLR", optimizer);
    const tMax = finiteNumber("CosineAnnealingLR", "tMax", options.tMax, Number.NaN);
    if (!(tMax > 0)) throw new Error(`CosineAnnealingLR: tMax must be > 0, got ${tMax}`);
    this.tMax = tMax;
    this.etaMin = finiteNumber("CosineAnnealingLR", "etaMin", options.etaMin, 0);
    this.initialStep();
  }

  get config(): { tMax: number; etaMin: number } {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  protected computeLr(_group: LrGroup, baseLr: number): number {
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2;
  }
}
