/**
 * SyncBatchNorm: batch normalisation (of any rank ≥ 2, as PyTorch's) whose batch statistics, and the sums of its backward, are those of
 * the whole batch split across the workers of a data-parallel run. It overrides one method,
 * `batchStats`, and knows only the Communicator interface.
 */
import { allocFloat64, kernels, type Communicator, type Tensor } from "@weft/tensor";
import { BatchNorm, type BatchNormOptions, type BatchStats } from "./batch-norm.js";

/**
 * How the engine combines the per-worker parameter gradients, and so what each worker must
 * back-propagate (see {@link SyncBatchNorm}):
 * - `"sum"`: every worker back-propagates the gradient of the one full-batch loss (its shard's
 *   loss terms divided by the GLOBAL batch size); the engine sums the gradients over workers.
 * - `"weightedMean"`: every worker back-propagates the gradient of the mean loss over its own
 *   shard; the engine averages the gradients weighted by shard size, Σ_r (n_r/N)·grad_r.
 */
export type GradientReduction = "sum" | "weightedMean";

export interface SyncBatchNormOptions extends BatchNormOptions {
  /** This worker's communicator (settable later through the `communicator` property). */
  communicator?: Communicator | null;
  /** What the engine does with the parameter gradients across workers (default `"sum"`). */
  gradientReduction?: GradientReduction;
}

/**
 * Batch normalisation over `x: [N_r, C, …]` of any rank ≥ 2 (`[N_r, C]`, `[N_r, C, L]`,
 * `[N_r, C, H, W]`, …; statistics per channel over N and every trailing dim), this worker's contiguous shard of a
 * batch of N = Σ_r N_r rows spread over `communicator.worldSize` workers: in training mode every
 * worker normalises with the mean and variance of the WHOLE batch, and the running statistics
 * (updated with the whole batch's count, mean and unbiased variance) are identical on every
 * worker.
 *
 * Collectives, per training step, identical on every worker whatever its shard (empty and
 * one-row shards included; the "more than 1 value per channel" check is on the whole batch):
 * - forward: ONE `allReduce` of a Float64Array `[count, Σx (C), Σx² (C)]` (float64 sums, so the
 *   statistics match one process's to float32 rounding);
 * - backward: ONE `allReduce` of a Float64Array `[Σdy (C), Σdy·x̂ (C)]`. Every worker must run the
 *   backward through this layer once per forward, even with an empty shard.
 * In eval mode, with no communicator, a `LocalCommunicator` or any world of size 1, it is exactly
 * BatchNorm1d (BatchNorm2d for images) and calls no collective.
 *
 * Gradient convention (`gradientReduction`):
 * - `"sum"` (default): each worker's upstream dy must be ∂L/∂y of the one full-batch loss L for
 *   its rows (e.g. Σ of its rows' loss terms / N with N the GLOBAL batch size). Then dx is
 *   exactly ∂L/∂x for its rows, and weight.grad / bias.grad receive this worker's shard's
 *   contribution to ∂L/∂γ, ∂L/∂β: the engine must SUM them over workers (no weights).
 * - `"weightedMean"`: each worker's upstream dy is ∂L_r/∂y of its own shard-mean loss L_r; the
 *   layer rescales internally by n_r/N, dx is (N/n_r)·∂L/∂x for its rows (what the layers below
 *   expect under this convention), weight.grad / bias.grad receive Σ over its rows as usual,
 *   and the engine must average them weighted by shard size: Σ_r (n_r/N)·grad_r.
 * Either way the reduced gradient is that of one process on the whole batch, uneven shards
 * included. (PyTorch's SyncBatchNorm + DDP is exact only for equal shards.)
 *
 * @example
 * const bn = new SyncBatchNorm(16, { communicator: comm }); // comm: this worker's Communicator
 * const y = bn.forward(xShard); // [N_r, 16], normalised with the statistics of all N rows
 */
export class SyncBatchNorm extends BatchNorm {
  /** This worker's communicator; null (or world size 1) ⇒ plain (local) batch normalisation. Settable at any time. */
  communicator: Communicator | null;
  /** See {@link GradientReduction}; all workers must use the same. */
  gradientReduction: GradientReduction;

  /** `numFeatures`: C; options as BatchNorm1d's plus `communicator` and `gradientReduction`. */
  constructor(numFeatures: number, options: SyncBatchNormOptions = {}) {
    super(numFeatures, options);
    this.communicator = options.communicator ?? null;
    const reduction = options.gradientReduction ?? "sum";
    if (reduction !== "sum" && reduction !== "weightedMean") {
      throw new Error(`SyncBatchNorm: gradientReduction must be "sum" or "weightedMean", got ${JSON.stringify(reduction)}`);
    }
    this.gradientReduction = reduction;
  }

  protected expectedLayout(): string {
    return `[N, ${this.numFeatures}, …]`;
  }
  /** Any rank ≥ 2: [N, C, …]. */
  protected checkRank(x: Tensor): void {
    if (x.ndim < 2) {
      const C = this.numFeatures;
      throw new Error(`SyncBatchNorm(${C}): expected input of at least 2 dims [N, ${C}, …], got shape [${x.shape.join(", ")}]`);
    }
  }

  /**
   * The whole batch's statistics: this worker's count, Σx and Σx² (float64) packed into one buffer
   * and all-reduced. Local in eval mode or in a world of one.
   */
  protected override batchStats(x: Tensor): BatchStats {
    const comm = this.communicator;
    if (!this.training || comm === null || comm.worldSize <= 1) return super.batchStats(x);
    const { n, c: C, inner } = this.layout(x);
    const xd = x.data;
    const localCount = n * inner;
    const packed = allocFloat64(1 + 2 * C);
    packed[0] = localCount;
    // Σx into packed[1, 1 + C), Σx² into packed[1 + C, 1 + 2C) (@weft/tensor's batchNormSums kernel).
    kernels().batchNormSums(xd, n, C, inner, packed.subarray(1, 1 + C), packed.subarray(1 + C, 1 + 2 * C));
    comm.allReduce(packed);
    const count = packed[0];
    const mean = allocFloat64(C);
    const v = allocFloat64(C);
    for (let c = 0; c < C; c++) {
      mean[c] = packed[1 + c] / count;
      // E[x²] − mean² in float64: exact enough for float32 data unless |mean| ≫ std by ~10⁴;
      // clamped because rounding can take a zero variance just below 0.
      v[c] = Math.max(0, packed[1 + C + c] / count - mean[c] * mean[c]);
    }
    // Captured now, so a backward after a mode or communicator change still matches this forward.
    const weighted = this.gradientReduction === "weightedMean";
    const reduceGradSums = (sums: Float64Array): void => {
      // weightedMean: this worker's dy is (N/n_r)·∂L/∂y; scale to the common ∂L/∂y before summing,
      // and back after, so dx comes out on this worker's scale.
      const w = localCount / count;
      if (weighted) for (let i = 0; i < sums.length; i++) sums[i] *= w;
      comm.allReduce(sums);
      if (weighted && localCount > 0) for (let i = 0; i < sums.length; i++) sums[i] /= w;
    };
    return { count, mean, var: v, reduceGradSums };
  }
}
