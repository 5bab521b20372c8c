import { checkKnownOptions, finiteNumber, flag, integer, type HyperParameter } from "./hyper-parameters.js";
import { LRScheduler, lrGroups, type LrGroup, type SchedulableOptimizer } from "./lr-scheduler.js";

/** Options of {@link OneCycleLR} (torch.optim.lr_scheduler.OneCycleLR's, camelCase). */
export interface OneCycleLROptions {
  /** Peak learning rate: one for all groups, or one per group. Required. */
  maxLr: number | readonly number[];
  /** Steps in the cycle (integer >= 1); or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /** With `stepsPerEpoch`: `totalSteps = epochs·stepsPerEpoch`. */
  epochs?: number;
  /** With `epochs`. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate, in [0, 1]; default 0.3. */
  pctStart?: number;
  /** `cos` (default) or `linear` annealing. */
  annealStrategy?: "cos" | "linear";
  /**
   * Cycle the momentum inversely to the rate, between `maxMomentum` and `baseMomentum`: SGD's and
   * RMSprop's `momentum`, Adam's and AdamW's `betas[0]`. Default true, as in PyTorch.
   */
  cycleMomentum?: boolean;
  /** Lowest momentum (at the peak rate): one, or one per group; default 0.85. */
  baseMomentum?: number | readonly number[];
  /** Highest momentum (at the start and end): one, or one per group; default 0.95. */
  maxMomentum?: number | readonly number[];
  /** `initialLr = maxLr / divFactor`; default 25. */
  divFactor?: number;
  /** `minLr = initialLr / finalDivFactor`; default 1e4. */
  finalDivFactor?: number;
  /** A third phase: up to maxLr, back to initialLr, then down to minLr (fast.ai's schedule is the two-phase one); default false. */
  threePhase?: boolean;
}

interface Phase {
  endStep: number;
  startLr: "initial" | "max" | "min";
  endLr: "initial" | "max" | "min";
  startMomentum: "max" | "base";
  endMomentum: "max" | "base";
}

/** One value per group from a number or a list (PyTorch's `_format_param`). */
function perGroup(who: string, name: string, value: unknown, n: number, fallback?: number): number[] {
  if (Array.isArray(value)) {
    if (value.length !== n) throw new Error(`${who}: expected ${n} values of ${name} (one per parameter group), got ${value.length}`);
    return value.map((v, i) => finiteNumber(who, `${name}[${i}]`, v, Number.NaN));
  }
  if (value === undefined && fallback === undefined) throw new Error(`${who}: ${name} is required`);
  const v = finiteNumber(who, name, value, fallback ?? Number.NaN);
  return Array.from({ length: n }, () => v);
}

