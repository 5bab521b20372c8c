import { checkKnownOptions, finiteNumber, integer } from "./hyper-parameters.js";
import { LRScheduler, type LrGroup, type SchedulableOptimizer } from "./lr-scheduler.js";

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Epochs between decays (integer >= 1). */
  stepSize: number;
  /** Multiplicative decay; default 0.1. */
  gamma?: number;
}

/**
 * Multiplies the learning rate by `gamma` every `stepSize` epochs: `lr = base·gamma^⌊epoch/stepSize⌋`,
 * computed as PyTorch does, by multiplying the current `lr` at each boundary.
 * E.g. stepSize 2, gamma 0.1, from 1: 1, 1, 0.1, 0.1, 0.01, …
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    if (options === null || typeof options !== "object") throw new Error("StepLR: options with stepSize are required");
    checkKnownOptions("StepLR", options, ["stepSize", "gamma"]);
    super("StepLR", optimizer);
    this.stepSize = integer("StepLR", "stepSize", options.stepSize, 1);
    this.gamma = finiteNumber("StepLR", "gamma", options.gamma, 0.1);
    this.initialStep();
  }

  get config(): { stepSize: number; gamma: number } {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  protected computeLr(group: LrGroup): number {
    const e = this.lastEpoch;
    if (e === 0 || e % this.stepSize !== 0) return group.lr;
    return group.lr * this.gamma;
  }
}
