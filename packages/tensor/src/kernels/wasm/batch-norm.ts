/**
 * BatchNorm's kernels over float32 x: [n, c, inner], a kernel family over
 * {@link WasmKernelsCore}: inner = 1 (BatchNorm1d) runs assembly/batch-norm.ts, the same
 * arithmetic as the JS loops of kernels/js/batch-norm.ts in the same order (the same bits);
 * inner > 1 (BatchNorm2d's planes of H·W) runs assembly/batch-norm-planes.ts (forward and dx the
 * same bits, the statistics' sums in another order).
 */
import { copyIn } from "./core.js";
import type { WasmKernels } from "./kernels.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_1_WRITE_2 = copyIn(1, 2);
const READ_3 = copyIn(3);
const READ_4_WRITE_1 = copyIn(4, 1);
const READ_5 = copyIn(5);
const READ_8 = copyIn(8);
const READ_7_WRITE_1 = copyIn(7, 1);

/** Checks x: [n, c, inner] and the per-channel vectors. */
function checkBn(name: string, x: Float32Array, n: number, c: number, inner: number, ...perChannel: Float64Array[]): void {
  if (!Number.isInteger(inner) || inner < 1) throw new Error(`WasmKernels.${name}: inner must be a positive integer, got ${inner}`);
  if (x.length !== n * c * inner) throw new Error(`WasmKernels.${name}: x has ${x.length} elements, expected ${n}×${c}×${inner}`);
  for (const v of perChannel) if (v.length !== c) throw new Error(`WasmKernels.${name}: per-feature arrays must have ${c} elements, got ${v.length}`);
}

