import { checkKnownOptions, flag, nonNegative } from "./hyper-parameters.js";
import { Optimizer, type HyperParameterSpec, type OptimizerOptions, type ParamGroup, type RmspropKernel, type RmspropScalars } from "./optimizer.js";
import type { FloatArray, ParamsOrGroups } from "./params.js";

/** Options of {@link RMSprop} (torch.optim.RMSprop's, camelCase). */
export interface RMSpropOptions extends OptimizerOptions {
  /** Learning rate; default 1e-2. */
  lr?: number;
  /** Smoothing constant of the squared-gradient average; default 0.99. */
  alpha?: number;
  /** Added to the denominator after the square root; default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
  /** Momentum factor; default 0. */
  momentum?: number;
  /** Normalise by the estimated variance (`squareAvg − gradAvg²`); default false. */
  centered?: boolean;
  /** Maximise the objective instead of minimising it; default false. */
  maximize?: boolean;
}

/** Hyper-parameters of {@link RMSprop} as saved in its state dict. */
export type RMSpropConfig = {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
};

/** A parameter group of {@link RMSprop}: its parameters and hyper-parameters. */
export type RMSpropParamGroup = ParamGroup<RMSpropConfig>;

/**
 * State arrays of {@link RMSprop}, each `[numel]`: `squareAvg`; `momentumBuffer` when
 * momentum > 0; `gradAvg` when centered.
 */
export type RMSpropStateArrays = { squareAvg: Float32Array; momentumBuffer?: Float32Array; gradAvg?: Float32Array };

const HYPER = ["lr", "alpha", "eps", "weightDecay", "momentum", "centered", "maximize"];
const KNOWN = [...HYPER, "allocState", "rmspropKernel"];

/** RMSprop's hyper-parameters: `lr` and `momentum` may change between steps (momentum not to or from 0). */
const SPEC: HyperParameterSpec<RMSpropConfig> = {
  known: HYPER,
  mutable: ["lr", "momentum"],
  resolve: (owner, o) => ({
    lr: nonNegative(owner, "lr", o.lr, 1e-2),
    alpha: nonNegative(owner, "alpha", o.alpha, 0.99),
    eps: nonNegative(owner, "eps", o.eps, 1e-8),
    weightDecay: nonNegative(owner, "weightDecay", o.weightDecay, 0),
    momentum: nonNegative(owner, "momentum", o.momentum, 0),
    centered: flag(owner, "centered", o.centered, false),
    maximize: flag(owner, "maximize", o.maximize, false),
  }),
  check(owner, g, initial) {
    nonNegative(owner, "momentum", g.momentum, Number.NaN);
    if (g.momentum > 0 !== initial.momentum > 0) {
      throw new Error(
        `${owner}: momentum cannot change ${initial.momentum > 0 ? "to 0" : "from 0"} after construction (it decides whether the group has a momentum buffer), got ${g.momentum}`,
      );
    }
  },
};

/**
 * RMSprop as torch 1.13's `_single_tensor_rmsprop`: `g ← ∇ + wd·p`;
 * `v ← α·v + (1 − α)·g²`; centered: `ḡ ← α·ḡ + (1 − α)·g`, `avg = √(v − ḡ²) + eps`, else
 * `avg = √v + eps` (eps after the square root); with momentum `buf ← μ·buf + g/avg`,
 * `p ← p − lr·buf`, else `p ← p − lr·g/avg`.
 *
 * @example
 * const opt = new RMSprop(model.parameters(), { lr: 1e-3, centered: true });
 */
