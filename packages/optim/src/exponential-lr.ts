import { checkKnownOptions, finiteNumber } from "./hyper-parameters.js";
import { LRScheduler, type LrGroup, type SchedulableOptimizer } from "./lr-scheduler.js";

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Multiplicative decay per epoch. */
  gamma: number;
}

/**
 * Multiplies the learning rate by `gamma` every epoch: `lr = base·gammaᵉᵖᵒᶜʰ`, computed as
 * PyTorch does, by multiplying the current `lr`. E.g. gamma 0.5 from 1: 1, 0.5, 0.25, …
 */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    if (options === null || typeof options !== "object") throw new Error("ExponentialLR: options with gamma are required");
    checkKnownOptions("ExponentialLR", options, ["gamma"]);
    super("ExponentialLR", optimizer);
    if (options.gamma === undefined) throw new Error("ExponentialLR: gamma is required");
    this.gamma = finiteNumber("ExponentialLR", "gamma", options.gamma, Number.NaN);
    this.initialStep();
  }

  get config(): { gamma: number } {
    return { gamma: this.gamma };
  }

  protected computeLr(group: LrGroup): number {
    return this.lastEpoch === 0 ? group.lr : group.lr * this.gamma;
  }
}
