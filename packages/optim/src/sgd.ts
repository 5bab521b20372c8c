import { checkKnownOptions, finiteNumber, flag, nonNegative } from "./hyper-parameters.js";
import { Optimizer, type HyperParameterSpec, type OptimizerOptions, type ParamGroup, type SgdKernel, type SgdScalars } from "./optimizer.js";
import type { FloatArray, ParamsOrGroups } from "./params.js";

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

/** A parameter group of {@link SGD}: its parameters and hyper-parameters. */
export type SGDParamGroup = ParamGroup<SGDConfig>;

/** State arrays of {@link SGD}: `momentumBuffer` `[numel]` only when momentum ≠ 0. */
export type SGDStateArrays = { momentumBuffer?: Float32Array };

const HYPER = ["lr", "momentum", "dampening", "nesterov", "weightDecay", "maximize"];
const KNOWN = [...HYPER, "allocState", "sgdKernel"];

function checkNesterov(owner: string, nesterov: boolean, momentum: number, dampening: number): void {
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new Error(`${owner}: nesterov requires momentum > 0 and dampening = 0, got momentum ${momentum}, dampening ${dampening}`);
  }
}

/** SGD's hyper-parameters: `lr` and `momentum` may change between steps (momentum not to or from 0). */
const SPEC: HyperParameterSpec<SGDConfig> = {
  known: HYPER,
  mutable: ["lr", "momentum"],
  resolve(owner, o) {
    if (o.lr === undefined) throw new Error(`${owner}: lr is required (torch.optim.SGD has no default learning rate)`);
    const c: SGDConfig = {
      lr: nonNegative(owner, "lr", o.lr, Number.NaN),
      momentum: nonNegative(owner, "momentum", o.momentum, 0),
      dampening: finiteNumber(owner, "dampening", o.dampening, 0),
      nesterov: flag(owner, "nesterov", o.nesterov, false),
      weightDecay: nonNegative(owner, "weightDecay", o.weightDecay, 0),
      maximize: flag(owner, "maximize", o.maximize, false),
    };
    checkNesterov(owner, c.nesterov, c.momentum, c.dampening);
    return c;
  },
  check(owner, g, initial) {
    nonNegative(owner, "momentum", g.momentum, Number.NaN);
    if ((g.momentum !== 0) !== (initial.momentum !== 0)) {
      throw new Error(
        `${owner}: momentum cannot change ${initial.momentum !== 0 ? "to 0" : "from 0"} after construction (it decides whether the group has a momentum buffer), got ${g.momentum}`,
      );
    }
    checkNesterov(owner, g.nesterov, g.momentum, g.dampening);
  },
};

/**
 * Stochastic gradient descent with optional (Nesterov) momentum, as torch 1.13's
 * `_single_tensor_sgd`: `g ← ∇ + wd·p`; with momentum `buf ← g` on the first step, then
 * `buf ← momentum·buf + (1 − dampening)·g`; `g ← nesterov ? g + momentum·buf : buf`; `p ← p − lr·g`.
 *
 * @example
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * // or parameter groups, each option defaulting to the constructor's:
 * const grouped = new SGD([{ params: weights }, { params: biases, weightDecay: 0 }], { lr: 0.1, weightDecay: 1e-4 });
 */
export class SGD extends Optimizer<SGDConfig, SGDStateArrays> {
  /** The constructor's momentum (a group may override it: see `paramGroups`). */
  readonly momentum: number;
  /** The constructor's dampening. */
  readonly dampening: number;
  /** The constructor's nesterov. */
  readonly nesterov: boolean;
  /** The constructor's weightDecay. */
  readonly weightDecay: number;
  /** The constructor's maximize. */
  readonly maximize: boolean;
  private readonly momentumBuffer: Float32Array | null;
  private firstStep = false;
  private readonly kernel: SgdKernel | null;
  /** The scalars handed to `kernel`, updated in place each step (no allocation). */
  private readonly scalars: SgdScalars = { lr: 0, weightDecay: 0, sign: 1, momentum: 0, scale: 1, nesterov: false, first: false };

  /**
   * @param params a list of parameters (each `data` and `grad.data` of equal length), one flat range,
   *   or parameter groups `[{ params, lr?, momentum?, ... }]`.
   * @param options hyper-parameters (each group's defaults); `lr` is required.
   */
  constructor(params: ParamsOrGroups<SGDConfig>, options: SGDOptions) {
    if (options === null || typeof options !== "object") throw new Error("SGD: options with lr are required");
    checkKnownOptions("SGD", options, KNOWN);
    super("SGD", params, options as SGDOptions & Record<string, unknown>, SPEC);
    const d = this.defaults;
    this.momentum = d.momentum;
    this.dampening = d.dampening;
    this.nesterov = d.nesterov;
    this.weightDecay = d.weightDecay;
    this.maximize = d.maximize;
    if (options.sgdKernel !== undefined && typeof options.sgdKernel !== "function") throw new Error("SGD: sgdKernel must be a function");
    this.kernel = options.sgdKernel ?? null;
    // One buffer over every group when any group has momentum; groups without leave their range at 0.
    this.momentumBuffer = this.paramGroups.some((g) => g.momentum !== 0) ? this.addState("momentumBuffer") : null;
  }

  protected beginGroup(_group: SGDParamGroup, step: number): void {
    // torch creates the momentum buffer as a copy of the first gradient, without dampening.
    this.firstStep = step === 1;
  }

  protected updateSlot(p: FloatArray, g: FloatArray, off: number, group: SGDParamGroup): void {
    const lr = group.lr;
    const wd = group.weightDecay;
    const sign = group.maximize ? -1 : 1;
    const n = p.length;
    const buf = group.momentum !== 0 ? this.momentumBuffer : null;
    if (this.kernel !== null && p instanceof Float32Array && g instanceof Float32Array) {
      const h = this.scalars;
      h.lr = lr;
      h.weightDecay = wd;
      h.sign = sign;
      h.momentum = group.momentum;
      h.scale = 1 - group.dampening;
      h.nesterov = group.nesterov;
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
    const momentum = group.momentum;
    const scale = 1 - group.dampening;
    const first = this.firstStep;
    const nesterov = group.nesterov;
    for (let i = 0; i < n; i++) {
      const d = wd !== 0 ? sign * g[i] + wd * p[i] : sign * g[i];
      const b = first ? d : momentum * buf[off + i] + scale * d;
      buf[off + i] = b;
      p[i] = p[i] - lr * (nesterov ? d + momentum * b : b);
    }
  }
}