export class RMSprop extends Optimizer<RMSpropConfig, RMSpropStateArrays> {
  /** The constructor's alpha (a group may override it: see `paramGroups`). */
  readonly alpha: number;
  /** The constructor's eps. */
  readonly eps: number;
  /** The constructor's weightDecay. */
  readonly weightDecay: number;
  /** The constructor's momentum. */
  readonly momentum: number;
  /** The constructor's centered. */
  readonly centered: boolean;
  /** The constructor's maximize. */
  readonly maximize: boolean;
  private readonly squareAvg: Float32Array;
  private readonly momentumBuffer: Float32Array | null;
  private readonly gradAvg: Float32Array | null;
  private readonly kernel: RmspropKernel | null;
  /** The scalars handed to `kernel`, updated in place each step (no allocation). */
  private readonly scalars: RmspropScalars = { lr: 0, alpha: 0, eps: 0, weightDecay: 0, momentum: 0, sign: 1 };

  /**
   * @param params a list of parameters (each `data` and `grad.data` of equal length), one flat range,
   *   or parameter groups `[{ params, lr?, alpha?, ... }]`.
   * @param options hyper-parameters (PyTorch's defaults; each group's defaults).
   */
  constructor(params: ParamsOrGroups<RMSpropConfig>, options: RMSpropOptions = {}) {
    if (options === null || typeof options !== "object") throw new Error("RMSprop: options must be an object");
    checkKnownOptions("RMSprop", options, KNOWN);
    super("RMSprop", params, options as RMSpropOptions & Record<string, unknown>, SPEC);
    const d = this.defaults;
    this.alpha = d.alpha;
    this.eps = d.eps;
    this.weightDecay = d.weightDecay;
    this.momentum = d.momentum;
    this.centered = d.centered;
    this.maximize = d.maximize;
    if (options.rmspropKernel !== undefined && typeof options.rmspropKernel !== "function") throw new Error("RMSprop: rmspropKernel must be a function");
    this.kernel = options.rmspropKernel ?? null;
    // Each array covers every group when any group needs it; the others leave their range at 0.
    this.squareAvg = this.addState("squareAvg");
    this.momentumBuffer = this.paramGroups.some((g) => g.momentum > 0) ? this.addState("momentumBuffer") : null;
    this.gradAvg = this.paramGroups.some((g) => g.centered) ? this.addState("gradAvg") : null;
  }

  protected beginGroup(): void {
    // RMSprop's update does not depend on the step count.
  }

  protected updateSlot(p: FloatArray, g: FloatArray, off: number, group: RMSpropParamGroup): void {
    const lr = group.lr;
    const alpha = group.alpha;
    const eps = group.eps;
    const wd = group.weightDecay;
    const momentum = group.momentum;
    const sign = group.maximize ? -1 : 1;
    const sq = this.squareAvg;
    const gAvg = group.centered ? this.gradAvg : null;
    const buf = momentum > 0 ? this.momentumBuffer : null;
    const n = p.length;
    if (this.kernel !== null && p instanceof Float32Array && g instanceof Float32Array) {
      const h = this.scalars;
      h.lr = lr;
      h.alpha = alpha;
      h.eps = eps;
      h.weightDecay = wd;
      h.momentum = momentum;
      h.sign = sign;
      const whole = off === 0 && n === sq.length;
      const vs = whole ? sq : sq.subarray(off, off + n);
      const va = gAvg === null ? null : whole ? gAvg : gAvg.subarray(off, off + n);
      const vb = buf === null ? null : whole ? buf : buf.subarray(off, off + n);
      if (this.kernel(p, g, vs, va, vb, h)) return;
    }
    for (let i = 0; i < n; i++) {
      const j = off + i;
      const d = wd !== 0 ? sign * g[i] + wd * p[i] : sign * g[i];
      const v = alpha * sq[j] + (1 - alpha) * d * d;
      sq[j] = v;
      let avg: number;
      if (gAvg !== null) {
        const m = alpha * gAvg[j] + (1 - alpha) * d;
        gAvg[j] = m;
        avg = Math.sqrt(v - m * m) + eps;
      } else {
        avg = Math.sqrt(v) + eps;
      }
      if (buf !== null) {
        const b = momentum * buf[j] + d / avg;
        buf[j] = b;
        p[i] = p[i] - lr * b;
      } else {
        p[i] = p[i] - lr * (d / avg);
      }
    }
  }
}
