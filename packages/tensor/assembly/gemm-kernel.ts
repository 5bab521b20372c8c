// The gemm micro-kernel: an MR×NR (4×8) tile of C from one packed MR-row panel of op(A) and
// one packed NR-column panel of op(B), with the epilogue (alpha, beta, bias) fused.

import { MR, NR } from "./gemm-shape";

/**
 * acc + a·b. In the module built with relaxed SIMD (scripts/build-wasm.mjs's `relaxed`
 * variants, used only where the host validates them) one f32x4.relaxed_madd — a fused
 * multiply-add on hardware with FMA, rounding once instead of twice; otherwise mul then add.
 */
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** Epilogue flags. READ_C: C = alpha·acc + beta·C (else C = alpha·acc; C is never read). ADD_BIAS: + bias[j]. */
export const READ_C: i32 = 1;
export const ADD_BIAS: i32 = 2;

/**
 * tile = Σ_p a[p]ᵀ·b[p] over kc steps, then C[mr×nr] = alpha·tile (+ beta·C) (+ bias).
 *
 * `pa`: packed A, kc steps of MR floats; `pb`: packed B, kc steps of NR floats (byte pointers).
 * Each k step: 2 vector loads of B, 4 broadcast loads of A (v128.load32_splat, one
 * vbroadcastss on x64), 8 f32x4.mul + 8 f32x4.add = 64 flops. Rows/columns past mr/nr are
 * zero padding in the panels; a partial tile goes through `tile` (MR·NR floats of scratch)
 * so the hot full-tile path has no per-element branches.
 *
 * Why 4×8 and not XNNPACK's 6×8: V8's TurboFan (Node 20) keeps wasm loads in program order
 * and schedules the arithmetic after all of them, so every loaded value of a k step is live at
 * once next to the accumulators; x64 has 16 XMM registers and V8 reserves one as scratch.
 * 4×8 needs 8 accumulators + 6 loaded values + 1 product = 15 and compiles without a spill;
 * 6×8 needs 12 + 8 + 1 and spilled 4 accumulators to the stack every step. Measured with
 * scripts/bench-wasm.mjs-style runs (median GFLOP/s, one thread, this 2-vCPU Zen machine):
 * 6×8 ≈ 24–25, 4×8 ≈ 38–40 at n = 256…1024. Unrolling the k loop would hoist the next step's
 * loads as well and spill for the same reason, so it is not unrolled.
 *
 * The function is not inlined so that V8 tiers it up to TurboFan on its own after the first
 * calls (V8 has no on-stack replacement for wasm).
 */
