import { checkSameConfig, finiteNumber, integer, type HyperParameter } from "./hyper-parameters.js";

/** One learning rate a schedule sets: a parameter group (or a plain `{ lr }`). */
export interface LrGroup {
  lr: number;
  /** Set by the first scheduler attached (PyTorch's `group["initial_lr"]`). */
  initialLr?: number | undefined;
}

/**
 * What a schedule drives: an {@link Optimizer} (every one of its `paramGroups`; its `lr` is
 * then not read), or anything with a settable `lr` (one rate).
 */
export interface SchedulableOptimizer {
  lr: number;
  /** Set by the first scheduler attached (PyTorch's `param_group["initial_lr"]`). */
  initialLr?: number | undefined;
  /** The groups whose `lr` the schedule sets; when absent, the object itself is the one group. */
  readonly paramGroups?: readonly LrGroup[];
}

/** A scheduler's state dict (plain numbers: JSON as is). */
export interface LRSchedulerState {
  /** Class name, e.g. `StepLR`. */
  type: string;
  /** Its fixed options. */
  config: Record<string, HyperParameter>;
  /** Epoch index of the last `step()` (0 right after construction). */
  lastEpoch: number;
  /** The learning rate the schedule started from (the first group's). */
  baseLr: number;
  /** The learning rate it set last (the first group's). */
  lastLr: number;
  /** Per group, the rate the schedule started from (PyTorch's `base_lrs`); absent in older state dicts (one group). */
  baseLrs?: number[];
  /** Per group, the rate it set last (PyTorch's `_last_lr`). */
  lastLrs?: number[];
}

/** The groups a scheduler sets: the optimiser's `paramGroups`, or the object itself. */
export function lrGroups(type: string, optimizer: SchedulableOptimizer): readonly LrGroup[] {
  if (optimizer === null || typeof optimizer !== "object") throw new Error(`${type}: expected an optimizer with a numeric lr`);
  const groups = Array.isArray(optimizer.paramGroups) ? optimizer.paramGroups : [optimizer as LrGroup];
  if (groups.length === 0 || groups.some((g) => g === null || typeof g !== "object" || typeof g.lr !== "number")) {
    throw new Error(`${type}: expected an optimizer with a numeric lr`);
  }
  return groups;
}

/**
 * Base of the LR schedules, with PyTorch's semantics: building one records each group's
 * `initialLr` (once, shared by later schedulers), sets `lastEpoch = 0` and applies the epoch-0
 * rate; call `step()` once per epoch, after `optimizer.step()`. Every parameter group is
 * scheduled from its own initial rate (PyTorch's `base_lrs`), so groups keep their ratios.
 */
export abstract class LRScheduler {
  /** Class name, as in the state dict. */
  readonly type: string;
  /** The optimiser whose groups' `lr` this sets. */
  readonly optimizer: SchedulableOptimizer;
  /** The groups it sets, in order. */
  protected readonly groups: readonly LrGroup[];
  private epoch = -1;
  private bases: number[];
  private lasts: number[];

  protected constructor(type: string, optimizer: SchedulableOptimizer) {
    this.type = type;
    this.groups = lrGroups(type, optimizer);
    this.optimizer = optimizer;
    for (const g of this.groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    this.bases = this.groups.map((g) => g.initialLr as number);
    this.lasts = this.groups.map((g) => g.lr);
  }

  /** Subclasses call this at the end of their constructor (PyTorch's `_initial_step`). */
  protected initialStep(): void {
    this.step();
  }

  /**
   * The learning rate of `group` (the `index`-th) at `lastEpoch`, from its `baseLr` (it may read
   * the group's current `lr`: PyTorch's chainable form).
   */
  protected abstract computeLr(group: LrGroup, baseLr: number, index: number): number;

  /** The fixed options, as saved in the state dict. */
  abstract get config(): Record<string, HyperParameter>;

  /** The learning rate the schedule started from (PyTorch's `base_lrs[0]`: the first group's). */
  get baseLr(): number {
    return this.bases[0];
  }

  /** Per group, the learning rate the schedule started from (PyTorch's `base_lrs`). */
  get baseLrs(): number[] {
    return [...this.bases];
  }

  /** Index of the current epoch: 0 after construction, +1 per `step()`. */
  get lastEpoch(): number {
    return this.epoch;
  }

  /** Advances one epoch and sets each group's `lr`. */
  step(): void {
    this.epoch += 1;
    let lrs: number[];
    try {
      lrs = this.groups.map((g, i) => this.computeLr(g, this.bases[i], i));
    } catch (e) {
      this.epoch -= 1; // a refused step (e.g. OneCycleLR past totalSteps) changes nothing
      throw e;
    }
    this.groups.forEach((g, i) => (g.lr = lrs[i]));
    this.lasts = lrs;
  }

  /**
   * The learning rate set by the last `step()`: one number with one group (PyTorch's
   * `get_last_lr()[0]`); with several groups it is an error, use {@link getLastLrs}.
   */
  getLastLr(): number {
    if (this.lasts.length !== 1) throw new Error(`${this.type}: getLastLr() with ${this.lasts.length} parameter groups; use getLastLrs()`);
    return this.lasts[0];
  }

  /** Per group, the learning rate set by the last `step()` (PyTorch's `get_last_lr()`). */
  getLastLrs(): number[] {
    return [...this.lasts];
  }

  /** A copy of the scheduler's state. */
  stateDict(): LRSchedulerState {
    const s: LRSchedulerState = { type: this.type, config: this.config, lastEpoch: this.epoch, baseLr: this.bases[0], lastLr: this.lasts[0] };
    if (this.groups.length > 1) {
      s.baseLrs = [...this.bases];
      s.lastLrs = [...this.lasts];
    }
    return s;
  }

  /**
   * Restores `lastEpoch`, the base and last rates saved by the same kind of scheduler with the
   * same options over as many groups. Like PyTorch, it leaves the optimiser's `lr` alone (the
   * optimiser's own state dict restores it).
   */
  loadStateDict(s: LRSchedulerState): void {
    const who = `${this.type}: loadStateDict`;
    if (s === null || typeof s !== "object") throw new Error(`${who}: expected a state dict object`);
    if (s.type !== this.type) throw new Error(`${who}: the state dict is for ${String(s.type)}, not ${this.type}`);
    checkSameConfig(this.type, this.config, s.config, []);
    const epoch = integer(who, "lastEpoch", s.lastEpoch, 0);
    const n = this.groups.length;
    const list = (name: "baseLrs" | "lastLrs", single: "baseLr" | "lastLr"): number[] => {
      const v = s[name];
      if (v === undefined) {
        if (n !== 1) throw new Error(`${who}: the state dict is for one parameter group but the optimizer has ${n}`);
        return [finiteNumber(who, single, s[single], Number.NaN)];
      }
      if (!Array.isArray(v) || v.length !== n) throw new Error(`${who}: ${name} must be an array of ${n} numbers (one per parameter group)`);
      return v.map((x, i) => finiteNumber(who, `${name}[${i}]`, x, Number.NaN));
    };
    const bases = list("baseLrs", "baseLr");
    const lasts = list("lastLrs", "lastLr");
    this.epoch = epoch;
    this.bases = bases;
    this.lasts = lasts;
  }

}
