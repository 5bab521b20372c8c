/**
 * BatchNorm1d's kernels over x: [n, c] on top of {@link WasmKernelsCore}
 * (assembly/batch-norm.ts): {@link BatchNormKernels}.
 */
import { ActivationKernels } from "./activations.js";
import { copyIn } from "./core.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_1_WRITE_2 = copyIn(1, 2);
const READ_3 = copyIn(3);
const READ_4_WRITE_1 = copyIn(4, 1);
const READ_5 = copyIn(5);
const READ_8 = copyIn(8);

/** BatchNorm's statistics, sums, forward and closed-form dx, at both levels. */
export class BatchNormKernels extends ActivationKernels {
  // ---- pointer level ----

  // BatchNorm1d's kernels on byte addresses (x, dy, out, gx: float32 [n, c]; per-feature
  // vectors: float64 [c], sums [2c]); see the array-level methods of the same names.
  batchNormMeanVarPtr(x: number, n: number, c: number, mean: number, variance: number): void {
    this.x.batchNormMeanVar(x, n, c, mean, variance);
  }
  batchNormSumsPtr(x: number, n: number, c: number, sum: number, sumSq: number): void {
    this.x.batchNormSums(x, n, c, sum, sumSq);
  }
  batchNormForwardPtr(x: number, n: number, c: number, mean: number, scale: number, shift: number, out: number): void {
    this.x.batchNormForward(x, n, c, mean, scale, shift, out);
  }
  batchNormBackwardSumsPtr(x: number, dy: number, n: number, c: number, mean: number, invstd: number, sums: number): void {
    this.x.batchNormBackwardSums(x, dy, n, c, mean, invstd, sums);
  }
  batchNormBackwardDxPtr(x: number, dy: number, n: number, c: number, mean: number, invstd: number, k: number, meanDy: number, meanDyXhat: number, gx: number): void {
    this.x.batchNormBackwardDx(x, dy, n, c, mean, invstd, k, meanDy, meanDyXhat, gx);
  }

  // ---- array level ----

  /** BatchNorm statistics of x: [n, c]: mean[c] and biased var[c] (float64), two passes as BatchNorm1d.batchStats. */
  batchNormMeanVar(x: Float32Array, n: number, c: number, mean: Float64Array, variance: Float64Array): void {
    this.checkBn("batchNormMeanVar", x, n, c, mean, variance);
    this.stage(READ_1_WRITE_2, 0, x, mean, variance);
    this.x.batchNormMeanVar(this.ptrs[0], n, c, this.ptrs[1], this.ptrs[2]);
    this.unstage(mean, 1);
    this.unstage(variance, 2);
  }

  /** sum[c] += Σ_i x[i, c] and sumSq[c] += Σ_i x[i, c]² (float64) for x: [n, c] — SyncBatchNorm's local sums. */
  batchNormSums(x: Float32Array, n: number, c: number, sum: Float64Array, sumSq: Float64Array): void {
    this.checkBn("batchNormSums", x, n, c, sum, sumSq);
    this.stage(READ_3, 0, x, sum, sumSq);
    this.x.batchNormSums(this.ptrs[0], n, c, this.ptrs[1], this.ptrs[2]);
    this.unstage(sum, 1);
    this.unstage(sumSq, 2);
  }

  /** out[i, c] = (x[i, c] − mean[c])·scale[c] + shift[c], computed in float64, for x, out: [n, c]. */
  batchNormForward(x: Float32Array, n: number, c: number, mean: Float64Array, scale: Float64Array, shift: Float64Array, out: Float32Array): void {
    this.checkBn("batchNormForward", x, n, c, mean, scale, shift);
    if (out.length !== x.length) throw new Error(`WasmKernels.batchNormForward: out has ${out.length} elements, x has ${x.length}`);
    this.stage(READ_4_WRITE_1, 0, x, mean, scale, shift, out);
    this.x.batchNormForward(this.ptrs[0], n, c, this.ptrs[1], this.ptrs[2], this.ptrs[3], this.ptrs[4]);
    this.unstage(out, 4);
  }

  /** sums[0..c) += Σ_i dy and sums[c..2c) += Σ_i dy·(x − mean)·invstd (float64), for x, dy: [n, c]. */
  batchNormBackwardSums(x: Float32Array, dy: Float32Array, n: number, c: number, mean: Float64Array, invstd: Float64Array, sums: Float64Array): void {
    this.checkBn("batchNormBackwardSums", x, n, c, mean, invstd);
    if (dy.length !== x.length || sums.length !== 2 * c) throw new Error(`WasmKernels.batchNormBackwardSums: dy must match x and sums have ${2 * c} elements`);
    this.stage(READ_5, 0, x, dy, mean, invstd, sums);
    this.x.batchNormBackwardSums(this.ptrs[0], this.ptrs[1], n, c, this.ptrs[2], this.ptrs[3], this.ptrs[4]);
    this.unstage(sums, 4);
  }

  /**
   * gx[i, c] += k[c]·(dy − meanDy[c] − (x − mean[c])·invstd[c]·meanDyXhat[c]) (float64, rounded
   * once) for x, dy, gx: [n, c] — BatchNorm's closed-form dx.
   */
  batchNormBackwardDx(
    x: Float32Array, dy: Float32Array, n: number, c: number, mean: Float64Array, invstd: Float64Array,
    k: Float64Array, meanDy: Float64Array, meanDyXhat: Float64Array, gx: Float32Array,
  ): void {
    this.checkBn("batchNormBackwardDx", x, n, c, mean, invstd, k, meanDy, meanDyXhat);
    if (dy.length !== x.length || gx.length !== x.length) throw new Error("WasmKernels.batchNormBackwardDx: dy and gx must match x");
    this.stage(READ_8, 0, x, dy, mean, invstd, k, meanDy, meanDyXhat, gx);
    const p = this.ptrs;
    this.x.batchNormBackwardDx(p[0], p[1], n, c, p[2], p[3], p[4], p[5], p[6], p[7]);
    this.unstage(gx, 7);
  }

  private checkBn(name: string, x: Float32Array, n: number, c: number, ...perColumn: Float64Array[]): void {
    if (x.length !== n * c) throw new Error(`WasmKernels.${name}: x has ${x.length} elements, expected ${n}×${c}`);
    for (const v of perColumn) if (v.length !== c) throw new Error(`WasmKernels.${name}: per-feature arrays must have ${c} elements, got ${v.length}`);
  }
}
