/** Flatten, as torch.nn.Flatten: dims startDim … endDim folded into one (a view over the same storage). */
import { flatten, type Tensor } from "@weft/tensor";
import { Module } from "./module.js";

/**
 * Folds dims `startDim … endDim` (both included; negative counts from the end) into one; PyTorch's
 * defaults keep the batch dim: `[N, C, H, W] → [N, C·H·W]`.
 *
 * @example
 * const f = new Flatten(); // [N, 64, 7, 7] → [N, 3136]
 */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    for (const [k, v] of [["startDim", startDim], ["endDim", endDim]] as const) {
      if (!Number.isInteger(v)) throw new Error(`Flatten: ${k} must be an integer, got ${v}`);
    }
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
