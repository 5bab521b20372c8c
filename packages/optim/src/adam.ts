import { AdamBase, type AdamConfig, type AdamOptions } from "./adam-base.js";
import type { ParamsOrGroups } from "./params.js";

/**
 * Adam as torch 1.13's `_single_tensor_adam`: `g ← ∇ + wd·p` (L2, coupled);
 * `m ← β1·m + (1 − β1)·g`; `v ← β2·v + (1 − β2)·g²`; amsgrad: `v̂ ← max(v̂, v)` (else `v̂ = v`);
 * `p ← p − lr/(1 − β1ᵗ) · m / (√v̂ / √(1 − β2ᵗ) + eps)` — eps after the bias-corrected sqrt.
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, amsgrad false.
 *
 * @example
 * const opt = new Adam(model.parameters(), { lr: 1e-3 });
 * // or one worker's shard of the flat buffers:
 * const shard = new Adam({ params: flat.subarray(a, b), grads: flatGrad.subarray(a, b) });
 */
export class Adam extends AdamBase {
  /**
   * @param params a list of parameters (each `data` and `grad.data` of equal length), one flat range,
   *   or parameter groups `[{ params, lr?, weightDecay?, ... }]`, each option defaulting to `options`.
   * @param options hyper-parameters (PyTorch's defaults).
   */
  constructor(params: ParamsOrGroups<AdamConfig>, options: AdamOptions = {}) {
    super("Adam", params, options, false);
  }
}
