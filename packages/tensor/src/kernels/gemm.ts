/**
 * General matrix multiply in plain TypeScript — the hot spot of training.
 *
 * Structure (Goto/BLIS): the k dimension is cut into KC-deep slices and n into NC-wide
 * column blocks; for each (column block, k slice) the matching slice of op(B) is packed
 * into NR-wide panels, then for every MC-row block of op(A) the slice of op(A) is packed
 * into MR-high panels, and a 4×4 register-blocked micro-kernel runs over every pair of
 * panels. Packing is what makes the four transpose layouts equally fast: it reads A or B
 * in whichever order they are stored and lays them out the one way the micro-kernel wants,
 * so no layout ever walks memory with a large stride in the inner loop.
 *
 * Packed panels are always Float64Array, whatever the element type of A, B and C. That
 * keeps the micro-kernel monomorphic (V8 compiles one typed-array access path) and costs
 * nothing in precision: JS arithmetic is double anyway, so products are summed in double
 * and rounded to float32 once, when stored into C.
 */

export type FloatArray = Float32Array | Float64Array;

/** Micro-tile: MR rows × NR columns of C held in 16 local variables (see microKernel). */
const MR = 4;
const NR = 4;
/** Depth of a k slice. A packed MR×KC sliver of A is 8 KiB, an NR×KC sliver of B 8 KiB: both sit in L1. */
const KC = 256;
/** Rows of A packed at once: MC×KC doubles = 128 KiB, which stays in L2 while all B panels pass over it. */
const MC = 64;
/** Columns of B packed at once: KC×NC doubles = 1 MiB, streamed from L2/L3 one NR sliver at a time. */
const NC = 512;

// Module-level packing scratch: grown when too small, never shrunk, so a steady training
// loop allocates nothing. One set per thread (each worker has its own module instance).
let packedA = new Float64Array(0);
let packedB = new Float64Array(0);
/** The micro-kernel's MR×NR result, handed to writeTile (keeps the kernel free of C's element type). */
const tile = new Float64Array(MR * NR);

/**
 * C[m×n] = alpha · op(A) · op(B) + beta · C (+ bias[j] broadcast over rows if bias given), row-major.
 * op(A) is A [m×k] (lda = row stride) or, when transA, A is stored [k×m] and read transposed. Same for B: [k×n] or stored [n×k] when transB.
 * Offsets aOff/bOff/cOff/biasOff into the arrays. beta = 0 means C is overwritten (never read, so NaN garbage in C is ignored).
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
  const mcMax = Math.min(MC, roundUp(m, MR));
  const ncMax = Math.min(NC, roundUp(n, NR));
  const kcMax = Math.min(KC, k);
  if (packedA.length < mcMax * kcMax) packedA = new Float64Array(mcMax * kcMax);
  if (packedB.length < ncMax * kcMax) packedB = new Float64Array(ncMax * kcMax);
  const pa = packedA;
  const pb = packedB;

  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // The first k slice applies beta and bias; later slices accumulate onto it.
      const first = pc === 0;
      if (transB) packBT(b, bOff + jc * ldb + pc, ldb, kc, nc, pb);
      else packBN(b, bOff + pc * ldb + jc, ldb, kc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        if (transA) packAT(a, aOff + pc * lda + ic, lda, kc, mc, pa);
        else packAN(a, aOff + ic * lda + pc, lda, kc, mc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            microKernel(kc, pa, ir * kc, pb, jr * kc, tile);
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

/** C = beta·C (+ bias): the whole product vanishes when k = 0 or alpha = 0, as in BLAS. */
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
 * The inner loop: an MR×NR block of C accumulated over kc steps in 16 locals.
 * pa holds MR values of op(A) per k step, pb NR values of op(B); each step is 8 loads and
 * 16 multiply-adds. 4×4 measured fastest in V8 (x64 has 16 XMM registers: larger blocks spill).
 */
