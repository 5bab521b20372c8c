/**
 * Sums on top of {@link WasmKernelsCore}: the all-reduce's sum across ranks (assembly/sum.ts)
 * with its non-finite check (assembly/finite.ts), and the column sums of linear's bias gradient
 * (assembly/column-sum.ts): {@link ReduceKernels}.
 */
import { align, copyIn } from "./core.js";
import { GemmKernels } from "./gemm.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_2 = copyIn(2);

/** The all-reduce's rank-order sum and non-finite check, and columnSum, at both levels. */
export class ReduceKernels extends GemmKernels {
  // ---- pointer level ----

  /**
   * dst[i] = Σ_r src[r·stride + i] for r = 0…worldSize−1 in rank order, n float32 elements,
   * summed in float64 and rounded once (bit-identical to @weft/parallel's JS loop).
   * `src`, `dst` are byte addresses; `strideBytes` is the distance between consecutive
   * sources. dst may be one of the sources (the in-place all-reduce).
   */
  sumPtr(dst: number, src: number, strideBytes: number, worldSize: number, n: number): void {
    this.x.sum(dst, src, strideBytes, worldSize, n);
  }

  /** Index of the first ±∞ or NaN among n float32 elements at byte address x, or −1 when all are finite. */
  firstNonFinitePtr(x: number, n: number): number {
    return this.x.firstNonFinite(x, n);
  }

  /** dst[j] += Σ_r a[r·cols + j] (float32, row order) for a [rows, cols] at byte addresses. */
  columnSumPtr(a: number, rows: number, cols: number, dst: number): void {
    this.x.columnSum(a, rows, cols, dst);
  }

  // ---- array level ----

  /** dst[i] = Σ_r srcs[r][i] in rank order on ordinary arrays (see {@link sumPtr}); dst may be one of srcs. */
  sum(dst: Float32Array, srcs: readonly Float32Array[]): void {
    const n = dst.length, w = srcs.length;
    srcs.forEach((s, r) => {
      if (s.length !== n) throw new Error(`WasmKernels.sum: source ${r} has ${s.length} elements, dst has ${n}`);
    });
    if (n === 0) return;
    if (w === 0) {
      dst.fill(0);
      return;
    }
    const stride = align(n * 4);
    const base = this.reserve(stride * (w + 1));
    srcs.forEach((s, r) => this.put(s, 0, n, base + r * stride));
    const out = base + w * stride;
    this.x.sum(out, base, stride, w, n);
    dst.set(this.viewAt(out, n));
  }

  /**
   * dst[j] += Σ_r a[r·cols + j] for a: [rows, cols] — linear's bias gradient. Float32 adds in
   * row order: the same bits as the JS loop.
   */
  columnSum(a: Float32Array, rows: number, cols: number, dst: Float32Array): void {
    if (a.length !== rows * cols || dst.length !== cols) throw new Error(`WasmKernels.columnSum: expected a of ${rows}×${cols} and dst of ${cols} elements, got ${a.length} and ${dst.length}`);
    if (rows === 0 || cols === 0) return;
    this.stage(READ_2, 0, a, dst);
    this.x.columnSum(this.ptrs[0], rows, cols, this.ptrs[1]);
    this.unstage(dst, 1);
  }
}
