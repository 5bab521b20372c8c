/**
 * @weft/norm: BatchNorm1d, BatchNorm2d, LayerNorm and SyncBatchNorm (batch normalisation of any rank synchronised over any
 * Communicator), each a fused op with a closed-form backward.
 */
export { BatchNorm, BatchNorm1d, BatchNorm2d } from "./batch-norm.js";
export type { BatchNormOptions, BatchStats } from "./batch-norm.js";
export { LayerNorm } from "./layer-norm.js";
export type { LayerNormOptions } from "./layer-norm.js";
export { SyncBatchNorm } from "./sync-batch-norm.js";
export type { SyncBatchNormOptions, GradientReduction } from "./sync-batch-norm.js";
export { convertSyncBatchNorm } from "./convert-sync-batch-norm.js";
export type { ConvertSyncBatchNormOptions } from "./convert-sync-batch-norm.js";
