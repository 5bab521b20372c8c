/** @weft/parallel: data-parallel training of any Module across worker_threads over SharedArrayBuffer, as DDP. */
export { DataParallel, WorkerError } from "./data-parallel.js";
export type { DataParallelOptions, DataSet, StepStats } from "./data-parallel.js";
export type { MemoryPlan } from "./memory.js";
export { buildModel, layerTypes } from "./model-spec.js";
export type { LayerSpec, BuildOptions } from "./model-spec.js";
export { loadModelFactory, modelSource } from "./model-factory.js";
export type { ModelContext, ModelFactory, ModelSource } from "./model-factory.js";
export type { ConvLayerSpec } from "./layer-specs/conv.js";
export { lossSum, l1Term, checkLossSpec } from "./loss-spec.js";
export type { LossSpec, LossType, LossFn, L1Spec, Targets } from "./loss-spec.js";
export type { OptimizerSpec, NonFinitePolicy, ParamGroup } from "./protocol.js";
export type { EngineCommunicator } from "./communicator.js";
export type { ClipSpec, StepReporter } from "./engine.js";
export { Engine } from "./engine.js";
export { SharedCommunicator } from "./shared-communicator.js";
export { ThreadLauncher } from "./launcher.js";
export { shardRange, paramRange } from "./plan.js";
export { sumSlots } from "./reduce.js";