/** BatchNorm's statistics, sums, forward and closed-form dx, at both levels. */
export const batchNormKernels = {
  // ---- pointer level ----

  // BatchNorm1d's kernels on byte addresses (x, dy, out, gx: float32 [n, c]; per-feature
  // vectors: float64 [c], sums [2c]); see the array-level methods of the same names.
  batchNormMeanVarPtr(this: WasmKernels, x: number, n: number, c: number, mean: number, variance: number): void {
    this.exports.batchNormMeanVar(x, n, c, mean, variance);
  },
  batchNormSumsPtr(this: WasmKernels, x: number, n: number, c: number, sum: number, sumSq: number): void {
    this.exports.batchNormSums(x, n, c, sum, sumSq);
  },
  batchNormForwardPtr(this: WasmKernels, x: number, n: number, c: number, mean: number, scale: number, shift: number, out: number): void {
    this.exports.batchNormForward(x, n, c, mean, scale, shift, out);
  },
  batchNormBackwardSumsPtr(this: WasmKernels, x: number, dy: number, n: number, c: number, mean: number, invstd: number, sums: number): void {
    this.exports.batchNormBackwardSums(x, dy, n, c, mean, invstd, sums);
  },
  batchNormBackwardDxPtr(this: WasmKernels, x: number, dy: number, n: number, c: number, mean: number, invstd: number, k: number, meanDy: number, meanDyXhat: number, gx: number): void {
    this.exports.batchNormBackwardDx(x, dy, n, c, mean, invstd, k, meanDy, meanDyXhat, gx);
  },

  // ---- array level (the kernel interface's signatures; x: [n, c, inner]) ----

  /** BatchNorm statistics of x: [n, c, inner]: mean[c] and biased var[c] (float64), two passes as BatchNorm1d.batchStats. */
  batchNormMeanVar(this: WasmKernels, x: Float32Array, n: number, c: number, inner: number, mean: Float64Array, variance: Float64Array): void {
    checkBn("batchNormMeanVar", x, n, c, inner, mean, variance);
    this.stage(READ_1_WRITE_2, 0, x, mean, variance);
    if (inner > 1) this.exports.batchNormPlanesMeanVar(this.ptrs[0], n, c, inner, this.ptrs[1], this.ptrs[2]);
    else this.exports.batchNormMeanVar(this.ptrs[0], n, c, this.ptrs[1], this.ptrs[2]);
    this.unstage(mean, 1);
    this.unstage(variance, 2);
  },

  /** sum[c] += Σ_i x[i, c] and sumSq[c] += Σ_i x[i, c]² (float64) per channel of x: [n, c, inner] — SyncBatchNorm's local sums. */
  batchNormSums(this: WasmKernels, x: Float32Array, n: number, c: number, inner: number, sum: Float64Array, sumSq: Float64Array): void {
    checkBn("batchNormSums", x, n, c, inner, sum, sumSq);
    this.stage(READ_3, 0, x, sum, sumSq);
    if (inner > 1) this.exports.batchNormPlanesSums(this.ptrs[0], n, c, inner, this.ptrs[1], this.ptrs[2]);
    else this.exports.batchNormSums(this.ptrs[0], n, c, this.ptrs[1], this.ptrs[2]);
    this.unstage(sum, 1);
    this.unstage(sumSq, 2);
  },

  /** out[i, c] = (x[i, c] − mean[c])·scale[c] + shift[c], computed in float64, for x, out: [n, c, inner] (per channel c). */
  batchNormForward(this: WasmKernels, x: Float32Array, n: number, c: number, inner: number, mean: Float64Array, scale: Float64Array, shift: Float64Array, out: Float32Array): void {
    checkBn("batchNormForward", x, n, c, inner, mean, scale, shift);
    if (out.length !== x.length) throw new Error(`WasmKernels.batchNormForward: out has ${out.length} elements, x has ${x.length}`);
    this.stage(READ_4_WRITE_1, 0, x, mean, scale, shift, out);
    if (inner > 1) this.exports.batchNormPlanesForward(this.ptrs[0], n, c, inner, this.ptrs[1], this.ptrs[2], this.ptrs[3], this.ptrs[4]);
    else this.exports.batchNormForward(this.ptrs[0], n, c, this.ptrs[1], this.ptrs[2], this.ptrs[3], this.ptrs[4]);
    this.unstage(out, 4);
  },

  /** sums[0..c) += Σ_i dy and sums[c..2c) += Σ_i dy·(x − mean)·invstd (float64), for x, dy: [n, c, inner]. */
  batchNormBackwardSums(this: WasmKernels, x: Float32Array, dy: Float32Array, n: number, c: number, inner: number, mean: Float64Array, invstd: Float64Array, sums: Float64Array): void {
    checkBn("batchNormBackwardSums", x, n, c, inner, mean, invstd);
    if (dy.length !== x.length || sums.length !== 2 * c) throw new Error(`WasmKernels.batchNormBackwardSums: dy must match x and sums have ${2 * c} elements`);
    this.stage(READ_5, 0, x, dy, mean, invstd, sums);
    if (inner > 1) this.exports.batchNormPlanesBackwardSums(this.ptrs[0], this.ptrs[1], n, c, inner, this.ptrs[2], this.ptrs[3], this.ptrs[4]);
    else this.exports.batchNormBackwardSums(this.ptrs[0], this.ptrs[1], n, c, this.ptrs[2], this.ptrs[3], this.ptrs[4]);
    this.unstage(sums, 4);
  },

  /**
   * gx[i, c] += k[c]·(dy − meanDy[c] − (x − mean[c])·invstd[c]·meanDyXhat[c]) (float64, rounded
   * once) for x, dy, gx: [n, c, inner] — BatchNorm's closed-form dx.
   */
  batchNormBackwardDx(
    this: WasmKernels, x: Float32Array, dy: Float32Array, n: number, c: number, inner: number, mean: Float64Array, invstd: Float64Array,
    k: Float64Array, meanDy: Float64Array, meanDyXhat: Float64Array, gx: Float32Array, assign = false,
  ): void {
    checkBn("batchNormBackwardDx", x, n, c, inner, mean, invstd, k, meanDy, meanDyXhat);
    if (dy.length !== x.length || gx.length !== x.length) throw new Error("WasmKernels.batchNormBackwardDx: dy and gx must match x");
    // The [n, c] kernel only accumulates: an assign there zeroes gx first (the same result).
    if (assign && inner <= 1) gx.fill(0);
    this.stage(assign && inner > 1 ? READ_7_WRITE_1 : READ_8, 0, x, dy, mean, invstd, k, meanDy, meanDyXhat, gx);
    const p = this.ptrs;
    if (inner > 1) this.exports.batchNormPlanesBackwardDx(p[0], p[1], n, c, inner, p[2], p[3], p[4], p[5], p[6], p[7], assign ? 1 : 0);
    else this.exports.batchNormBackwardDx(p[0], p[1], n, c, p[2], p[3], p[4], p[5], p[6], p[7]);
    this.unstage(gx, 7);
  },
};
