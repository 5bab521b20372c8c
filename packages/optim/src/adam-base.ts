import { checkKnownOptions, flag, nonNegative, unitInterval } from "./hyper-parameters.js";
import { Optimizer, type AdamKernel, type AdamScalars, type OptimizerOptions } from "./optimizer.js";
import type { FloatArray, Params } from "./params.js";

/** Options of {@link Adam} and {@link AdamW} (torch.optim's, camelCase). */
export interface AdamOptions extends OptimizerOptions {
  /** Learning rate; default 1e-3. */
  lr?: number;
  /** Decay rates `[β1, β2]` of the first and second moment averages, each in [0, 1); default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added to the denominator after the bias-corrected square root; default 1e-8. */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay `p ← p·(1 − lr·wd)` (default 1e-2). */
  weightDecay?: number;
  /** Use the running maximum of the second moment (AMSGrad); default false. */
  amsgrad?: boolean;
  /** Maximise the objective instead of minimising it; default false. */
  maximize?: boolean;
}

/** Hyper-parameters of {@link Adam} and {@link AdamW} as saved in their state dicts. */
export type AdamConfig = {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
};

/** State arrays of {@link Adam} and {@link AdamW}, each `[numel]`: `expAvg`, `expAvgSq`; `maxExpAvgSq` with amsgrad. */
export type AdamStateArrays = { expAvg: Float32Array; expAvgSq: Float32Array; maxExpAvgSq?: Float32Array };

const KNOWN = ["lr", "betas", "eps", "weightDecay", "amsgrad", "maximize", "allocState", "adamKernel"];

/**
 * The update Adam and AdamW share (torch 1.13's `_single_tensor_adam` / `_single_tensor_adamw`);
 * they differ only in how weight decay enters. Not exported from the package.
 */
export abstract class AdamBase extends Optimizer<AdamConfig, AdamStateArrays> {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  readonly maximize: boolean;
  private readonly decoupled: boolean;
  private readonly expAvg: Float32Array;
  private readonly expAvgSq: Float32Array;
  private readonly maxExpAvgSq: Float32Array | null;
  // Per-step scalars, computed in beginStep so that the slot loops allocate nothing.
  private stepSize = 0;
  private bias2Sqrt = 1;
  private readonly kernel: AdamKernel | null;
  /** The scalars handed to `kernel`, updated in place each step (no allocation). */
  private readonly scalars: AdamScalars = { decay: 1, l2: 0, sign: 1, beta1: 0, beta2: 0, stepSize: 0, bias2Sqrt: 1, eps: 0 };

  protected constructor(type: "Adam" | "AdamW", params: Params, options: AdamOptions, decoupled: boolean, defaultWeightDecay: number) {
    if (options === null || typeof options !== "object") throw new Error(`${type}: options must be an object`);
    checkKnownOptions(type, options, KNOWN);
    super(type, params, options.lr ?? 1e-3, options);
    const betas = options.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw new Error(`${type}: betas must be a pair [beta1, beta2], got ${JSON.stringify(betas)}`);
    this.betas = Object.freeze([unitInterval(type, "betas[0]", betas[0], 0.9), unitInterval(type, "betas[1]", betas[1], 0.999)] as const);
    this.eps = nonNegative(type, "eps", options.eps, 1e-8);
    this.weightDecay = nonNegative(type, "weightDecay", options.weightDecay, defaultWeightDecay);
    this.amsgrad = flag(type, "amsgrad", options.amsgrad, false);
    this.maximize = flag(type, "maximize", options.maximize, false);
    this.decoupled = decoupled;
    if (options.adamKernel !== undefined && typeof options.adamKernel !== "function") throw new Error(`${type}: adamKernel must be a function`);
    this.kernel = options.adamKernel ?? null;
    this.expAvg = this.addState("expAvg");
    this.expAvgSq = this.addState("expAvgSq");
    this.maxExpAvgSq = this.amsgrad ? this.addState("maxExpAvgSq") : null;
  }

  get config(): AdamConfig {
    const { lr, eps, weightDecay, amsgrad, maximize } = this;
    return { lr, betas: [this.betas[0], this.betas[1]], eps, weightDecay, amsgrad, maximize };
  }

  protected beginStep(step: number): void {
    const biasCorrection1 = 1 - this.betas[0] ** step;
    const biasCorrection2 = 1 - this.betas[1] ** step;
    this.stepSize = this.lr / biasCorrection1;
    this.bias2Sqrt = Math.sqrt(biasCorrection2);
  }

  protected updateSlot(p: FloatArray, g: FloatArray, off: number): void {
    const beta1 = this.betas[0];
    const beta2 = this.betas[1];
    const eps = this.eps;
    const wd = this.weightDecay;
    const l2 = this.decoupled ? 0 : wd;
    // AdamW: torch multiplies by (1 - lr*wd) unconditionally, before the moments.
    const decay = this.decoupled ? 1 - this.lr * wd : 1;
    const sign = this.maximize ? -1 : 1;
    const stepSize = this.stepSize;
    const bias2Sqrt = this.bias2Sqrt;
    const m1 = this.expAvg;
    const m2 = this.expAvgSq;
    const mx = this.maxExpAvgSq;
    const n = p.length;
    if (this.kernel !== null && p instanceof Float32Array && g instanceof Float32Array) {
      const h = this.scalars;
      h.decay = decay;
      h.l2 = l2;
      h.sign = sign;
      h.beta1 = beta1;
      h.beta2 = beta2;
      h.stepSize = stepSize;
      h.bias2Sqrt = bias2Sqrt;
      h.eps = eps;
      const whole = off === 0 && n === m1.length;
      const v1 = whole ? m1 : m1.subarray(off, off + n);
      const v2 = whole ? m2 : m2.subarray(off, off + n);
      const vx = mx === null ? null : whole ? mx : mx.subarray(off, off + n);
      if (this.kernel(p, g, v1, v2, vx, h)) return;
    }
    for (let i = 0; i < n; i++) {
      const j = off + i;
      const pi = p[i] * decay;
      const d = l2 !== 0 ? sign * g[i] + l2 * pi : sign * g[i];
      const m = beta1 * m1[j] + (1 - beta1) * d;
      const v = beta2 * m2[j] + (1 - beta2) * d * d;
      m1[j] = m;
      m2[j] = v;
      let vHat = v;
      if (mx !== null) {
        vHat = Math.max(mx[j], v);
        mx[j] = vHat;
      }
      // eps after the bias-corrected square root, as torch.optim.Adam does.
      const denom = Math.sqrt(vHat) / bias2Sqrt + eps;
      p[i] = pi - stepSize * (m / denom);
    }
  }
}
