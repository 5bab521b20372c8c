import { checkKnownOptions, flag, nonNegative } from "./hyper-parameters.js";
import { Optimizer, type OptimizerOptions, type RmspropKernel, type RmspropScalars } from "./optimizer.js";
import type { FloatArray, Params } from "./params.js";

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

/**
 * State arrays of {@link RMSprop}, each `[numel]`: `squareAvg`; `momentumBuffer` when
 * momentum > 0; `gradAvg` when centered.
 */
export type RMSpropStateArrays = { squareAvg: Float32Array; momentumBuffer?: Float32Array; gradAvg?: Float32Array };

const KNOWN = ["lr", "alpha", "eps", "weightDecay", "momentum", "centered", "maximize", "allocState", "rmspropKernel"];

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
  readonly alpha: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly momentum: number;
  readonly centered: boolean;
  readonly maximize: boolean;
  private readonly squareAvg: Float32Array;
  private readonly momentumBuffer: Float32Array | null;
  private readonly gradAvg: Float32Array | null;
  private readonly kernel: RmspropKernel | null;
  /** The scalars handed to `kernel`, updated in place each step (no allocation). */
  private readonly scalars: RmspropScalars = { lr: 0, alpha: 0, eps: 0, weightDecay: 0, momentum: 0, sign: 1 };

  /**
   * @param params a list of parameters (each `data` and `grad.data` of equal length) or one flat range.
   * @param options hyper-parameters (PyTorch's defaults).
   */
  constructor(params: Params, options: RMSpropOptions = {}) {
    checkKnownOptions("RMSprop", options, KNOWN);
    super("RMSprop", params, options.lr ?? 1e-2, options);
    this.alpha = nonNegative("RMSprop", "alpha", options.alpha, 0.99);
    this.eps = nonNegative("RMSprop", "eps", options.eps, 1e-8);
    this.weightDecay = nonNegative("RMSprop", "weightDecay", options.weightDecay, 0);
    this.momentum = nonNegative("RMSprop", "momentum", options.momentum, 0);
    this.centered = flag("RMSprop", "centered", options.centered, false);
    this.maximize = flag("RMSprop", "maximize", options.maximize, false);
    if (options.rmspropKernel !== undefined && typeof options.rmspropKernel !== "function") throw new Error("RMSprop: rmspropKernel must be a function");
    this.kernel = options.rmspropKernel ?? null;
    this.squareAvg = this.addState("squareAvg");
    this.momentumBuffer = this.momentum > 0 ? this.addState("momentumBuffer") : null;
    this.gradAvg = this.centered ? this.addState("gradAvg") : null;
  }

  get config(): RMSpropConfig {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = this;
    return { lr, alpha, eps, weightDecay, momentum, centered, maximize };
  }

  protected beginStep(): void {
    // RMSprop's update does not depend on the step count.
  }

  protected updateSlot(p: FloatArray, g: FloatArray, off: number): void {
    const lr = this.lr;
    const alpha = this.alpha;
    const eps = this.eps;
    const wd = this.weightDecay;
    const momentum = this.momentum;
    const sign = this.maximize ? -1 : 1;
    const sq = this.squareAvg;
    const gAvg = this.gradAvg;
    const buf = this.momentumBuffer;
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
