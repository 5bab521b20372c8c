import { AdamBase, type AdamConfig, type AdamOptions } from "./adam-base.js";
import type { ParamsOrGroups } from "./params.js";

/**
 * AdamW as torch 1.13's `_single_tensor_adamw`: the decoupled decay `p ← p·(1 − lr·wd)` first,
 * then the Adam update of {@link Adam} with the raw gradient.
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 1e-2, amsgrad false.
 *
 * @example
 * const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends AdamBase {
  /**
   * @param params a list of parameters (each `data` and `grad.data` of equal length), one flat range,
   *   or parameter groups `[{ params, lr?, weightDecay?, ... }]`, each option defaulting to `options`.
   * @param options hyper-parameters (PyTorch's defaults; weightDecay 1e-2).
   */
  constructor(params: ParamsOrGroups<AdamConfig>, options: AdamOptions = {}) {
    super("AdamW", params, options, true);
  }
}
