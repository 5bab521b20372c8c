import { checkKnownOptions, checkSameConfig, finiteNumber, integer, nonNegative, type HyperParameter } from "./hyper-parameters.js";
import { lrGroups, type LrGroup, type SchedulableOptimizer } from "./lr-scheduler.js";

/** Options of {@link ReduceLROnPlateau} (torch.optim.lr_scheduler.ReduceLROnPlateau's, camelCase). */
export interface ReduceLROnPlateauOptions {
  /** `min`: reduce when the metric stops decreasing (a loss); `max`: stops increasing (an accuracy). Default `min`. */
  mode?: "min" | "max";
  /** Multiplies the learning rate on a plateau; in [0, 1), default 0.1. */
  factor?: number;
  /** Epochs without improvement tolerated; the rate drops on the next one. Integer >= 0, default 10. */
  patience?: number;
  /** How much better counts as an improvement (see `thresholdMode`); default 1e-4. */
  threshold?: number;
  /** `rel`: better than `best·(1 ∓ threshold)`; `abs`: better than `best ∓ threshold`. Default `rel`. */
  thresholdMode?: "rel" | "abs";
  /** Epochs after a reduction during which bad epochs are not counted. Integer >= 0, default 0. */
  cooldown?: number;
  /** Lower bound of the rate: one for all groups, or one per group; default 0. */
  minLr?: number | readonly number[];
  /** A reduction smaller than this is not applied; default 1e-8. */
  eps?: number;
}

/** The state dict of {@link ReduceLROnPlateau}: plain numbers (`best` is null in JSON while still ±Infinity). */
export interface ReduceLROnPlateauState {
  type: "ReduceLROnPlateau";
  config: Record<string, HyperParameter>;
  /** Number of `step(metric)` calls. */
  lastEpoch: number;
  /** Best metric so far (±Infinity before the first; JSON writes that as null, which loads back as such). */
  best: number | null;
  numBadEpochs: number;
  cooldownCounter: number;
  /** Per group, the rate after the last step. */
  lastLrs: number[];
}

/**
 * PyTorch's `ReduceLROnPlateau`, to the letter: `step(metric)` once per epoch (after validation);
 * when the metric has not improved on the best by `threshold` for more than `patience` epochs,
 * every group's rate becomes `max(lr·factor, minLr)` (applied only if it drops by more than
 * `eps`), then `cooldown` epochs pass before bad epochs count again. Improvement, as
 * `ReduceLROnPlateau.is_better`: min/rel `a < best·(1 − threshold)`, min/abs `a < best − threshold`,
 * max/rel `a > best·(1 + threshold)`, max/abs `a > best + threshold`. A NaN metric is never an
 * improvement. Unlike the epoch schedules it does not set the rate at construction.
 *
 * @example
 * const plateau = new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5 });
 * for (let epoch = 0; epoch < 50; epoch++) { train(); plateau.step(validationLoss()); }
 */
export class ReduceLROnPlateau {
  readonly type = "ReduceLROnPlateau";
  /** The optimiser whose groups' `lr` this lowers. */
  readonly optimizer: SchedulableOptimizer;
  readonly mode: "min" | "max";
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: "rel" | "abs";
  readonly cooldown: number;
  /** Per group, the lower bound of the rate. */
  readonly minLrs: readonly number[];
  readonly eps: number;
  private readonly groups: readonly LrGroup[];
  private epoch = 0;
  private bestValue: number;
  private bad = 0;
  private cooldownLeft = 0;
  private lasts: number[];

