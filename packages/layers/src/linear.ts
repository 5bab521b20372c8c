/** Linear: y = x·Wᵀ + b, a thin layer over the fused `linear` op. */
import { defaultRng, linear, type Rng, type Tensor } from "@weft/tensor";
import { Module, Parameter } from "./module.js";
import { kaimingUniform, uniform } from "./init.js";

export interface LinearOptions {
  bias?: boolean;
  /** Generator for the default init (default: the process-wide one, see `manualSeed`). */
  rng?: Rng;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** [outFeatures, inFeatures], PyTorch's layout. */
  readonly weight: Parameter;
  /** [outFeatures], or null without bias. */
  readonly bias: Parameter | null;

  /**
   * PyTorch's default init: W ~ kaiming_uniform(a = √5) = U(−1/√in, 1/√in), b ~ U(−1/√in, 1/√in).
   */
  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [k, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Linear: ${k} must be a positive integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = options.rng ?? defaultRng();
    this.weight = new Parameter(new Float32Array(outFeatures * inFeatures), [outFeatures, inFeatures]);
    kaimingUniform(this.weight, { a: Math.sqrt(5) }, rng);
    this.registerParameter("weight", this.weight);
    if (options.bias ?? true) {
      const bound = 1 / Math.sqrt(inFeatures);
      this.bias = new Parameter(new Float32Array(outFeatures), [outFeatures]);
      uniform(this.bias, -bound, bound, rng);
    } else {
      this.bias = null;
    }
    this.registerParameter("bias", this.bias);
  }

  /** x: [N, inFeatures] → [N, outFeatures]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
