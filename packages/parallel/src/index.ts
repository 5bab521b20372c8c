/** @weft/parallel: data-parallel training across worker_threads over SharedArrayBuffer. */
export { DataParallel, WorkerError } from "./data-parallel.js";
export type { DataParallelOptions, DataSet, StepStats } from "./data-parallel.js";
export { buildModel } from "./model-spec.js";
export type { LayerSpec, BuildOptions } from "./model-spec.js";
export { lossSum, l1Term, checkLossSpec } from "./loss-spec.js";
export type { LossSpec, LossType, L1Spec, Targets } from "./loss-spec.js";
export type { OptimizerSpec, NonFinitePolicy } from "./protocol.js";
export { SharedCommunicator } from "./shared-communicator.js";
export { shardRange, paramRange } from "./plan.js";
export { sumSlots } from "./reduce.js";
