import { checkKnownOptions, flag, integer, nonNegative } from "./hyper-parameters.js";

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Epochs without improvement tolerated; stop on the `patience`-th (integer >= 0). */
  patience: number;
  /** An improvement must beat the best by more than this (>= 0); default 0. */
  minDelta?: number;
  /** `min`: lower is better (a loss); `max`: higher is better (an accuracy). Default `min`. */
  mode?: "min" | "max";
  /** Keep a copy of the weights at the best epoch for {@link EarlyStopping.restoreBest}; default true. */
  restoreBestWeights?: boolean;
}

/**
 * Stops training when a monitored value has not improved for `patience` epochs (Keras'
 * `EarlyStopping` semantics): call `step(value, weights)` once per epoch; on an improvement
 * (better than the best by more than `minDelta`) the weights are copied into a snapshot and
 * the wait resets, otherwise the wait grows and `step` returns true once it reaches `patience`.
 * A NaN value never counts as an improvement.
 *
 * @example
 * const stopper = new EarlyStopping({ patience: 3 });
 * for (let epoch = 0; ; epoch++) {
 *   train();
 *   if (stopper.step(validationLoss(), [flatParams])) break;
 * }
 * stopper.restoreBest([flatParams]);
 */
export class EarlyStopping {
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: "min" | "max";
  readonly restoreBestWeights: boolean;
  private best: number;
  private bestAt = -1;
  private epoch = -1;
  private wait = 0;
  private hasStopped = false;
  private snapshot: Float32Array[] | null = null;

  constructor(options: EarlyStoppingOptions) {
    if (options === null || typeof options !== "object") throw new Error("EarlyStopping: options with patience are required");
    checkKnownOptions("EarlyStopping", options, ["patience", "minDelta", "mode", "restoreBestWeights"]);
    this.patience = integer("EarlyStopping", "patience", options.patience, 0);
    this.minDelta = nonNegative("EarlyStopping", "minDelta", options.minDelta, 0);
    const mode = options.mode ?? "min";
    if (mode !== "min" && mode !== "max") throw new Error(`EarlyStopping: mode must be "min" or "max", got ${String(mode)}`);
    this.mode = mode;
    this.restoreBestWeights = flag("EarlyStopping", "restoreBestWeights", options.restoreBestWeights, true);
    this.best = mode === "min" ? Infinity : -Infinity;
  }

  /** Best value seen (±Infinity before the first `step`). */
  get bestValue(): number {
    return this.best;
  }

  /** 0-based index of the `step` call that gave the best value (-1 before any improvement). */
  get bestEpoch(): number {
    return this.bestAt;
  }

  /** Epochs since the last improvement. */
  get waitCount(): number {
    return this.wait;
  }

  /** Whether `step` has returned true. */
  get stopped(): boolean {
    return this.hasStopped;
  }

  /**
   * Records one epoch's `value`; on an improvement copies `weights` (any arrays, e.g. the
   * flat parameter buffer) into the snapshot. Returns true when training should stop.
   */
  step(value: number, weights?: readonly Float32Array[]): boolean {
    if (typeof value !== "number") throw new Error(`EarlyStopping: value must be a number, got ${String(value)}`);
    this.epoch += 1;
    const improved = this.mode === "min" ? value < this.best - this.minDelta : value > this.best + this.minDelta;
    if (improved) {
      this.best = value;
      this.bestAt = this.epoch;
      this.wait = 0;
      if (this.restoreBestWeights && weights !== undefined) this.save(weights);
    } else {
      this.wait += 1;
      if (this.wait >= this.patience) this.hasStopped = true;
    }
    return this.hasStopped;
  }

  /** Copies the weights saved at the best epoch back into `weights` (same count and lengths). */
  restoreBest(weights: readonly Float32Array[]): void {
    if (!this.restoreBestWeights) throw new Error("EarlyStopping: restoreBest needs restoreBestWeights = true");
    const snap = this.snapshot;
    if (snap === null) throw new Error("EarlyStopping: no weights saved yet (pass weights to step())");
    if (weights.length !== snap.length) throw new Error(`EarlyStopping: restoreBest got ${weights.length} arrays, the snapshot has ${snap.length}`);
    weights.forEach((w, i) => {
      if (w.length !== snap[i].length) throw new Error(`EarlyStopping: restoreBest: array ${i} has ${w.length} elements, the snapshot has ${snap[i].length}`);
    });
    weights.forEach((w, i) => w.set(snap[i]));
  }

  private save(weights: readonly Float32Array[]): void {
    const old = this.snapshot;
    // Reuse the snapshot buffers when the layout is unchanged: no allocation per improvement.
    if (old !== null && old.length === weights.length && old.every((s, i) => s.length === weights[i].length)) {
      weights.forEach((w, i) => old[i].set(w));
    } else {
      this.snapshot = weights.map((w) => Float32Array.from(w));
    }
  }
}