/**
 * PyTorch's `OneCycleLR` (Smith & Topor, "Super-Convergence"), stepped once per batch: from
 * `initialLr = maxLr/divFactor` up to `maxLr` over the first `pctStart·totalSteps − 1` steps,
 * then down to `minLr = initialLr/finalDivFactor` at step `totalSteps − 1` (with `threePhase`:
 * up, back to initialLr at `2·pctStart·totalSteps − 2`, then down to minLr). Within a phase
 * ending at `end` and starting at `start` (the previous phase's end, 0 for the first),
 * `pct = (step − start)/(end − start)` and, as torch's `_annealing_cos` / `_annealing_linear`,
 * `cos: end + (start − end)/2·(cos(π·pct) + 1)`, `linear: (end − start)·pct + start`.
 * Momentum follows the opposite path (maxMomentum → baseMomentum → maxMomentum). It sets each
 * group's `initialLr` (overriding an earlier scheduler's, as PyTorch does). Stepping past
 * `totalSteps` is an error, as in PyTorch.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * const sched = new OneCycleLR(opt, { maxLr: 0.1, epochs: 10, stepsPerEpoch: batches });
 * // per batch: opt.step(); sched.step();
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly pctStart: number;
  readonly annealStrategy: "cos" | "linear";
  readonly cycleMomentum: boolean;
  readonly divFactor: number;
  readonly finalDivFactor: number;
  readonly threePhase: boolean;
  /** Per group: the peak, starting and final rates. */
  readonly maxLrs: readonly number[];
  readonly initialLrs: readonly number[];
  readonly minLrs: readonly number[];
  /** Per group: the momentum bounds (when `cycleMomentum`). */
  readonly baseMomentums: readonly number[];
  readonly maxMomentums: readonly number[];
  /** Whether the momentum is `betas[0]` (Adam, AdamW) rather than `momentum` (SGD, RMSprop). */
  readonly useBeta1: boolean;
  private readonly phases: readonly Phase[];

  /**
   * @param optimizer an optimiser (every parameter group) or an object with a settable `lr`
   *   (then `cycleMomentum: false`).
   * @param options `maxLr` and `totalSteps` (or `epochs` and `stepsPerEpoch`); the rest PyTorch's defaults.
   */
  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    const who = "OneCycleLR";
    if (options === null || typeof options !== "object") throw new Error(`${who}: options with maxLr and totalSteps (or epochs and stepsPerEpoch) are required`);
    checkKnownOptions(who, options, [
      "maxLr", "totalSteps", "epochs", "stepsPerEpoch", "pctStart", "annealStrategy", "cycleMomentum",
      "baseMomentum", "maxMomentum", "divFactor", "finalDivFactor", "threePhase",
    ]);
    const groups = lrGroups(who, optimizer);
    let totalSteps: number;
    if (options.totalSteps !== undefined) {
      totalSteps = integer(who, "totalSteps", options.totalSteps, 1);
    } else if (options.epochs !== undefined || options.stepsPerEpoch !== undefined) {
      totalSteps = integer(who, "epochs", options.epochs, 1) * integer(who, "stepsPerEpoch", options.stepsPerEpoch, 1);
    } else {
      throw new Error(`${who}: you must define either totalSteps or (epochs and stepsPerEpoch)`);
    }
    const pctStart = finiteNumber(who, "pctStart", options.pctStart, 0.3);
    if (!(pctStart >= 0 && pctStart <= 1)) throw new Error(`${who}: pctStart must be in [0, 1], got ${pctStart}`);
    const anneal = options.annealStrategy ?? "cos";
    if (anneal !== "cos" && anneal !== "linear") throw new Error(`${who}: annealStrategy must be "cos" or "linear", got ${JSON.stringify(anneal)}`);
    const divFactor = finiteNumber(who, "divFactor", options.divFactor, 25);
    const finalDivFactor = finiteNumber(who, "finalDivFactor", options.finalDivFactor, 1e4);
    const threePhase = flag(who, "threePhase", options.threePhase, false);
    const cycleMomentum = flag(who, "cycleMomentum", options.cycleMomentum, true);
    const maxLrs = perGroup(who, "maxLr", options.maxLr, groups.length);
    const n = groups.length;
    const baseMomentums = perGroup(who, "baseMomentum", options.baseMomentum, n, 0.85);
    const maxMomentums = perGroup(who, "maxMomentum", options.maxMomentum, n, 0.95);
    // Which momentum to cycle, checked before anything is changed.
    const g0 = groups[0] as LrGroup & { betas?: unknown; momentum?: unknown };
    const useBeta1 = Array.isArray(g0.betas);
    if (cycleMomentum) {
      if (!useBeta1 && typeof g0.momentum !== "number") {
        throw new Error(`${who}: cycleMomentum needs an optimizer with momentum (SGD, RMSprop) or betas (Adam, AdamW); pass cycleMomentum: false`);
      }
      if (!useBeta1) {
        groups.forEach((g, i) => {
          const m = (g as LrGroup & { momentum?: number }).momentum;
          // Ours are fixed at construction: a group without momentum has no momentum buffer to cycle.
          if (!(typeof m === "number" && m > 0)) {
            throw new Error(
              `${who}: cycleMomentum needs momentum > 0 in every group, but param group ${i} has momentum ${String(m)} (build the optimizer with momentum, or pass cycleMomentum: false)`,
            );
          }
        });
      }
    }
    const initialLrs = maxLrs.map((m) => m / divFactor);
    // PyTorch sets group["initial_lr"] itself, so the base class's base rates are these.
    groups.forEach((g, i) => (g.initialLr = initialLrs[i]));
    if (cycleMomentum) {
      groups.forEach((g, i) => {
        const gg = g as LrGroup & { betas?: number[]; momentum?: number };
        if (useBeta1) gg.betas = [maxMomentums[i], (gg.betas as number[])[1]];
        else gg.momentum = maxMomentums[i];
      });
    }
    super(who, optimizer);
    this.totalSteps = totalSteps;
    this.pctStart = pctStart;
    this.annealStrategy = anneal;
    this.divFactor = divFactor;
    this.finalDivFactor = finalDivFactor;
    this.threePhase = threePhase;
    this.cycleMomentum = cycleMomentum;
    this.maxLrs = Object.freeze(maxLrs);
    this.initialLrs = Object.freeze(initialLrs);
    this.minLrs = Object.freeze(initialLrs.map((l) => l / finalDivFactor));
    this.baseMomentums = Object.freeze(baseMomentums);
    this.maxMomentums = Object.freeze(maxMomentums);
    this.useBeta1 = useBeta1;
    // PyTorch's phase table (end steps as floats, exactly).
    this.phases = threePhase
      ? [
          { endStep: pctStart * totalSteps - 1, startLr: "initial", endLr: "max", startMomentum: "max", endMomentum: "base" },
          { endStep: 2 * pctStart * totalSteps - 2, startLr: "max", endLr: "initial", startMomentum: "base", endMomentum: "max" },
          { endStep: totalSteps - 1, startLr: "initial", endLr: "min", startMomentum: "max", endMomentum: "max" },
        ]
      : [
          { endStep: pctStart * totalSteps - 1, startLr: "initial", endLr: "max", startMomentum: "max", endMomentum: "base" },
          { endStep: totalSteps - 1, startLr: "max", endLr: "min", startMomentum: "base", endMomentum: "max" },
        ];
    this.initialStep();
  }

  get config(): Record<string, HyperParameter> {
    return {
      maxLr: [...this.maxLrs],
      totalSteps: this.totalSteps,
      pctStart: this.pctStart,
      annealStrategy: this.annealStrategy,
      cycleMomentum: this.cycleMomentum,
      baseMomentum: [...this.baseMomentums],
      maxMomentum: [...this.maxMomentums],
      divFactor: this.divFactor,
      finalDivFactor: this.finalDivFactor,
      threePhase: this.threePhase,
    };
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === "cos") return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected computeLr(group: LrGroup, _baseLr: number, i: number): number {
    const step = this.lastEpoch;
    if (step > this.totalSteps) throw new Error(`OneCycleLR: tried to step ${step} times; the specified number of total steps is ${this.totalSteps}`);
    const lrOf = { initial: this.initialLrs[i], max: this.maxLrs[i], min: this.minLrs[i] };
    const momOf = { max: this.maxMomentums[i], base: this.baseMomentums[i] };
    let start = 0;
    for (let k = 0; k < this.phases.length; k++) {
      const ph = this.phases[k];
      if (step <= ph.endStep || k === this.phases.length - 1) {
        const pct = (step - start) / (ph.endStep - start);
        if (this.cycleMomentum) {
          const m = this.anneal(momOf[ph.startMomentum], momOf[ph.endMomentum], pct);
          const g = group as LrGroup & { betas?: number[]; momentum?: number };
          if (this.useBeta1) g.betas = [m, (g.betas as number[])[1]];
          else g.momentum = m;
        }
        return this.anneal(lrOf[ph.startLr], lrOf[ph.endLr], pct);
      }
      start = ph.endStep;
    }
    throw new Error("OneCycleLR: unreachable (the last phase always matches)");
  }
}
