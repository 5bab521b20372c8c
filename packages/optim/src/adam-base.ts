import { checkKnownOptions, flag, nonNegative, unitInterval } from "./hyper-parameters.js";
import { Optimizer, type AdamKernel, type AdamScalars, type HyperParameterSpec, type OptimizerOptions, type ParamGroup } from "./optimizer.js";
import type { FloatArray, ParamsOrGroups } from "./params.js";

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

/** A parameter group of {@link Adam} or {@link AdamW}: its parameters and hyper-parameters. */
export type AdamParamGroup = ParamGroup<AdamConfig>;

/** State arrays of {@link Adam} and {@link AdamW}, each `[numel]`: `expAvg`, `expAvgSq`; `maxExpAvgSq` with amsgrad. */
export type AdamStateArrays = { expAvg: Float32Array; expAvgSq: Float32Array; maxExpAvgSq?: Float32Array };

const HYPER = ["lr", "betas", "eps", "weightDecay", "amsgrad", "maximize"];
const KNOWN = [...HYPER, "allocState", "adamKernel"];

function betasOf(owner: string, betas: unknown): [number, number] {
  if (!Array.isArray(betas) || betas.length !== 2) throw new Error(`${owner}: betas must be a pair [beta1, beta2], got ${JSON.stringify(betas)}`);
  return [unitInterval(owner, "betas[0]", betas[0], 0.9), unitInterval(owner, "betas[1]", betas[1], 0.999)];
}

/** Adam's hyper-parameters (`weightDecay`'s default differs for AdamW); `lr` and `betas` may change between steps. */
function spec(defaultWeightDecay: number): HyperParameterSpec<AdamConfig> {
  return {
    known: HYPER,
    mutable: ["lr", "betas"],
    resolve: (owner, o) => ({
      lr: nonNegative(owner, "lr", o.lr, 1e-3),
      betas: betasOf(owner, o.betas ?? [0.9, 0.999]),
      eps: nonNegative(owner, "eps", o.eps, 1e-8),
      weightDecay: nonNegative(owner, "weightDecay", o.weightDecay, defaultWeightDecay),
      amsgrad: flag(owner, "amsgrad", o.amsgrad, false),
      maximize: flag(owner, "maximize", o.maximize, false),
    }),
    check(owner, g) {
      const b = g.betas as unknown;
      if (!Array.isArray(b) || b.length !== 2) throw new Error(`${owner}: betas must be a pair [beta1, beta2], got ${JSON.stringify(b)}`);
      unitInterval(owner, "betas[0]", b[0], Number.NaN);
      unitInterval(owner, "betas[1]", b[1], Number.NaN);
    },
  };
}

const ADAM_SPEC = spec(0);
const ADAMW_SPEC = spec(1e-2);

/**
 * The update Adam and AdamW share (torch 1.13's `_single_tensor_adam` / `_single_tensor_adamw`);
 * they differ only in how weight decay enters. Not exported from the package.
 */
export abstract class AdamBase extends Optimizer<AdamConfig, AdamStateArrays> {
  /** The constructor's betas (a group may override them: see `paramGroups`). */
  readonly betas: readonly [number, number];
  /** The constructor's eps. */
  readonly eps: number;
  /** The constructor's weightDecay. */
  readonly weightDecay: number;
  /** The constructor's amsgrad. */
  readonly amsgrad: boolean;
  /** The constructor's maximize. */
  readonly maximize: boolean;
  private readonly decoupled: boolean;
  private readonly expAvg: Float32Array;
  private readonly expAvgSq: Float32Array;
  private readonly maxExpAvgSq: Float32Array | null;
  // Per-group step scalars, computed in beginGroup so that the slot loops allocate nothing.
  private stepSize = 0;
  private bias2Sqrt = 1;
  private readonly kernel: AdamKernel | null;
  /** The scalars handed to `kernel`, updated in place each step (no allocation). */
  private readonly scalars: AdamScalars = { decay: 1, l2: 0, sign: 1, beta1: 0, beta2: 0, stepSize: 0, bias2Sqrt: 1, eps: 0 };

  protected constructor(type: "Adam" | "AdamW", params: ParamsOrGroups<AdamConfig>, options: AdamOptions, decoupled: boolean) {
    if (options === null || typeof options !== "object") throw new Error(`${type}: options must be an object`);
    checkKnownOptions(type, options, KNOWN);
    super(type, params, options as AdamOptions & Record<string, unknown>, decoupled ? ADAMW_SPEC : ADAM_SPEC);
    const d = this.defaults;
    this.betas = Object.freeze([d.betas[0], d.betas[1]] as const);
    this.eps = d.eps;
    this.weightDecay = d.weightDecay;
    this.amsgrad = d.amsgrad;
    this.maximize = d.maximize;
    this.decoupled = decoupled;
    if (options.adamKernel !== undefined && typeof options.adamKernel !== "function") throw new Error(`${type}: adamKernel must be a function`);
    this.kernel = options.adamKernel ?? null;
    this.expAvg = this.addState("expAvg");
    this.expAvgSq = this.addState("expAvgSq");
    // Over every group when any group uses AMSGrad; the others leave their range at 0.
    this.maxExpAvgSq = this.paramGroups.some((g) => g.amsgrad) ? this.addState("maxExpAvgSq") : null;
  }

  protected beginGroup(group: AdamParamGroup, step: number): void {
    const biasCorrection1 = 1 - group.betas[0] ** step;
    const biasCorrection2 = 1 - group.betas[1] ** step;
    this.stepSize = group.lr / biasCorrection1;
    this.bias2Sqrt = Math.sqrt(biasCorrection2);
  }

  protected updateSlot(p: FloatArray, g: FloatArray, off: number, group: AdamParamGroup): void {
    const beta1 = group.betas[0];
    const beta2 = group.betas[1];
    const eps = group.eps;
    const wd = group.weightDecay;
    const l2 = this.decoupled ? 0 : wd;
    // AdamW: torch multiplies by (1 - lr*wd) unconditionally, before the moments.
    const decay = this.decoupled ? 1 - group.lr * wd : 1;
    const sign = group.maximize ? -1 : 1;
    const stepSize = this.stepSize;
    const bias2Sqrt = this.bias2Sqrt;
    const m1 = this.expAvg;
    const m2 = this.expAvgSq;
    const mx = group.amsgrad ? this.maxExpAvgSq : null;
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