function microKernel(kc: number, pa: Float64Array, ia: number, pb: Float64Array, ib: number, out: Float64Array): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const b0 = pb[ib], b1 = pb[ib + 1], b2 = pb[ib + 2], b3 = pb[ib + 3];
    let a = pa[ia];
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
    a = pa[ia + 1];
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
    a = pa[ia + 2];
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
    a = pa[ia + 3];
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
    ia += MR;
    ib += NR;
  }
  out[0] = c00; out[1] = c01; out[2] = c02; out[3] = c03;
  out[4] = c10; out[5] = c11; out[6] = c12; out[7] = c13;
  out[8] = c20; out[9] = c21; out[10] = c22; out[11] = c23;
  out[12] = c30; out[13] = c31; out[14] = c32; out[15] = c33;
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
 * Pack op(A) = A (stored [m×k], row stride lda) rows [0, mc) × cols [0, kc) starting at off
 * into MR-row panels: panel i holds, for each k step p, A[i+0..3][p]. Rows past mc are zero.
 */
function packAN(a: FloatArray, off: number, lda: number, kc: number, mc: number, pa: Float64Array): void {
  let q = 0;
  for (let i = 0; i < mc; i += MR) {
    const r0 = off + i * lda;
    if (i + MR <= mc) {
      const r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
      for (let p = 0; p < kc; p++) {
        pa[q] = a[r0 + p]; pa[q + 1] = a[r1 + p]; pa[q + 2] = a[r2 + p]; pa[q + 3] = a[r3 + p];
        q += MR;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) pa[q + r] = i + r < mc ? a[r0 + r * lda + p] : 0;
        q += MR;
      }
    }
  }
}

/** As packAN for op(A) = Aᵀ with A stored [k×m]: each k step reads MR contiguous values. */
function packAT(a: FloatArray, off: number, lda: number, kc: number, mc: number, pa: Float64Array): void {
  let q = 0;
  for (let i = 0; i < mc; i += MR) {
    if (i + MR <= mc) {
      for (let p = 0, s = off + i; p < kc; p++, s += lda) {
        pa[q] = a[s]; pa[q + 1] = a[s + 1]; pa[q + 2] = a[s + 2]; pa[q + 3] = a[s + 3];
        q += MR;
      }
    } else {
      for (let p = 0, s = off + i; p < kc; p++, s += lda) {
        for (let r = 0; r < MR; r++) pa[q + r] = i + r < mc ? a[s + r] : 0;
        q += MR;
      }
    }
  }
}

/**
 * Pack op(B) = B (stored [k×n], row stride ldb) rows [0, kc) × cols [0, nc) starting at off
 * into NR-column panels: panel j holds, for each k step p, B[p][j+0..3]. Columns past nc are zero.
 */
function packBN(b: FloatArray, off: number, ldb: number, kc: number, nc: number, pb: Float64Array): void {
  let q = 0;
  for (let j = 0; j < nc; j += NR) {
    if (j + NR <= nc) {
      for (let p = 0, s = off + j; p < kc; p++, s += ldb) {
        pb[q] = b[s]; pb[q + 1] = b[s + 1]; pb[q + 2] = b[s + 2]; pb[q + 3] = b[s + 3];
        q += NR;
      }
    } else {
      for (let p = 0, s = off + j; p < kc; p++, s += ldb) {
        for (let t = 0; t < NR; t++) pb[q + t] = j + t < nc ? b[s + t] : 0;
        q += NR;
      }
    }
  }
}

/** As packBN for op(B) = Bᵀ with B stored [n×k]: the NR rows of B are walked side by side. */
function packBT(b: FloatArray, off: number, ldb: number, kc: number, nc: number, pb: Float64Array): void {
  let q = 0;
  for (let j = 0; j < nc; j += NR) {
    const r0 = off + j * ldb;
    if (j + NR <= nc) {
      const r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
      for (let p = 0; p < kc; p++) {
        pb[q] = b[r0 + p]; pb[q + 1] = b[r1 + p]; pb[q + 2] = b[r2 + p]; pb[q + 3] = b[r3 + p];
        q += NR;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let t = 0; t < NR; t++) pb[q + t] = j + t < nc ? b[r0 + t * ldb + p] : 0;
        q += NR;
      }
    }
  }
}