export function microKernel(
  kc: i32, pa: usize, pb: usize,
  c: usize, ldcBytes: usize, mr: i32, nr: i32,
  alpha: f32, beta: f32, flags: i32, bias: usize, tile: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = pa + <usize>(kc * MR * 4);
  while (pa < end) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let av = v128.load32_splat(pa);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(pa, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(pa, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(pa, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    pa += <usize>(MR * 4);
    pb += <usize>(NR * 4);
  }
  const full = mr == MR && nr == NR;
  // A partial tile is written to scratch and copied element-wise below; a full one goes straight to C.
  const dst = full ? c : tile;
  const ld: usize = full ? ldcBytes : <usize>(NR * 4);
  const alphaV = f32x4.splat(alpha);
  c00 = f32x4.mul(alphaV, c00); c01 = f32x4.mul(alphaV, c01);
  c10 = f32x4.mul(alphaV, c10); c11 = f32x4.mul(alphaV, c11);
  c20 = f32x4.mul(alphaV, c20); c21 = f32x4.mul(alphaV, c21);
  c30 = f32x4.mul(alphaV, c30); c31 = f32x4.mul(alphaV, c31);
  if (full && (flags & READ_C) != 0) {
    const betaV = f32x4.splat(beta);
    let r = c;
    c00 = f32x4.add(c00, f32x4.mul(betaV, v128.load(r))); c01 = f32x4.add(c01, f32x4.mul(betaV, v128.load(r, 16))); r += ldcBytes;
    c10 = f32x4.add(c10, f32x4.mul(betaV, v128.load(r))); c11 = f32x4.add(c11, f32x4.mul(betaV, v128.load(r, 16))); r += ldcBytes;
    c20 = f32x4.add(c20, f32x4.mul(betaV, v128.load(r))); c21 = f32x4.add(c21, f32x4.mul(betaV, v128.load(r, 16))); r += ldcBytes;
    c30 = f32x4.add(c30, f32x4.mul(betaV, v128.load(r))); c31 = f32x4.add(c31, f32x4.mul(betaV, v128.load(r, 16)));
  }
  if (full && (flags & ADD_BIAS) != 0) {
    const bv0 = v128.load(bias), bv1 = v128.load(bias, 16);
    c00 = f32x4.add(c00, bv0); c01 = f32x4.add(c01, bv1);
    c10 = f32x4.add(c10, bv0); c11 = f32x4.add(c11, bv1);
    c20 = f32x4.add(c20, bv0); c21 = f32x4.add(c21, bv1);
    c30 = f32x4.add(c30, bv0); c31 = f32x4.add(c31, bv1);
  }
  let r = dst;
  v128.store(r, c00); v128.store(r, c01, 16); r += ld;
  v128.store(r, c10); v128.store(r, c11, 16); r += ld;
  v128.store(r, c20); v128.store(r, c21, 16); r += ld;
  v128.store(r, c30); v128.store(r, c31, 16);
  if (!full) writePartial(mr, nr, tile, c, ldcBytes, beta, flags, bias);
}

/**
 * {@link microKernel} for a panel of at most 4 real columns (nr ≤ 4: n = 1…4, or the last panel
 * when n mod 8 is 1…4): only the first v128 of each B step is multiplied, half the work. Each
 * lane does the same operations in the same order as in microKernel (lanes are independent), so
 * an element of C rounds alike through either kernel; the tile is always partial (written
 * through `tile` and writePartial).
 */
export function microKernelNarrow(
  kc: i32, pa: usize, pb: usize,
  c: usize, ldcBytes: usize, mr: i32, nr: i32,
  alpha: f32, beta: f32, flags: i32, bias: usize, tile: usize,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const end = pa + <usize>(kc * MR * 4);
  while (pa < end) {
    const b0 = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b0, c0);
    c1 = madd(v128.load32_splat(pa, 4), b0, c1);
    c2 = madd(v128.load32_splat(pa, 8), b0, c2);
    c3 = madd(v128.load32_splat(pa, 12), b0, c3);
    pa += <usize>(MR * 4);
    pb += <usize>(NR * 4);
  }
  const alphaV = f32x4.splat(alpha);
  const ld = <usize>(NR * 4);
  v128.store(tile, f32x4.mul(alphaV, c0));
  v128.store(tile + ld, f32x4.mul(alphaV, c1));
  v128.store(tile + 2 * ld, f32x4.mul(alphaV, c2));
  v128.store(tile + 3 * ld, f32x4.mul(alphaV, c3));
  writePartial(mr, nr, tile, c, ldcBytes, beta, flags, bias);
}

/** C[mr×nr] = tile (already alpha·acc) (+ beta·C) (+ bias), element by element, for edge tiles. */
function writePartial(mr: i32, nr: i32, tile: usize, c: usize, ldcBytes: usize, beta: f32, flags: i32, bias: usize): void {
  const readC = (flags & READ_C) != 0;
  const addBias = (flags & ADD_BIAS) != 0;
  for (let i = 0; i < mr; i++) {
    const row = c + <usize>i * ldcBytes;
    const t = tile + <usize>(i * NR * 4);
    for (let j = 0; j < nr; j++) {
      const o = <usize>(j << 2);
      let v = load<f32>(t + o);
      if (readC) v += beta * load<f32>(row + o);
      if (addBias) v += load<f32>(bias + o);
      store<f32>(row + o, v);
    }
  }
}
