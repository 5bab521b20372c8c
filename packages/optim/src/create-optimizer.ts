import { Adam } from "./adam.js";
import type { AdamConfig, AdamOptions } from "./adam-base.js";
import { AdamW } from "./adamw.js";
import { Optimizer, type OptimizerOptions } from "./optimizer.js";
import type { ParamsOrGroups } from "./params.js";
import { RMSprop, type RMSpropConfig, type RMSpropOptions } from "./rmsprop.js";
import { SGD, type SGDConfig, type SGDOptions } from "./sgd.js";

/** The optimisers {@link createOptimizer} knows, by PyTorch class name. */
export type OptimizerType = "SGD" | "RMSprop" | "Adam" | "AdamW";

/**
 * Builds an optimiser from its PyTorch class name and a config of its options in camelCase
 * (the `{ type, config }` of a golden case or a trainer config), e.g.
 * `createOptimizer("Adam", params, { lr: 0.01, betas: [0.8, 0.99] })`.
 *
 * @param type `SGD`, `RMSprop`, `Adam` or `AdamW`.
 * @param params a list of parameters, one flat range, or parameter groups `[{ params, ...options }]`.
 * @param config the options; those not given take PyTorch's defaults (SGD needs `lr`).
 * @param options `allocState` and the kernel hooks (`adamKernel` for Adam/AdamW, `sgdKernel` for SGD, `rmspropKernel` for
 *   RMSprop; each ignored by the others), kept apart from the (serialisable) config.
 */
export function createOptimizer(type: OptimizerType, params: ParamsOrGroups, config: object = {}, options: OptimizerOptions = {}): Optimizer {
  const all: Record<string, unknown> = { ...config, ...(options.allocState !== undefined ? { allocState: options.allocState } : {}) };
  if (options.adamKernel !== undefined && (type === "Adam" || type === "AdamW")) all.adamKernel = options.adamKernel;
  if (options.sgdKernel !== undefined && type === "SGD") all.sgdKernel = options.sgdKernel;
  if (options.rmspropKernel !== undefined && type === "RMSprop") all.rmspropKernel = options.rmspropKernel;
  switch (type) {
    case "SGD":
      return new SGD(params as ParamsOrGroups<SGDConfig>, all as unknown as SGDOptions);
    case "RMSprop":
      return new RMSprop(params as ParamsOrGroups<RMSpropConfig>, all as RMSpropOptions);
    case "Adam":
      return new Adam(params as ParamsOrGroups<AdamConfig>, all as AdamOptions);
    case "AdamW":
      return new AdamW(params as ParamsOrGroups<AdamConfig>, all as AdamOptions);
    default:
      throw new Error(`createOptimizer: unknown optimizer "${String(type)}" (expected SGD, RMSprop, Adam or AdamW)`);
  }
}
