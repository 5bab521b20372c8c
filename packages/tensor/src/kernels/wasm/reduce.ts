/**
 * Sums, a kernel family over {@link WasmKernelsCore}: the all-reduce's sum across ranks
 * (assembly/sum.ts) with its non-finite check (assembly/finite.ts), and the column sums of
 * linear's bias gradient (assembly/column-sum.ts).
 */
import { align, copyIn } from "./core.js";
import type { WasmKernels } from "./kernels.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_1 = copyIn(1);
const READ_2 = copyIn(2);

/**
 * The byte distance between consecutive sources when `srcs` lie equally spaced in rank order in
 * this instance's memory, dst there too and every array at least `hi` long — the shape the
 * parallel engine gives its gradient slots; else −1.
 */
export function rankStride(k: WasmKernels, dst: Float32Array, srcs: readonly Float32Array[], hi: number): number {
  const w = srcs.length;
  if (w === 0 || !k.holds(dst) || dst.length < hi || !k.holds(srcs[0]) || srcs[0].length < hi) return -1;
  const first = srcs[0].byteOffset;
  const stride = w > 1 ? srcs[1].byteOffset - first : 0;
  if (stride < 0) return -1;
  for (let r = 1; r < w; r++) {
    const s = srcs[r];
    if (!k.holds(s) || s.byteOffset !== first + r * stride || s.length < hi) return -1;
  }
  return stride;
}

/** The all-reduce's rank-order sum and non-finite check, and columnSum, at both levels. */
export const reduceKernels = {
  // ---- pointer level ----

  /**
   * dst[i] = Σ_r src[r·stride + i] for r = 0…worldSize−1 in rank order, n float32 elements,
   * summed in float64 and rounded once (bit-identical to the JS kernel, kernels/js/reduce.ts).
   * `src`, `dst` are byte addresses; `strideBytes` is the distance between consecutive
   * sources. dst may be one of the sources (the in-place all-reduce).
   */
  sumPtr(this: WasmKernels, dst: number, src: number, strideBytes: number, worldSize: number, n: number): void {
    this.exports.sum(dst, src, strideBytes, worldSize, n);
  },

  /** Index of the first ±∞ or NaN among n float32 elements at byte address x, or −1 when all are finite. */
  firstNonFinitePtr(this: WasmKernels, x: number, n: number): number {
    return this.exports.firstNonFinite(x, n);
  },

  /** dst[j] += Σ_r a[r·cols + j] (float32, row order) for a [rows, cols] at byte addresses. */
  columnSumPtr(this: WasmKernels, a: number, rows: number, cols: number, dst: number): void {
    this.exports.columnSum(a, rows, cols, dst);
  },

  // ---- array level ----

  /** dst[i] = Σ_r srcs[r][i] in rank order on ordinary arrays (see {@link sumPtr}); dst may be one of srcs. */
  sum(this: WasmKernels, dst: Float32Array, srcs: readonly Float32Array[]): void {
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
    this.exports.sum(out, base, stride, w, n);
    dst.set(this.viewAt(out, n));
  },

  /**
   * The kernel interface's sumRanks in place: dst[i] = Σ_r srcs[r][i] for i in [lo, hi), where
   * dst and srcs lie in `memory` with the sources equally spaced in rank order (see
   * {@link rankStride}; the wasm backend hands any other call to the JS kernel).
   */
  sumRanks(this: WasmKernels, dst: Float32Array, srcs: readonly Float32Array[], lo: number, hi: number): void {
    const stride = rankStride(this, dst, srcs, hi);
    if (stride < 0) throw new Error("WasmKernels.sumRanks: dst and the sources must lie in this instance's memory, the sources equally spaced in rank order");
    if (hi <= lo) return;
    if (lo < 0) throw new Error(`WasmKernels.sumRanks: lo must be ≥ 0, got ${lo}`);
    this.exports.sum(dst.byteOffset + lo * 4, srcs[0].byteOffset + lo * 4, stride, srcs.length, hi - lo);
  },

  /** Index of the first ±∞ or NaN of x, or −1 (see {@link firstNonFinitePtr}); in place when x is in `memory`. */
  firstNonFinite(this: WasmKernels, x: Float32Array): number {
    if (x.length === 0) return -1;
    this.stage(READ_1, 0, x);
    return this.exports.firstNonFinite(this.ptrs[0], x.length);
  },

  /**
   * dst[j] += Σ_r a[r·cols + j] for a: [rows, cols] — linear's bias gradient. Float32 adds in
   * row order: the same bits as the JS loop.
   */
  columnSum(this: WasmKernels, a: Float32Array, rows: number, cols: number, dst: Float32Array): void {
    if (a.length !== rows * cols || dst.length !== cols) throw new Error(`WasmKernels.columnSum: expected a of ${rows}×${cols} and dst of ${cols} elements, got ${a.length} and ${dst.length}`);
    if (rows === 0 || cols === 0) return;
    this.stage(READ_2, 0, a, dst);
    this.exports.columnSum(this.ptrs[0], rows, cols, this.ptrs[1]);
    this.unstage(dst, 1);
  },
};
