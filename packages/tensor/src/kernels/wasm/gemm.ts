/**
 * The float32 gemm (assembly/gemm.ts), a kernel family over {@link WasmKernelsCore}: both levels
 * and what a call needs of scratch.
 */
import { align } from "./core.js";
import type { WasmKernels } from "./kernels.js";

/** Elements of a row-major block of `rows` rows of `cols` values `ld` apart (0 when empty). */
const span = (rows: number, cols: number, ld: number): number => (rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols);

/** Scratch bytes {@link gemmKernels.gemm} needs to stage this call's operands that are not in `memory`. */
function gemmStagingBytes(k: WasmKernels, m: number, n: number, kk: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, c: Float32Array, ldc: number, transA: boolean, transB: boolean, bias?: Float32Array | null): number {
  const product = kk > 0 && alpha !== 0;
  const aLen = product ? (transA ? span(kk, m, lda) : span(m, kk, lda)) : 0;
  const bLen = product ? (transB ? span(n, kk, ldb) : span(kk, n, ldb)) : 0;
  const cLen = span(m, n, ldc);
  const work = product ? align(k.exports.gemmScratchBytes(m, n, kk)) : 0;
  const aIn = aLen === 0 || k.holds(a), bIn = bLen === 0 || k.holds(b), cIn = k.holds(c);
  const biasIn = bias === undefined || bias === null || k.holds(bias);
  return work + (aIn ? 0 : align(aLen * 4)) + (bIn ? 0 : align(bLen * 4)) + (cIn ? 0 : align(cLen * 4)) + (biasIn ? 0 : n * 4);
}

/** C = alpha·op(A)·op(B) + beta·C (+ bias), at both levels, and what it needs of scratch. */
export const gemmKernels = {
  /** Bytes of scratch {@link gemmPtr} needs for an m×n×k product. */
  gemmScratchBytes(this: WasmKernels, m: number, n: number, k: number): number {
    return this.exports.gemmScratchBytes(m, n, k);
  },

  /**
   * C[m×n] = alpha·op(A)·op(B) + beta·C (+ bias[j]) on byte addresses in `memory`, same
   * contract as kernels/js/gemm.ts (row-major, op(A) = A [m×k] or, when transA, A stored [k×m];
   * beta = 0 never reads C). `bias` null: none. `scratch`: byte address of
   * gemmScratchBytes(m, n, k) bytes it may overwrite; default: this instance's scratch range.
   * An address outside the memory traps (a WebAssembly.RuntimeError), it cannot corrupt.
   */
  gemmPtr(
    this: WasmKernels, transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
    bias: number | null = null, scratch?: number,
  ): void {
    const s = scratch ?? this.reserve(this.exports.gemmScratchBytes(m, n, k));
    this.exports.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias ?? 0, bias === null ? 0 : 1, s);
  },

  /** Whether {@link gemm} can run this call within this instance's scratch (always, for an owned memory). */
  gemmFits(this: WasmKernels, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, c: Float32Array, ldc: number, transA: boolean, transB: boolean, bias?: Float32Array | null): boolean {
    return this.scratchFits(gemmStagingBytes(this, m, n, k, alpha, a, lda, b, ldb, c, ldc, transA, transB, bias));
  },

  /**
   * gemm with the signature of the kernel interface for float32 arrays: operands are copied into
   * scratch (unless already in `memory`), C is copied back. Only the elements the JS kernel
   * would touch are read or written.
   */
  gemm(
    this: WasmKernels, transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, aOff: number, lda: number, b: Float32Array, bOff: number, ldb: number,
    beta: number, c: Float32Array, cOff: number, ldc: number, bias?: Float32Array | null, biasOff = 0,
  ): void {
    if (m <= 0 || n <= 0) return;
    const product = k > 0 && alpha !== 0; // otherwise A and B are not read (as in BLAS)
    const aLen = product ? (transA ? span(k, m, lda) : span(m, k, lda)) : 0;
    const bLen = product ? (transB ? span(n, k, ldb) : span(k, n, ldb)) : 0;
    const cLen = span(m, n, ldc);
    const aIn = aLen === 0 || this.holds(a), bIn = bLen === 0 || this.holds(b), cIn = this.holds(c);
    const hasBias = bias !== undefined && bias !== null;
    const biasIn = !hasBias || this.holds(bias);
    // Scratch layout: [gemm packing][A][B][C][bias], each staged operand 64-byte aligned.
    const work = product ? align(this.exports.gemmScratchBytes(m, n, k)) : 0;
    const aAt = work, bAt = aAt + (aIn ? 0 : align(aLen * 4)), cAt = bAt + (bIn ? 0 : align(bLen * 4));
    const biasAt = cAt + (cIn ? 0 : align(cLen * 4));
    const base = this.reserve(biasAt + (biasIn ? 0 : n * 4));

    const aPtr = aIn ? a.byteOffset + aOff * 4 : base + aAt;
    const bPtr = bIn ? b.byteOffset + bOff * 4 : base + bAt;
    const cPtr = cIn ? c.byteOffset + cOff * 4 : base + cAt;
    const biasPtr = !hasBias ? null : biasIn ? bias.byteOffset + biasOff * 4 : base + biasAt;
    if (!aIn) this.put(a, aOff, aLen, aPtr);
    if (!bIn) this.put(b, bOff, bLen, bPtr);
    // C is read when beta ≠ 0; when rows have gaps (ldc > n) it is staged anyway so that the
    // copy back, one span, writes the gaps back unchanged.
    if (!cIn && (beta !== 0 || ldc > n)) this.put(c, cOff, cLen, cPtr);
    if (hasBias && !biasIn) this.put(bias, biasOff, n, biasPtr as number);

    this.exports.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, aPtr, lda, bPtr, ldb, beta, cPtr, ldc,
      biasPtr ?? 0, hasBias ? 1 : 0, base);
    if (!cIn) c.set(this.viewAt(cPtr, cLen), cOff);
  },
};
