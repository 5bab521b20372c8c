/**
 * BatchNorm1d and BatchNorm2d after torch.nn's: one base ({@link BatchNorm}, PyTorch's
 * `_BatchNorm`) with one fused op whose backward is the closed form, and the batch statistics
 * behind one seam, {@link BatchNorm.batchStats}, which SyncBatchNorm overrides to gather them (and
 * the backward's sums) across workers — tinygrad's `calc_stats`. The subclasses only name the
 * input ranks they take.
 */
import { Tensor, allocEmptyLike, allocFloat64, formatShape, freshGradSlot, fromOp, gradSlot, kernels, type FloatArray } from "@weft/tensor";
import { Module, Parameter } from "@weft/layers";

/** The options of torch.nn.BatchNorm1d and BatchNorm2d, camelCased; every default is PyTorch's. */
export interface BatchNormOptions {
  /** Added to the variance under the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight of the new batch in the running statistics, PyTorch's convention:
   * `running = (1 − momentum)·running + momentum·batch` (default 0.1). `null` = cumulative moving
   * average (momentum 1/numBatchesTracked).
   */
  momentum?: number | null;
  /** Learnable per-feature `weight` (γ, ones) and `bias` (β, zeros) (default true). */
  affine?: boolean;
  /** Keep running mean/variance for eval mode (default true); false ⇒ batch statistics in eval too. */
  trackRunningStats?: boolean;
}

/**
 * Per-feature statistics of the batch being normalised, as {@link BatchNorm.batchStats}
 * returns them (float64, so a sum over many rows or workers keeps float32 precision).
 */
export interface BatchStats {
  /** Values per feature over the whole batch: N·L, N·H·W (summed over all workers for SyncBatchNorm). */
  count: number;
  /** [C] mean per feature. */
  mean: Float64Array;
  /** [C] biased variance per feature (divided by `count`), the one that normalises. */
  var: Float64Array;
  /**
   * Backward's half of the seam: turns this worker's per-feature sums `[Σdy (C), Σdy·x̂ (C)]`
   * into the whole batch's, in place. Absent when the statistics are local.
   */
  reduceGradSums?: (sums: Float64Array) => void;
}

/** [N, C, …] seen as outer × C × inner. */
interface Layout {
  n: number;
  c: number;
  inner: number;
}

/** A float64 copy of `src` (from the step arena when there is one). */
function copyFloat64(src: FloatArray): Float64Array {
  const out = allocFloat64(src.length);
  out.set(src);
  return out;
}

/**
 * Batch normalisation over the channel dimension C (dim 1) of `x: [N, C, …]`, statistics per
 * channel over N and every trailing dim: `y = (x − mean) / √(var + eps) · weight + bias`.
 *
 * Training mode normalises with the batch's mean and biased variance and updates the running
 * statistics with the unbiased variance; eval mode uses the running statistics (or, with
 * `trackRunningStats: false`, the batch's). State-dict keys are PyTorch's: `weight`, `bias`,
 * `running_mean`, `running_var`, `num_batches_tracked`. The subclasses say which ranks they take
 * ({@link BatchNorm.checkRank}).
 */
export abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  /** See {@link BatchNormOptions.momentum}; may be changed between steps. */
  momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  /** γ: [C], ones; null unless affine. */
  readonly weight: Parameter | null;
  /** β: [C], zeros; null unless affine. */
  readonly bias: Parameter | null;
  /** Buffer `running_mean`: [C], zeros; null unless trackRunningStats. */
  readonly runningMean: Tensor | null;
  /** Buffer `running_var`: [C], ones; null unless trackRunningStats. */
  readonly runningVar: Tensor | null;
  /**
   * Buffer `num_batches_tracked`: a scalar (shape []) counting training batches; a float32 (PyTorch:
   * int64), so it counts exactly up to 2^24 batches.
   */
  readonly numBatchesTracked: Tensor | null;

  /** `numFeatures`: C, the size of dimension 1 of the input. */
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    const name = new.target.name;
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new Error(`${name}: numFeatures must be a positive integer, got ${numFeatures}`);
    const eps = options.eps ?? 1e-5;
    if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`${name}: eps must be a finite number ≥ 0, got ${eps}`);
    const momentum = options.momentum === undefined ? 0.1 : options.momentum;
    if (momentum !== null && !Number.isFinite(momentum)) throw new Error(`${name}: momentum must be a number or null, got ${momentum}`);
    this.numFeatures = numFeatures;
    this.eps = eps;
    this.momentum = momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;

    this.weight = this.affine ? new Parameter(new Float32Array(numFeatures).fill(1), [numFeatures]) : null;
    this.bias = this.affine ? new Parameter(new Float32Array(numFeatures), [numFeatures]) : null;
    this.registerParameter("weight", this.weight);
    this.registerParameter("bias", this.bias);
    const track = this.trackRunningStats;
    this.runningMean = track ? new Tensor(new Float32Array(numFeatures), [numFeatures]) : null;
    this.runningVar = track ? new Tensor(new Float32Array(numFeatures).fill(1), [numFeatures]) : null;
    this.numBatchesTracked = track ? new Tensor(new Float32Array(1), []) : null;
    this.registerBuffer("running_mean", this.runningMean);
    this.registerBuffer("running_var", this.runningVar);
    this.registerBuffer("num_batches_tracked", this.numBatchesTracked);
  }

  /** x: [N, C, …] (the ranks of the subclass) → y of the same shape. */
  forward(x: Tensor): Tensor {
    const layout = this.layout(x);
    if (!this.training && this.runningMean && this.runningVar) {
      const mean = copyFloat64(this.runningMean.data);
      const invstd = allocFloat64(layout.c);
      for (let c = 0; c < layout.c; c++) invstd[c] = 1 / Math.sqrt(this.runningVar.data[c] + this.eps);
      return batchNormOp(x, layout, mean, invstd, this.weight, this.bias, null);
    }
    const stats = this.batchStats(x);
    if (stats.count <= 1) {
      // PyTorch's check and message; for SyncBatchNorm the count is the whole batch's, so every
      // worker throws alike, after the same collectives.
      const got = stats.reduceGradSums
        ? `${stats.count} value${stats.count === 1 ? "" : "s"} per channel over all workers (this worker's input size ${formatShape(x.shape)})`
        : `input size ${formatShape(x.shape)}`;
      throw new Error(`${this.constructor.name}: Expected more than 1 value per channel when training, got ${got}`);
    }
    if (this.training && this.trackRunningStats) this.updateRunningStats(stats);
    const invstd = allocFloat64(layout.c);
    for (let c = 0; c < layout.c; c++) invstd[c] = 1 / Math.sqrt(stats.var[c] + this.eps);
    return batchNormOp(x, layout, stats.mean, invstd, this.weight, this.bias, stats);
  }

  /**
   * The seam: count, mean and biased variance per feature of the batch `x` ([N, C, …])
   * is part of. Here, of `x` alone: two passes in float64 (mean, then Σ(x − mean)²).
   * SyncBatchNorm overrides this to cover every worker's shard.
   */
  protected batchStats(x: Tensor): BatchStats {
    const { n, c: C, inner } = this.layout(x);
    const mean = allocFloat64(C);
    const v = allocFloat64(C);
    kernels().batchNormMeanVar(x.data, n, C, inner, mean, v);
    return { count: n * inner, mean, var: v };
  }

  /** Folds the batch's statistics into the running ones; the variance is made unbiased (count − 1). */
  private updateRunningStats(stats: BatchStats): void {
    const rm = this.runningMean!.data;
    const rv = this.runningVar!.data;
    const tracked = this.numBatchesTracked!.data;
    tracked[0] += 1;
    const m = this.momentum ?? 1 / tracked[0];
    const unbias = stats.count / (stats.count - 1);
    for (let c = 0; c < this.numFeatures; c++) {
      rm[c] = (1 - m) * rm[c] + m * stats.mean[c];
      rv[c] = (1 - m) * rv[c] + m * stats.var[c] * unbias;
    }
  }

  /** Throws unless x's rank is one this layer takes (the message names the layer and the expected layout). */
  protected abstract checkRank(x: Tensor): void;

  /** The input layouts this layer takes, for messages: `[N, 4] (or [N, 4, L])`. */
  protected abstract expectedLayout(): string;

  /** Checks x: [N, C, …] with C = numFeatures (and the subclass's rank); inner = the product of the trailing dims. */
  protected layout(x: Tensor): Layout {
    const C = this.numFeatures;
    const name = this.constructor.name;
    this.checkRank(x);
    if (x.shape[1] !== C) {
      throw new Error(`${name}(${C}): expected input of shape ${this.expectedLayout()}: dimension 1 must be numFeatures = ${C}, got ${formatShape(x.shape)}`);
    }
    let inner = 1;
    for (let d = 2; d < x.ndim; d++) inner *= x.shape[d];
    return { n: x.shape[0], c: C, inner };
  }
}

/**
 * Batch normalisation over the features of `x: [N, C]` or `[N, C, L]` (statistics over N and L),
 * as torch.nn.BatchNorm1d.
 *
 * @example
 * const bn = new BatchNorm1d(3);
 * const y = bn.forward(x); // x: [N, 3] → y: [N, 3]
 */
