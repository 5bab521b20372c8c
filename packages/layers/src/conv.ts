/** Conv1d and Conv2d: thin layers over @weft/tensor's conv1d / conv2d, with PyTorch's init and state-dict keys. */
import { conv1d, conv2d, defaultRng, type Rng, type Tensor } from "@weft/tensor";
import { Module, Parameter } from "./module.js";
import { kaimingUniform, uniform } from "./init.js";

/** The options of torch.nn.Conv1d / Conv2d, camelCased (a number applies to every spatial axis). */
export interface ConvLayerOptions {
  /** Default 1. */
  stride?: number | readonly number[];
  /** Zero padding per side (default 0), or `"valid"` / `"same"` (stride 1). */
  padding?: number | readonly number[] | "same" | "valid";
  /** Default 1. */
  dilation?: number | readonly number[];
  /** Default 1; `groups = inChannels` is depthwise. */
  groups?: number;
  /** Learnable bias `[outChannels]` (default true). */
  bias?: boolean;
  /** Generator for the default init (default: the process-wide one). */
  rng?: Rng;
}

/** What Conv1d and Conv2d share: the weight [O, C/groups, …kernel], the bias [O], PyTorch's init. */
abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: readonly number[];
  readonly stride: number | readonly number[];
  readonly padding: number | readonly number[] | "same" | "valid";
  readonly dilation: number | readonly number[];
  readonly groups: number;
  /** [outChannels, inChannels/groups, …kernelSize], PyTorch's layout. */
  readonly weight: Parameter;
  /** [outChannels], or null without bias. */
  readonly bias: Parameter | null;

  /**
   * PyTorch's reset_parameters: W ~ kaiming_uniform(a = √5) = U(−1/√fanIn, 1/√fanIn) and
   * b ~ U(−1/√fanIn, 1/√fanIn), fanIn = inChannels/groups · kernel area.
   */
  protected constructor(axes: number, inChannels: number, outChannels: number, kernelSize: number | readonly number[], o: ConvLayerOptions) {
    super();
    const name = new.target.name;
    const groups = o.groups ?? 1;
    for (const [k, v] of [["inChannels", inChannels], ["outChannels", outChannels], ["groups", groups]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: ${k} must be a positive integer, got ${v}`);
    }
    if (inChannels % groups !== 0 || outChannels % groups !== 0) throw new Error(`${name}: groups = ${groups} must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
    const kernel = typeof kernelSize === "number" ? new Array<number>(axes).fill(kernelSize) : [...kernelSize];
    if (kernel.length !== axes || kernel.some((k) => !Number.isInteger(k) || k <= 0)) {
      throw new Error(`${name}: kernelSize must be a positive integer or a list of ${axes}, got ${JSON.stringify(kernelSize)}`);
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernel;
    this.stride = o.stride ?? 1;
    this.padding = o.padding ?? 0;
    this.dilation = o.dilation ?? 1;
    this.groups = groups;
    const rng = o.rng ?? defaultRng();
    const shape = [outChannels, inChannels / groups, ...kernel];
    this.weight = new Parameter(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
    kaimingUniform(this.weight, { a: Math.sqrt(5) }, rng);
    this.registerParameter("weight", this.weight);
    if (o.bias ?? true) {
      const bound = 1 / Math.sqrt((inChannels / groups) * kernel.reduce((a, b) => a * b, 1));
      this.bias = new Parameter(new Float32Array(outChannels), [outChannels]);
      uniform(this.bias, -bound, bound, rng);
    } else {
      this.bias = null;
    }
    this.registerParameter("bias", this.bias);
  }

  /** The options passed to the op. */
  protected get options() {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }
}

/**
 * 1-D convolution, as torch.nn.Conv1d: x [N, inChannels, L] → [N, outChannels, L′].
 *
 * @example
 * const conv = new Conv1d(16, 32, 5, { padding: 2 }); // [N, 16, 100] → [N, 32, 100]
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], options: ConvLayerOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, options);
    conv1dCheck(this);
  }

  /** x: [N, inChannels, L] (or [inChannels, L]) → [N, outChannels, L′]. */
  forward(x: Tensor): Tensor {
    return conv1d(x, this.weight, this.bias, this.options);
  }
}

/** Throws for options a 1-D convolution cannot take (checked once, at construction, as PyTorch). */
function conv1dCheck(c: ConvNd): void {
  for (const [k, v] of [["stride", c.stride], ["padding", c.padding], ["dilation", c.dilation]] as const) {
    if (Array.isArray(v) && v.length !== 1) throw new Error(`Conv1d: ${k} must be a number or a list of 1, got ${JSON.stringify(v)}`);
  }
}

/**
 * 2-D convolution, as torch.nn.Conv2d: x [N, inChannels, H, W] → [N, outChannels, H′, W′].
 *
 * @example
 * const conv = new Conv2d(1, 32, 3, { padding: 1, bias: false }); // [N, 1, 28, 28] → [N, 32, 28, 28]
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], options: ConvLayerOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, options);
  }

  /** x: [N, inChannels, H, W] (or [inChannels, H, W]) → [N, outChannels, H′, W′]. */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }
}