  /**
   * @param optimizer an optimiser (every parameter group) or an object with a settable `lr`.
   * @param options PyTorch's defaults: mode min, factor 0.1, patience 10, threshold 1e-4 rel, cooldown 0, minLr 0, eps 1e-8.
   */
  constructor(optimizer: SchedulableOptimizer, options: ReduceLROnPlateauOptions = {}) {
    const who = "ReduceLROnPlateau";
    if (options === null || typeof options !== "object") throw new Error(`${who}: options must be an object`);
    checkKnownOptions(who, options, ["mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"]);
    this.groups = lrGroups(who, optimizer);
    this.optimizer = optimizer;
    const mode = options.mode ?? "min";
    if (mode !== "min" && mode !== "max") throw new Error(`${who}: mode must be "min" or "max", got ${JSON.stringify(mode)}`);
    const thresholdMode = options.thresholdMode ?? "rel";
    if (thresholdMode !== "rel" && thresholdMode !== "abs") throw new Error(`${who}: thresholdMode must be "rel" or "abs", got ${JSON.stringify(thresholdMode)}`);
    this.mode = mode;
    this.thresholdMode = thresholdMode;
    const factor = nonNegative(who, "factor", options.factor, 0.1);
    // PyTorch: "Factor should be < 1.0."
    if (!(factor < 1)) throw new Error(`${who}: factor must be < 1, got ${factor}`);
    this.factor = factor;
    this.patience = integer(who, "patience", options.patience, 0, 10);
    this.threshold = nonNegative(who, "threshold", options.threshold, 1e-4);
    this.cooldown = integer(who, "cooldown", options.cooldown, 0, 0);
    this.eps = nonNegative(who, "eps", options.eps, 1e-8);
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr)) {
      if (minLr.length !== this.groups.length) throw new Error(`${who}: expected ${this.groups.length} minLr values (one per parameter group), got ${minLr.length}`);
      this.minLrs = Object.freeze(minLr.map((v, i) => nonNegative(who, `minLr[${i}]`, v, Number.NaN)));
    } else {
      const v = nonNegative(who, "minLr", minLr, 0);
      this.minLrs = Object.freeze(this.groups.map(() => v));
    }
    this.bestValue = this.worse;
    this.lasts = this.groups.map((g) => g.lr);
  }

  /** The fixed options, as saved in the state dict. */
  get config(): Record<string, HyperParameter> {
    const { mode, factor, patience, threshold, thresholdMode, cooldown, eps } = this;
    return { mode, factor, patience, threshold, thresholdMode, cooldown, minLr: [...this.minLrs], eps };
  }

  /** Best metric so far (PyTorch's `best`; ±Infinity before the first step). */
  get best(): number {
    return this.bestValue;
  }

  /** Epochs without improvement since the last improvement, reduction or cooldown epoch. */
  get numBadEpochs(): number {
    return this.bad;
  }

  /** Epochs of cooldown left. */
  get cooldownCounter(): number {
    return this.cooldownLeft;
  }

  /** Number of `step(metric)` calls. */
  get lastEpoch(): number {
    return this.epoch;
  }

  private get worse(): number {
    return this.mode === "min" ? Infinity : -Infinity;
  }

  /** Whether `a` improves on `best` (PyTorch's `is_better`). */
  isBetter(a: number, best: number): boolean {
    const t = this.threshold;
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - t) : a < best - t;
    return this.thresholdMode === "rel" ? a > best * (t + 1) : a > best + t;
  }

  /** One epoch's metric (e.g. the validation loss): counts it and lowers every group's rate on a plateau. */
  step(metric: number): void {
    if (typeof metric !== "number") throw new Error(`ReduceLROnPlateau: step(metric) needs a number, got ${String(metric)}`);
    this.epoch += 1;
    if (this.isBetter(metric, this.bestValue)) {
      this.bestValue = metric;
      this.bad = 0;
    } else {
      this.bad += 1;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft -= 1;
      this.bad = 0; // bad epochs are ignored in cooldown
    }
    if (this.bad > this.patience) {
      this.groups.forEach((g, i) => {
        const old = g.lr;
        const next = Math.max(old * this.factor, this.minLrs[i]);
        if (old - next > this.eps) g.lr = next;
      });
      this.cooldownLeft = this.cooldown;
      this.bad = 0;
    }
    this.lasts = this.groups.map((g) => g.lr);
  }

  /** Per group, the rate after the last step (PyTorch's `_last_lr`). */
  getLastLrs(): number[] {
    return [...this.lasts];
  }

  /** A copy of the state (JSON as is). */
  stateDict(): ReduceLROnPlateauState {
    return {
      type: this.type,
      config: this.config,
      lastEpoch: this.epoch,
      best: this.bestValue,
      numBadEpochs: this.bad,
      cooldownCounter: this.cooldownLeft,
      lastLrs: [...this.lasts],
    };
  }

  /** Restores a state saved with the same options over as many groups (the optimiser's state dict restores its `lr`). */
  loadStateDict(s: ReduceLROnPlateauState): void {
    const who = "ReduceLROnPlateau: loadStateDict";
    if (s === null || typeof s !== "object") throw new Error(`${who}: expected a state dict object`);
    if (s.type !== this.type) throw new Error(`${who}: the state dict is for ${String(s.type)}, not ${this.type}`);
    checkSameConfig(this.type, this.config, s.config, []);
    const epoch = integer(who, "lastEpoch", s.lastEpoch, 0);
    // JSON writes ±Infinity as null: the best before any metric.
    const best = s.best === null ? this.worse : s.best;
    if (typeof best !== "number" || Number.isNaN(best)) throw new Error(`${who}: best must be a number or null, got ${String(s.best)}`);
    const bad = integer(who, "numBadEpochs", s.numBadEpochs, 0);
    const cool = integer(who, "cooldownCounter", s.cooldownCounter, 0);
    if (!Array.isArray(s.lastLrs) || s.lastLrs.length !== this.groups.length) {
      throw new Error(`${who}: lastLrs must be an array of ${this.groups.length} numbers (one per parameter group)`);
    }
    const lasts = s.lastLrs.map((v, i) => finiteNumber(who, `lastLrs[${i}]`, v, Number.NaN));
    this.epoch = epoch;
    this.bestValue = best;
    this.bad = bad;
    this.cooldownLeft = cool;
    this.lasts = lasts;
  }
}