export class BatchNorm1d extends BatchNorm {
  protected expectedLayout(): string {
    return `[N, ${this.numFeatures}] (or [N, ${this.numFeatures}, L])`;
  }
  protected checkRank(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) {
      const C = this.numFeatures;
      throw new Error(`${this.constructor.name}(${C}): expected 2D or 3D input ([N, ${C}] or [N, ${C}, L]), got ${x.ndim}D input of shape ${formatShape(x.shape)}`);
    }
  }
}

/**
 * Batch normalisation over the channels of images `x: [N, C, H, W]` (statistics per channel
 * over N·H·W), as torch.nn.BatchNorm2d.
 *
 * @example
 * const bn = new BatchNorm2d(32);
 * const y = bn.forward(x); // x: [N, 32, 28, 28] → y: [N, 32, 28, 28]
 */
export class BatchNorm2d extends BatchNorm {
  protected expectedLayout(): string {
    return `[N, ${this.numFeatures}, H, W]`;
  }
  protected checkRank(x: Tensor): void {
    if (x.ndim !== 4) {
      const C = this.numFeatures;
      throw new Error(`${this.constructor.name}(${C}): expected 4D input [N, ${C}, H, W], got ${x.ndim}D input of shape ${formatShape(x.shape)}`);
    }
  }
}

/**
 * The fused op y = (x − mean)·invstd·γ + β with its closed-form backward. `batch` non-null: mean
 * and invstd are the statistics of a batch of `batch.count` values per feature that x is part of
 * (x̂ = (x − μ)·invstd), so dx = γ·invstd/count · (count·dy − Σdy − x̂·Σ(dy·x̂)), the sums over the
 * whole batch (`batch.reduceGradSums`). `batch` null: mean and invstd are constants (eval mode),
 * dx = γ·invstd·dy. Either way dβ += Σdy and dγ += Σdy·x̂ over the rows of x. The loops are
 * @weft/tensor's kernels (kernels/js/batch-norm.ts; under the wasm backend, for float32 [N, C],
 * the same arithmetic in wasm, so the same bits).
 */
function batchNormOp(x: Tensor, { n, c: C, inner }: Layout, mean: Float64Array, invstd: Float64Array, weight: Tensor | null, bias: Tensor | null, batch: BatchStats | null): Tensor {
  const xd = x.data;
  const out = allocEmptyLike(xd, xd.length); // batchNormForward writes every element
  // γ as it was in forward (PyTorch would refuse a backward after an in-place change of it).
  const gamma = weight ? copyFloat64(weight.data) : null;
  const beta = bias ? bias.data : null;
  // scale = γ·invstd, the per-feature factor of the forward and (as k) of dx; shift = β.
  const scale = allocFloat64(C), shift = allocFloat64(C);
  for (let c = 0; c < C; c++) {
    scale[c] = invstd[c] * (gamma ? gamma[c] : 1);
    shift[c] = beta ? beta[c] : 0;
  }
  kernels().batchNormForward(xd, n, C, inner, mean, scale, shift, out);
  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  return fromOp(out, x.shape, inputs, (g) => {
    // sums = [Σdy (C), Σdy·x̂ (C)] over the rows of x.
    const sums = allocFloat64(2 * C);
    kernels().batchNormBackwardSums(xd, g, n, C, inner, mean, invstd, sums);
    // Parameter gradients: this worker's rows only (see SyncBatchNorm for the convention).
    const gw = weight ? gradSlot(weight) : null;
    if (gw) for (let c = 0; c < C; c++) gw[c] += sums[C + c];
    const gb = bias ? gradSlot(bias) : null;
    if (gb) for (let c = 0; c < C; c++) gb[c] += sums[c];
    // Called whether or not dx is needed: a collective must be made by every worker alike.
    batch?.reduceGradSums?.(sums);
    if (batch === null) {
      const gx = gradSlot(x);
      if (gx) kernels().batchNormBackwardDxEval(g, n, C, inner, scale, gx);
      return;
    }
    // dx's first producer writes it whole (no zero-fill pass); otherwise it accumulates.
    const fresh = freshGradSlot(x);
    const gx = fresh ?? gradSlot(x);
    if (!gx) return;
    const invCount = 1 / batch.count;
    const meanDy = allocFloat64(C), meanDyXhat = allocFloat64(C);
    for (let c = 0; c < C; c++) {
      meanDy[c] = sums[c] * invCount;
      meanDyXhat[c] = sums[C + c] * invCount;
    }
    kernels().batchNormBackwardDx(xd, g, n, C, inner, mean, invstd, scale, meanDy, meanDyXhat, gx, fresh !== null);
  });
}
