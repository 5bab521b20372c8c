/** Pooling layers, as torch.nn.MaxPool2d / AvgPool2d / AdaptiveAvgPool2d: one call each into @weft/tensor; no parameters. */
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type Tensor } from "@weft/tensor";
import { Module } from "./module.js";

export interface MaxPool2dOptions {
  /** Window stride (default: kernelSize). */
  stride?: number | readonly number[];
  /** Implicit −∞ padding per side (default 0), at most half the kernel. */
  padding?: number | readonly number[];
  /** Round the output size up (default false). */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions extends MaxPool2dOptions {
  /** Count the zero padding in each window's divisor (default true). */
  countIncludePad?: boolean;
}

/**
 * Max pooling over x [N, C, H, W] → [N, C, H′, W′].
 *
 * @example
 * const pool = new MaxPool2d(2); // [N, 32, 28, 28] → [N, 32, 14, 14]
 */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: number | readonly number[], readonly options: MaxPool2dOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

/**
 * Average pooling over x [N, C, H, W] → [N, C, H′, W′].
 *
 * @example
 * const pool = new AvgPool2d(3, { stride: 2, padding: 1 });
 */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: number | readonly number[], readonly options: AvgPool2dOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}

/**
 * Adaptive average pooling to a fixed output size: x [N, C, H, W] → [N, C, oh, ow] (null in
 * `outputSize` keeps that input size).
 *
 * @example
 * const gap = new AdaptiveAvgPool2d(1); // global average pooling: [N, 64, 7, 7] → [N, 64, 1, 1]
 */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly (number | null)[]) {
    super();
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}
