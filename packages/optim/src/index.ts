/**
 * @weft/optim — PyTorch 1.13's optimisers over flat float32 state, LR schedules and early stopping.
 */
export type { FloatArray, ParamLike, FlatRange, Params, GroupParams, ParamGroupSpec, ParamsOrGroups } from "./params.js";
export type { HyperParameter } from "./hyper-parameters.js";
export {
  Optimizer,
  type AllocState,
  type OptimizerOptions,
  type OptimizerConfig,
  type StateArrays,
  type OptimizerState,
  type OptimizerStateLike,
  type ParamGroup,
  type SavedParamGroup,
  type HyperParameterSpec,
  type AdamKernel,
  type AdamScalars,
  type SgdKernel,
  type SgdScalars,
  type RmspropKernel,
  type RmspropScalars,
} from "./optimizer.js";
export { SGD, type SGDOptions, type SGDConfig, type SGDStateArrays, type SGDParamGroup } from "./sgd.js";
export { RMSprop, type RMSpropOptions, type RMSpropConfig, type RMSpropStateArrays, type RMSpropParamGroup } from "./rmsprop.js";
export type { AdamBase, AdamOptions, AdamConfig, AdamStateArrays, AdamParamGroup } from "./adam-base.js";
export { Adam } from "./adam.js";
export { AdamW } from "./adamw.js";
export { createOptimizer, type OptimizerType } from "./create-optimizer.js";
export { LRScheduler, type SchedulableOptimizer, type LRSchedulerState, type LrGroup } from "./lr-scheduler.js";
export { StepLR, type StepLROptions } from "./step-lr.js";
export { ExponentialLR, type ExponentialLROptions } from "./exponential-lr.js";
export { CosineAnnealingLR, type CosineAnnealingLROptions } from "./cosine-annealing-lr.js";
export { LinearLR, type LinearLROptions } from "./linear-lr.js";
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions, type ReduceLROnPlateauState } from "./reduce-lr-on-plateau.js";
export { OneCycleLR, type OneCycleLROptions } from "./one-cycle-lr.js";
export { EarlyStopping, type EarlyStoppingOptions } from "./early-stopping.js";
export {
  clipGradNorm,
  clipGradNormFlat,
  clipGradValue,
  gradNormPartial,
  combineGradNormPartials,
  type GradsLike,
  type ClipGradNormOptions,
  type ClipGradNormFlatOptions,
} from "./clip-grad.js";
