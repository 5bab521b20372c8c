/**
 * General matrix multiply in plain TypeScript — the hot spot of training.
 *
 * Structure (Goto/BLIS): k is cut into slices of at most KC and n into blocks of at most NC
 * columns; for each (column block, k slice) that slice of op(B) is packed into NR-wide
 * panels, then for every MC-row block of op(A) its slice is packed into MR-high panels,
 * and an MR×NR register-blocked micro-kernel runs over every pair of panels. Packing is
 * what makes the four transpose layouts equally fast: it reads A or B in whichever order
 * they are stored and lays them out the one way the micro-kernel wants, so no layout walks
 * memory with a large stride in the inner loop.
 *
 * Packed panels are always Float64, whatever the element type of A, B and C. That keeps
 * the micro-kernel monomorphic (V8 compiles one typed-array access path for it) and costs
 * no precision: JS arithmetic is double anyway, so products are summed in double and
 * rounded to float32 once, when stored into C. A and B are packed into one array (A's
 * region first, then B's): one typed array in the inner loop means one map check and one
 * set of base/length registers per k step instead of two (measured +4% at n = 512).
 */

import type { FloatArray } from "../interface.js";

export type { FloatArray };

/**
 * Micro-tile: MR rows × NR columns of C in 12 locals. V8 (TurboFan, Node 20) computes
 * all products of a k step before adding any of them, so accumulators, products and loaded
 * operands compete for x64's 16 XMM registers and bigger tiles spill to the stack. Whole
 * gemm at n = 512, tiles compared side by side in one process on the 2-vCPU EPYC (best of
 * 15, GFLOP/s): 3×4 5.6, 4×3 5.5, 3×8 5.3, 2×8 5.2, 4×4 5.1–5.3, 4×8 5.1, 2×4 4.5.
 */
const MR = 3;
const NR = 4;
/** Deepest k slice: an MR×KC sliver of packed A (6 KiB) and an NR×KC sliver of B (8 KiB) sit in L1. */
const KC = 256;
/** Rows of A packed at once (a multiple of MR): 96×256 doubles = 192 KiB, kept in L2 while B panels pass. */
const MC = 96;
/** Columns of B packed at once (a multiple of NR): 512×256 doubles = 1 MiB, streamed one NR sliver at a time. */
const NC = 512;

// Module-level packing scratch, grown when too small and never shrunk, so a steady training
// loop allocates nothing. Each worker thread has its own module instance, hence its own scratch.
let packed = new Float64Array(0);
/** The micro-kernel's MR×NR result, handed to writeTile (keeps the kernel free of C's element type). */
const tile = new Float64Array(MR * NR);

/**
 * C[m×n] = alpha · op(A) · op(B) + beta · C (+ bias[j] broadcast over rows if bias given), row-major.
 * op(A) is A [m×k] (lda = row stride) or, when transA, A is stored [k×m] and read transposed. Same for B: [k×n] or stored [n×k] when transB.
 * Offsets aOff/bOff/cOff/biasOff into the arrays. beta = 0 means C is overwritten (never read, so NaN garbage in C is ignored).
 * C must not overlap A, B or bias. Sums are formed in double; alpha = 0 or k = 0 reads neither A nor B.
 *
 * @example
 * // Linear forward y[N×out] = x[N×in] · W[out×in]ᵀ + b
 * gemm(false, true, N, out, inF, 1, x, 0, inF, w, 0, inF, 0, y, 0, out, b, 0);
 */
export function gemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number,
  beta: number, c: FloatArray, cOff: number, ldc: number, bias?: FloatArray | null, biasOff = 0,
): void {
  if (m <= 0 || n <= 0) return;
  const bs = bias ?? null;
  if (k <= 0 || alpha === 0) {
    scaleC(m, n, beta, c, cOff, ldc, bs, biasOff);
    return;
  }
  if (m === 1 || n === 1) {
    // One row (a single sample at inference) or column (a regression head): each packed
    // element would be used once, so packing costs as much as the product, and 2/3 or 3/4
    // of every micro-tile would be padding. Dot products straight from A and B instead, with
    // the packed path's rounding (1×256×784 NT: 1.1 → 1.7 GFLOP/s; at m = 2 the packed path
    // is already faster).
    gemmDirect(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bs, biasOff);
    return;
  }
  // Split k into equal slices rather than KC, KC, …, remainder: k = 784 gives 4 × 196, not
  // 3 × 256 + 16 (a 16-deep slice pays a full C write-back and call overhead for little work).
  const kSlices = Math.ceil(k / KC);
  const kcMax = Math.ceil(k / kSlices);
  const aSize = Math.min(MC, roundUp(m, MR)) * kcMax;
  const need = aSize + Math.min(NC, roundUp(n, NR)) * kcMax;
  if (packed.length < need) packed = new Float64Array(need);
  const buf = packed;

  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kcMax) {
      const kc = Math.min(kcMax, k - pc);
      // The first k slice applies beta and bias; later slices accumulate onto it.
      const first = pc === 0;
      if (transB) packBT(b, bOff + jc * ldb + pc, ldb, kc, nc, buf, aSize);
      else packBN(b, bOff + pc * ldb + jc, ldb, kc, nc, buf, aSize);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        if (transA) packAT(a, aOff + pc * lda + ic, lda, kc, mc, buf);
        else packAN(a, aOff + ic * lda + pc, lda, kc, mc, buf);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            microKernel(kc, buf, ir * kc, aSize + jr * kc);
            writeTile(Math.min(MR, mc - ir), nr, alpha, first ? beta : 1, c, cOff + (ic + ir) * ldc + jc + jr, ldc,
              first ? bs : null, biasOff + jc + jr);
          }
        }
      }
    }
  }
}

