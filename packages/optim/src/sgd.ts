import { checkKnownOptions, finiteNumber, flag, nonNegative } from "./hyper-parameters.js";
import { Optimizer, type OptimizerOptions, type SgdKernel, type SgdScalars } from "./optimizer.js";
import type { FloatArray, Params } from "./params.js";

/** Options of {@link SGD} (torch.optim.SGD's, camelCase). */
export interface SGDOptions extends OptimizerOptions {
  /** Learning rate, required (torch.optim.SGD has no default either). */
  lr: number;
  /** Momentum factor; default 0. */
  momentum?: number;
  /** Dampening of the momentum; default 0. */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening = 0); default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient; default 0. */
  weightDecay?: number;
  /** Maximise the objective instead of minimising it; default false. */
  maximize?: boolean;
}

/** Hyper-parameters of {@link SGD} as saved in its state dict. */
export type SGDConfig = {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
};

/** State arrays of {@link SGD}: `momentumBuffer` `[numel]` only when momentum ≠ 0. */
export type SGDStateArrays = { momentumBuffer?: Float32Array };

const KNOWN = ["lr", "momentum", "dampening", "nesterov", "weightDecay", "maximize", "allocState", "sgdKernel"];

/**
 * Stochastic gradient descent with optional (Nesterov) momentum, as torch 1.13's
 * `_single_tensor_sgd`: `g ← ∇ + wd·p`; with momentum `buf ← g` on the first step, then
 * `buf ← momentum·buf + (1 − dampening)·g`; `g ← nesterov ? g + momentum·buf : buf`; `p ← p − lr·g`.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 */
export class SGD extends Optimizer<SGDConfig, SGDStateArrays> {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly maximize: boolean;
  private readonly momentumBuffer: Float32Array | null;
  private firstStep = false;
  private readonly kernel: SgdKernel | null;
  /** The scalars handed to `kernel`, updated in place each step (no allocation). */
  private readonly scalars: SgdScalars = { lr: 0, weightDecay: 0, sign: 1, momentum: 0, scale: 1, nesterov: false, first: false };

  /**
   * @param params a list of parameters (each `data` and `grad.data` of equal length) or one flat range.
   * @param options hyper-parameters; `lr` is required.
   */
  constructor(params: Params, options: SGDOptions) {
    if (options === null || typeof options !== "object") throw new Error("SGD: options with lr are required");
    checkKnownOptions("SGD", options, KNOWN);
    if (options.lr === undefined) throw new Error("SGD: lr is required (torch.optim.SGD has no default learning rate)");
    super("SGD", params, options.lr, options);
    this.momentum = nonNegative("SGD", "momentum", options.momentum, 0);
    this.dampening = finiteNumber("SGD", "dampening", options.dampening, 0);
    this.nesterov = flag("SGD", "nesterov", options.nesterov, false);
    this.weightDecay = nonNegative("SGD", "weightDecay", options.weightDecay, 0);
    this.maximize = flag("SGD", "maximize", options.maximize, false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error(
        `SGD: nesterov requires momentum > 0 and dampening = 0, got momentum ${this.momentum}, dampening ${this.dampening}`,
      );
    }
    if (options.sgdKernel !== undefined && typeof options.sgdKernel !== "function") throw new Error("SGD: sgdKernel must be a function");
    this.kernel = options.sgdKernel ?? null;
    this.momentumBuffer = this.momentum !== 0 ? this.addState("momentumBuffer") : null;
  }

  get config(): SGDConfig {
    const { lr, momentum, dampening, nesterov, weightDecay, maximize } = this;
    return { lr, momentum, dampening, nesterov, weightDecay, maximize };
  }

  protected beginStep(step: number): void {
    // torch creates the momentum buffer as a copy of the first gradient, without dampening.
    this.firstStep = step === 1;
  }

  protected updateSlot(p: FloatArray, g: FloatArray, off: number): void {
    const lr = this.lr;
    const wd = this.weightDecay;
    const sign = this.maximize ? -1 : 1;
    const n = p.length;
    const buf = this.momentumBuffer;
    if (this.kernel !== null && p instanceof Float32Array && g instanceof Float32Array) {
      const h = this.scalars;
      h.lr = lr;
      h.weightDecay = wd;
      h.sign = sign;
      h.momentum = this.momentum;
      h.scale = 1 - this.dampening;
      h.nesterov = this.nesterov;
      h.first = this.firstStep;
      const b = buf === null ? null : off === 0 && n === buf.length ? buf : buf.subarray(off, off + n);
      if (this.kernel(p, g, b, h)) return;
    }
    if (buf === null) {
      for (let i = 0; i < n; i++) {
        const d = wd !== 0 ? sign * g[i] + wd * p[i] : sign * g[i];
        p[i] = p[i] - lr * d;
      }
      return;
    }
    const momentum = this.momentum;
    const scale = 1 - this.dampening;
    const first = this.firstStep;
    const nesterov = this.nesterov;
    for (let i = 0; i < n; i++) {
      const d = wd !== 0 ? sign * g[i] + wd * p[i] : sign * g[i];
      const b = first ? d : momentum * buf[off + i] + scale * d;
      buf[off + i] = b;
      p[i] = p[i] - lr * (nesterov ? d + momentum * b : b);
    }
  }
}
