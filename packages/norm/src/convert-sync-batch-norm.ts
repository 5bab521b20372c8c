/**
 * convertSyncBatchNorm: PyTorch's `SyncBatchNorm.convert_sync_batchnorm` — every BatchNorm1d and
 * BatchNorm2d anywhere in a module tree becomes a SyncBatchNorm over one Communicator.
 */
import { ModuleDict, ModuleList, type Module } from "@weft/layers";
import type { Communicator } from "@weft/tensor";
import { BatchNorm } from "./batch-norm.js";
import { SyncBatchNorm, type GradientReduction } from "./sync-batch-norm.js";

export interface ConvertSyncBatchNormOptions {
  /** The engine's gradient convention (see {@link SyncBatchNorm}); default `"sum"`. */
  gradientReduction?: GradientReduction;
}

/** A SyncBatchNorm with `bn`'s options, state (parameters and buffers, copied) and mode. */
function toSync(bn: BatchNorm, comm: Communicator | null, options: ConvertSyncBatchNormOptions): SyncBatchNorm {
  const sync = new SyncBatchNorm(bn.numFeatures, {
    eps: bn.eps, momentum: bn.momentum, affine: bn.affine, trackRunningStats: bn.trackRunningStats,
    communicator: comm, gradientReduction: options.gradientReduction,
  });
  sync.loadStateDict(bn.stateDict());
  sync.train(bn.training);
  return sync;
}

/**
 * Returns `module` with every `BatchNorm1d` and `BatchNorm2d` (any {@link BatchNorm}) in its tree — nested children, `Sequential`,
 * `ModuleList` and `ModuleDict` entries — replaced in place by a {@link SyncBatchNorm} over `comm`
 * that keeps its name, options, parameter and buffer values and training mode (the state-dict keys
 * do not change). A BatchNorm root is returned converted. SyncBatchNorms already in the tree get
 * `comm` as their communicator. The converted layers hold new Parameter objects (with the same
 * values): convert before building the optimiser, as PyTorch's docs do.
 *
 * @example
 * const model = convertSyncBatchNorm(new Sequential(new Linear(8, 16, { rng }), new BatchNorm1d(16)), comm);
 */
export function convertSyncBatchNorm<M extends Module>(module: M, comm: Communicator | null, options: ConvertSyncBatchNormOptions = {}): M {
  if (module instanceof SyncBatchNorm) {
    module.communicator = comm;
    return module;
  }
  if (module instanceof BatchNorm) return toSync(module, comm, options) as unknown as M;
  for (const [name, child] of module.namedChildren()) {
    const converted = convertSyncBatchNorm(child, comm, options);
    if (converted === child) continue;
    if (module instanceof ModuleList) module[Number(name)] = converted;
    else if (module instanceof ModuleDict) module.set(name, converted);
    else (module as unknown as Record<string, Module>)[name] = converted;
    const now = module.namedChildren().find(([n]) => n === name)?.[1];
    if (now !== converted) throw new Error(`convertSyncBatchNorm: could not replace child "${name}" of ${module.constructor.name} (it is neither a property nor a list or dict entry)`);
  }
  return module;
}