function roundUp(x: number, r: number): number {
  return Math.ceil(x / r) * r;
}

/** C = beta·C (+ bias): the product vanishes when k = 0 or alpha = 0 (A and B are not read, as in BLAS). */
function scaleC(m: number, n: number, beta: number, c: FloatArray, cOff: number, ldc: number,
  bias: FloatArray | null, biasOff: number): void {
  for (let i = 0; i < m; i++) {
    const row = cOff + i * ldc;
    for (let j = 0; j < n; j++) {
      const prev = beta === 0 ? 0 : beta * c[row + j];
      c[row + j] = bias === null ? prev : prev + bias[biasOff + j];
    }
  }
}

/**
 * C = alpha·op(A)·op(B) + beta·C (+ bias) for one row or one column, without packing, rounding
 * every element exactly as the packed path does (the same k slices, each a sequential double
 * sum from zero, then writeTile's epilogue per slice), so a row's bits do not depend on m nor
 * a column's on n (the data-parallel engine's W workers ≡ one). Four elements along the line
 * at a time: four independent sums hide the adder's latency.
 */
function gemmDirect(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number,
  beta: number, c: FloatArray, cOff: number, ldc: number, bias: FloatArray | null, biasOff: number,
): void {
  // op(A)[i][p] = a[aOff + i·ai + p·ap], op(B)[p][j] = b[bOff + p·bp + j·bj].
  const ai = transA ? 1 : lda, ap = transA ? lda : 1;
  const bp = transB ? 1 : ldb, bj = transB ? ldb : 1;
  const kcMax = Math.ceil(k / Math.ceil(k / KC));
  // The line: m = 1 walks j (x fixed, y moves by bj), n = 1 walks i (x moves by ai, y fixed).
  const len = m === 1 ? n : m;
  const dx = m === 1 ? 0 : ai, dy = m === 1 ? bj : 0, dc = m === 1 ? 1 : ldc;
  const db = m === 1 ? 1 : 0;
  for (let e = 0; e < len; e += 4) {
    const cnt = Math.min(4, len - e);
    // Missing elements of a last group repeat element e (computed, not stored).
    const e1 = cnt > 1 ? e + 1 : e, e2 = cnt > 2 ? e + 2 : e, e3 = cnt > 3 ? e + 3 : e;
    const x0 = aOff + e * dx, x1 = aOff + e1 * dx, x2 = aOff + e2 * dx, x3 = aOff + e3 * dx;
    const y0 = bOff + e * dy, y1 = bOff + e1 * dy, y2 = bOff + e2 * dy, y3 = bOff + e3 * dy;
    for (let pc = 0; pc < k; pc += kcMax) {
      const end = Math.min(k, pc + kcMax);
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = pc; p < end; p++) {
        const xo = p * ap, yo = p * bp;
        s0 += a[x0 + xo] * b[y0 + yo];
        s1 += a[x1 + xo] * b[y1 + yo];
        s2 += a[x2 + xo] * b[y2 + yo];
        s3 += a[x3 + xo] * b[y3 + yo];
      }
      const first = pc === 0, bt = first ? beta : 1;
      for (let t = 0; t < cnt; t++) {
        const o = cOff + (e + t) * dc;
        let v = alpha * (t === 0 ? s0 : t === 1 ? s1 : t === 2 ? s2 : s3);
        if (bt !== 0) v += bt * c[o];
        if (first && bias !== null) v += bias[biasOff + (e + t) * db];
        c[o] = v;
      }
    }
  }
}

/**
 * The inner loop: tile[r][j] = Σ_p A[r][p]·B[p][j] over kc steps, a sum of outer products.
 * Packed A supplies MR values per step from buf[ia], packed B NR values per step from
 * buf[ib]. Each step is 7 loads and 12 multiply-adds, all in locals.
 */
