/** Flatten and Unflatten, as torch.nn.Flatten / Unflatten: views over the same storage with dims folded or split. */
import { flatten, unflatten, type Tensor } from "@weft/tensor";
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

/**
 * Unflatten, as torch.nn.Unflatten: dim `dim` split into `unflattenedSize` (a view), e.g. flat
 * images `[N, 784]` → `[N, 1, 28, 28]` in front of a Conv2d.
 *
 * @example
 * const u = new Unflatten(1, [1, 28, 28]); // [N, 784] → [N, 1, 28, 28]
 */
export class Unflatten extends Module {
  readonly unflattenedSize: readonly number[];
  constructor(readonly dim: number, unflattenedSize: readonly number[]) {
    super();
    if (!Number.isInteger(dim)) throw new Error(`Unflatten: dim must be an integer, got ${dim}`);
    if (!Array.isArray(unflattenedSize) || unflattenedSize.length === 0 || !unflattenedSize.every((d) => Number.isInteger(d) && (d > 0 || d === -1))) {
      throw new Error(`Unflatten: unflattenedSize must be a non-empty list of positive sizes (one may be -1), got ${JSON.stringify(unflattenedSize)}`);
    }
    this.unflattenedSize = [...unflattenedSize];
  }
  forward(x: Tensor): Tensor {
    return unflatten(x, this.dim, this.unflattenedSize);
  }
}
