// gemm driver: C = alpha·op(A)·op(B) + beta·C (+ bias), row-major float32, the same contract
// as src/kernels/js/gemm.ts (the plain TypeScript kernel, which stays the reference).
//
// Structure (Goto/BLIS, as the JS kernel): n is cut into blocks of at most NC columns and k
// into slices of at most KC; each (column block, k slice) of op(B) is packed into NR-column
// panels, then each MC-row block of op(A) into MR-row panels, and the 4×8 SIMD micro-kernel
// runs over every pair of panels. Packing reads A and B in whatever order they are stored,
// so all four layouts (forward x·Wᵀ, dW = dyᵀ·x, dx = dy·W, plain) run the same inner loop.
//
// Every element of C rounds the same way whatever m and n are (the same k slices, the same
// multiply-add sequence per lane, the same epilogue): a row computed in a 1-row, 43-row or
// 128-row call, or a column in a call of 1 or 256 columns, has the same bits. The data-parallel
// engine relies on it (W workers ≡ one): a shard's row count must not change a row's rounding,
// with or without relaxed SIMD's fused multiply-add. Hence no special path for m = 1 or n = 1
// (a 1-row call through packing measured as fast as dot products; narrow panels, n mod 8 in
// 1…4, run microKernelNarrow, which does half the multiplies).
//
// All pointers are byte addresses in this module's memory; strides and sizes are in elements.

import { KC, MC, MR, NC, NR } from "./gemm-shape";
import { packA, packB } from "./gemm-pack";
import { ADD_BIAS, READ_C, microKernel, microKernelNarrow } from "./gemm-kernel";

@inline function ceilDiv(x: i32, d: i32): i32 { return (x + d - 1) / d; }
@inline function roundUp(x: i32, r: i32): i32 { return ceilDiv(x, r) * r; }

// Block sizes for a problem: the k slices (and row/column blocks) are made equal rather than
// KC, KC, …, remainder — k = 784 gives 4 × 196, not 3 × 256 + 16 (a thin last slice pays a
// full pass over C for little work). Same rule as the JS kernel.
@inline function kcFor(k: i32): i32 { return ceilDiv(k, ceilDiv(k, KC)); }
@inline function mcFor(m: i32): i32 { return roundUp(ceilDiv(m, ceilDiv(m, MC)), MR); }
@inline function ncFor(n: i32): i32 { return roundUp(ceilDiv(n, ceilDiv(n, NC)), NR); }

/** Bytes of scratch {@link gemm} needs for these sizes (packed A block, packed B block, one edge tile). */
export function gemmScratchBytes(m: i32, n: i32, k: i32): usize {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  const kc = kcFor(k);
  return (<usize>(mcFor(m) * kc) + <usize>(ncFor(n) * kc) + <usize>(MR * NR)) << 2;
}

/**
 * C[m×n] = alpha·op(A)·op(B) + beta·C (+ bias[j] over rows when hasBias). op(A) is A [m×k]
 * (row stride lda) or, when transA, A stored [k×m]; likewise B [k×n] or stored [n×k].
 * beta = 0 never reads C. `scratch` must hold gemmScratchBytes(m, n, k) bytes (16-byte
 * alignment is not required; wasm SIMD loads are unaligned).
 */
export function gemm(
  transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
  bias: usize, hasBias: bool, scratch: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    scaleC(m, n, beta, c, ldc, bias, hasBias);
    return;
  }
  const kcMax = kcFor(k), mcMax = mcFor(m), ncMax = ncFor(n);
  const pa = scratch;
  const pb = pa + (<usize>(mcMax * kcMax) << 2);
  const tile = pb + (<usize>(ncMax * kcMax) << 2);
  const ldaB = <usize>lda << 2, ldbB = <usize>ldb << 2, ldcB = <usize>ldc << 2;

  for (let jc = 0; jc < n; jc += ncMax) {
    const nc = min(ncMax, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = min(kcMax, k - pc);
      // The first k slice applies beta and bias; later slices accumulate onto it (C += alpha·…).
      const first = pc == 0;
      const flags = first ? (beta != 0 ? READ_C : 0) | (hasBias ? ADD_BIAS : 0) : READ_C;
      const betaK: f32 = first ? beta : 1;
      const bOrigin = transB ? b + <usize>jc * ldbB + (<usize>pc << 2) : b + <usize>pc * ldbB + (<usize>jc << 2);
      packB(transB, bOrigin, ldb, kc, nc, pb);
      for (let ic = 0; ic < m; ic += mcMax) {
        const mc = min(mcMax, m - ic);
        const aOrigin = transA ? a + <usize>pc * ldaB + (<usize>ic << 2) : a + <usize>ic * ldaB + (<usize>pc << 2);
        packA(transA, aOrigin, lda, kc, mc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pbj = pb + (<usize>(jr * kc) << 2);
          const cCol = c + (<usize>(jc + jr) << 2);
          const biasJ = bias + (<usize>(jc + jr) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            if (nr > NR / 2) {
              microKernel(kc, pa + (<usize>(ir * kc) << 2), pbj, cCol + <usize>(ic + ir) * ldcB, ldcB,
                min(MR, mc - ir), nr, alpha, betaK, flags, biasJ, tile);
            } else {
              microKernelNarrow(kc, pa + (<usize>(ir * kc) << 2), pbj, cCol + <usize>(ic + ir) * ldcB, ldcB,
                min(MR, mc - ir), nr, alpha, betaK, flags, biasJ, tile);
            }
          }
        }
      }
    }
  }
}

/** C = beta·C (+ bias): the product vanishes when k = 0 or alpha = 0 (A and B are not read, as in BLAS). */
function scaleC(m: i32, n: i32, beta: f32, c: usize, ldc: i32, bias: usize, hasBias: bool): void {
  for (let i = 0; i < m; i++) {
    const row = c + <usize>i * (<usize>ldc << 2);
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 2;
      let v: f32 = beta == 0 ? 0 : beta * load<f32>(row + o);
      if (hasBias) v += load<f32>(bias + o);
      store<f32>(row + o, v);
    }
  }
}