function microKernel(kc: number, buf: Float64Array, ia: number, ib: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  // Looping on ia itself (no separate counter) saves an induction variable, a register.
  for (const end = ia + kc * MR; ia < end; ia += MR) {
    const a0 = buf[ia], a1 = buf[ia + 1], a2 = buf[ia + 2];
    let b = buf[ib];
    c00 += a0 * b; c10 += a1 * b; c20 += a2 * b;
    b = buf[ib + 1];
    c01 += a0 * b; c11 += a1 * b; c21 += a2 * b;
    b = buf[ib + 2];
    c02 += a0 * b; c12 += a1 * b; c22 += a2 * b;
    b = buf[ib + 3];
    c03 += a0 * b; c13 += a1 * b; c23 += a2 * b;
    ib += NR;
  }
  const t = tile;
  t[0] = c00; t[1] = c01; t[2] = c02; t[3] = c03;
  t[4] = c10; t[5] = c11; t[6] = c12; t[7] = c13;
  t[8] = c20; t[9] = c21; t[10] = c22; t[11] = c23;
}

/** C[mr×nr] = alpha·tile + beta·C (+ bias); beta = 0 never reads C. */
function writeTile(mr: number, nr: number, alpha: number, beta: number, c: FloatArray, cOff: number, ldc: number,
  bias: FloatArray | null, biasOff: number): void {
  for (let r = 0; r < mr; r++) {
    const row = cOff + r * ldc;
    for (let j = 0; j < nr; j++) {
      let v = alpha * tile[r * NR + j];
      if (beta !== 0) v += beta * c[row + j];
      if (bias !== null) v += bias[biasOff + j];
      c[row + j] = v;
    }
  }
}

/**
 * Pack op(A) = A (stored [m×k], row stride lda), rows [0, mc) × k steps [0, kc) from off,
 * into MR-row panels at buf[0…]: panel i holds, for each step p, A[i..i+MR)[p]. Rows past
 * mc are zero, so the micro-kernel always runs a full tile and writeTile drops the padding.
 */
function packAN(a: FloatArray, off: number, lda: number, kc: number, mc: number, buf: Float64Array): void {
  let q = 0;
  for (let i = 0; i < mc; i += MR) {
    const r0 = off + i * lda;
    if (i + MR <= mc) {
      const r1 = r0 + lda, r2 = r1 + lda;
      for (let p = 0; p < kc; p++) {
        buf[q] = a[r0 + p]; buf[q + 1] = a[r1 + p]; buf[q + 2] = a[r2 + p];
        q += MR;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) buf[q + r] = i + r < mc ? a[r0 + r * lda + p] : 0;
        q += MR;
      }
    }
  }
}

/** As packAN for op(A) = Aᵀ with A stored [k×m]: each k step reads MR contiguous values. */
function packAT(a: FloatArray, off: number, lda: number, kc: number, mc: number, buf: Float64Array): void {
  let q = 0;
  for (let i = 0; i < mc; i += MR) {
    if (i + MR <= mc) {
      for (let p = 0, s = off + i; p < kc; p++, s += lda) {
        buf[q] = a[s]; buf[q + 1] = a[s + 1]; buf[q + 2] = a[s + 2];
        q += MR;
      }
    } else {
      for (let p = 0, s = off + i; p < kc; p++, s += lda) {
        for (let r = 0; r < MR; r++) buf[q + r] = i + r < mc ? a[s + r] : 0;
        q += MR;
      }
    }
  }
}

/**
 * Pack op(B) = B (stored [k×n], row stride ldb), k steps [0, kc) × columns [0, nc) from off,
 * into NR-column panels at buf[q0…]: panel j holds, for each step p, B[p][j..j+NR). Columns
 * past nc are zero.
 */
function packBN(b: FloatArray, off: number, ldb: number, kc: number, nc: number, buf: Float64Array, q0: number): void {
  let q = q0;
  for (let j = 0; j < nc; j += NR) {
    if (j + NR <= nc) {
      for (let p = 0, s = off + j; p < kc; p++, s += ldb) {
        buf[q] = b[s]; buf[q + 1] = b[s + 1]; buf[q + 2] = b[s + 2]; buf[q + 3] = b[s + 3];
        q += NR;
      }
    } else {
      for (let p = 0, s = off + j; p < kc; p++, s += ldb) {
        for (let t = 0; t < NR; t++) buf[q + t] = j + t < nc ? b[s + t] : 0;
        q += NR;
      }
    }
  }
}

/** As packBN for op(B) = Bᵀ with B stored [n×k]: the NR rows of B are walked side by side. */
function packBT(b: FloatArray, off: number, ldb: number, kc: number, nc: number, buf: Float64Array, q0: number): void {
  let q = q0;
  for (let j = 0; j < nc; j += NR) {
    const r0 = off + j * ldb;
    if (j + NR <= nc) {
      const r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
      for (let p = 0; p < kc; p++) {
        buf[q] = b[r0 + p]; buf[q + 1] = b[r1 + p]; buf[q + 2] = b[r2 + p]; buf[q + 3] = b[r3 + p];
        q += NR;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let t = 0; t < NR; t++) buf[q + t] = j + t < nc ? b[r0 + t * ldb + p] : 0;
        q += NR;
      }
    }
  }
}
