// Packing for gemm: op(A) into MR-row panels and op(B) into NR-column panels, whatever the
// layout they are stored in, so that one micro-kernel serves all four transpose layouts.
// Rows/columns past the edge are written as zeros: the kernel always runs a full tile.
// The full-panel fast paths are written for MR = 4 and NR = 8 (one or two 4×4 transposes,
// one or two v128 copies per k step); changing the tile shape means rewriting them.

import { MR, NR } from "./gemm-shape";

/**
 * Transposes the 4×4 block held in rows r0..r3 (r_i = 4 consecutive floats of one row) into
 * columns. V8 lowers these shuffles to unpcklps/unpckhps/movlhps/movhlps.
 */
@inline function lo01(r0: v128, r1: v128): v128 { return f32x4.shuffle(r0, r1, 0, 4, 1, 5); }
@inline function hi01(r0: v128, r1: v128): v128 { return f32x4.shuffle(r0, r1, 2, 6, 3, 7); }
@inline function lo64(t0: v128, t1: v128): v128 { return f32x4.shuffle(t0, t1, 0, 1, 4, 5); }
@inline function hi64(t0: v128, t1: v128): v128 { return f32x4.shuffle(t0, t1, 2, 3, 6, 7); }

/**
 * Packs op(A)[i][p] for i in [0, mc), p in [0, kc) into panels of MR rows: panel i0 holds, for
 * each p, the MR values op(A)[i0..i0+MR)[p]. `a` points at op(A)[0][0]; `lda` is A's row
 * stride in elements. transA: A is stored [k×m] (op(A)[i][p] = A[p][i]).
 */
export function packA(transA: bool, a: usize, lda: i32, kc: i32, mc: i32, dst: usize): void {
  const ldaB = <usize>lda << 2;
  let q = dst;
  for (let i = 0; i < mc; i += MR) {
    const rows = min(MR, mc - i);
    if (transA) {
      // Each k step reads MR contiguous floats of row p of A.
      let s = a + (<usize>i << 2);
      if (rows == MR) {
        for (let p = 0; p < kc; p++) {
          v128.store(q, v128.load(s));
          q += MR * 4; s += ldaB;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let r = 0; r < MR; r++) store<f32>(q + (<usize>r << 2), r < rows ? load<f32>(s + (<usize>r << 2)) : 0);
          q += MR * 4; s += ldaB;
        }
      }
    } else {
      // MR rows of A walked side by side; 4 k steps at a time through 4×4 transposes.
      const r0 = a + <usize>i * ldaB;
      let p = 0;
      if (rows == MR) {
        const r1 = r0 + ldaB, r2 = r1 + ldaB, r3 = r2 + ldaB;
        for (; p + 4 <= kc; p += 4) {
          const o = <usize>p << 2;
          const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
          const t0 = lo01(x0, x1), t1 = lo01(x2, x3), t2 = hi01(x0, x1), t3 = hi01(x2, x3);
          v128.store(q, lo64(t0, t1));
          v128.store(q, hi64(t0, t1), 16);
          v128.store(q, lo64(t2, t3), 32);
          v128.store(q, hi64(t2, t3), 48);
          q += 4 * MR * 4;
        }
      }
      for (; p < kc; p++) {
        const o = <usize>p << 2;
        for (let r = 0; r < MR; r++) store<f32>(q + (<usize>r << 2), r < rows ? load<f32>(r0 + <usize>r * ldaB + o) : 0);
        q += MR * 4;
      }
    }
  }
}

/**
 * Packs op(B)[p][j] for p in [0, kc), j in [0, nc) into panels of NR columns: panel j0 holds,
 * for each p, op(B)[p][j0..j0+NR). `b` points at op(B)[0][0]; `ldb` is B's row stride in
 * elements. transB: B is stored [n×k] (op(B)[p][j] = B[j][p]) — the Linear forward's weight.
 */
export function packB(transB: bool, b: usize, ldb: i32, kc: i32, nc: i32, dst: usize): void {
  const ldbB = <usize>ldb << 2;
  let q = dst;
  for (let j = 0; j < nc; j += NR) {
    const cols = min(NR, nc - j);
    if (!transB) {
      // Each k step copies NR contiguous floats of row p of B.
      let s = b + (<usize>j << 2);
      if (cols == NR) {
        for (let p = 0; p < kc; p++) {
          v128.store(q, v128.load(s));
          v128.store(q, v128.load(s, 16), 16);
          q += NR * 4; s += ldbB;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          for (let t = 0; t < NR; t++) store<f32>(q + (<usize>t << 2), t < cols ? load<f32>(s + (<usize>t << 2)) : 0);
          q += NR * 4; s += ldbB;
        }
      }
    } else {
      // NR rows of B walked side by side; 4 k steps at a time through two 4×4 transposes.
      const r0 = b + <usize>j * ldbB;
      let p = 0;
      if (cols == NR) {
        const r1 = r0 + ldbB, r2 = r1 + ldbB, r3 = r2 + ldbB;
        const r4 = r3 + ldbB, r5 = r4 + ldbB, r6 = r5 + ldbB, r7 = r6 + ldbB;
        for (; p + 4 <= kc; p += 4) {
          const o = <usize>p << 2;
          let x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o), x3 = v128.load(r3 + o);
          let t0 = lo01(x0, x1), t1 = lo01(x2, x3), t2 = hi01(x0, x1), t3 = hi01(x2, x3);
          v128.store(q, lo64(t0, t1));
          v128.store(q, hi64(t0, t1), 32);
          v128.store(q, lo64(t2, t3), 64);
          v128.store(q, hi64(t2, t3), 96);
          x0 = v128.load(r4 + o); x1 = v128.load(r5 + o); x2 = v128.load(r6 + o); x3 = v128.load(r7 + o);
          t0 = lo01(x0, x1); t1 = lo01(x2, x3); t2 = hi01(x0, x1); t3 = hi01(x2, x3);
          v128.store(q, lo64(t0, t1), 16);
          v128.store(q, hi64(t0, t1), 48);
          v128.store(q, lo64(t2, t3), 80);
          v128.store(q, hi64(t2, t3), 112);
          q += 4 * NR * 4;
        }
      }
      for (; p < kc; p++) {
        const o = <usize>p << 2;
        for (let t = 0; t < NR; t++) store<f32>(q + (<usize>t << 2), t < cols ? load<f32>(r0 + <usize>t * ldbB + o) : 0);
        q += NR * 4;
      }
    }
  }
}
