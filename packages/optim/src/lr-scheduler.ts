import { checkSameConfig, finiteNumber, integer, type HyperParameter } from "./hyper-parameters.js";

/** What a schedule drives: anything with a settable `lr` (an {@link Optimizer}). */
export interface SchedulableOptimizer {
  lr: number;
  /** Set by the first scheduler attached (PyTorch's `param_group["initial_lr"]`). */
  initialLr?: number | undefined;
}

/** A scheduler's state dict (plain numbers: JSON as is). */
export interface LRSchedulerState {
  /** Class name, e.g. `StepLR`. */
  type: string;
  /** Its fixed options. */
  config: Record<string, HyperParameter>;
  /** Epoch index of the last `step()` (0 right after construction). */
  lastEpoch: number;
  /** The learning rate the schedule started from. */
  baseLr: number;
  /** The learning rate it set last. */
  lastLr: number;
}

/**
 * Base of the LR schedules, with PyTorch's semantics: building one records the optimiser's
 * `initialLr` (once, shared by later schedulers), sets `lastEpoch = 0` and applies the
 * epoch-0 rate; call `step()` once per epoch, after `optimizer.step()`.
 */
export abstract class LRScheduler {
  /** Class name, as in the state dict. */
  readonly type: string;
  /** The optimiser whose `lr` this sets. */
  readonly optimizer: SchedulableOptimizer;
  private epoch = -1;
  private base: number;
  private last: number;

  protected constructor(type: string, optimizer: SchedulableOptimizer) {
    if (optimizer === null || typeof optimizer !== "object" || typeof optimizer.lr !== "number") {
      throw new Error(`${type}: expected an optimizer with a numeric lr`);
    }
    this.type = type;
    this.optimizer = optimizer;
    if (optimizer.initialLr === undefined) optimizer.initialLr = optimizer.lr;
    this.base = optimizer.initialLr;
    this.last = optimizer.lr;
  }

  /** Subclasses call this at the end of their constructor (PyTorch's `_initial_step`). */
  protected initialStep(): void {
    this.step();
  }

  /** The learning rate at `lastEpoch` (may read the optimiser's current `lr`: PyTorch's chainable form). */
  protected abstract computeLr(): number;

  /** The fixed options, as saved in the state dict. */
  abstract get config(): Record<string, HyperParameter>;

  /** The learning rate the schedule started from (PyTorch's `base_lrs[0]`). */
  get baseLr(): number {
    return this.base;
  }

  /** Index of the current epoch: 0 after construction, +1 per `step()`. */
  get lastEpoch(): number {
    return this.epoch;
  }

  /** Advances one epoch and sets the optimiser's `lr`. */
  step(): void {
    this.epoch += 1;
    const lr = this.computeLr();
    this.optimizer.lr = lr;
    this.last = lr;
  }

  /** The learning rate set by the last `step()` (PyTorch's `get_last_lr()[0]`: one parameter group). */
  getLastLr(): number {
    return this.last;
  }

  /** A copy of the scheduler's state. */
  stateDict(): LRSchedulerState {
    return { type: this.type, config: this.config, lastEpoch: this.epoch, baseLr: this.base, lastLr: this.last };
  }

  /**
   * Restores `lastEpoch`, `baseLr` and `lastLr` saved by the same kind of scheduler with the
   * same options. Like PyTorch, it leaves the optimiser's `lr` alone (the optimiser's own
   * state dict restores it).
   */
  loadStateDict(s: LRSchedulerState): void {
    const who = `${this.type}: loadStateDict`;
    if (s === null || typeof s !== "object") throw new Error(`${who}: expected a state dict object`);
    if (s.type !== this.type) throw new Error(`${who}: the state dict is for ${String(s.type)}, not ${this.type}`);
    checkSameConfig(this.type, this.config, s.config, []);
    const epoch = integer(who, "lastEpoch", s.lastEpoch, 0);
    const base = finiteNumber(who, "baseLr", s.baseLr, Number.NaN);
    const last = finiteNumber(who, "lastLr", s.lastLr, Number.NaN);
    this.epoch = epoch;
    this.base = base;
    this.last = last;
  }
}
