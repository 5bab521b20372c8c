// exp and log for float64 without lookup tables: fdlibm's e_exp.c and e_log.c (Sun
// Microsystems, 1993: "Permission to use, copy, modify, and distribute this software is freely
// granted, provided that this notice is preserved"), the algorithms V8 ports for Math.exp and
// Math.log (src/base/ieee754.cc) — so a kernel using them can give the JS loop's bits.
//
// Why not AssemblyScript's Math.exp/log: at the default shrink level they read lookup tables
// from a data segment, and a module's data segments are written into its memory at every
// instantiation — into the caller's (shared) memory, over whatever lives at those addresses
// (a worker instantiating the module would clobber parameters). This module must have none
// (test/wasm-cross-entropy.test.ts checks the binary).

/** e^x, fdlibm's __ieee754_exp as V8 has it (with its exact exp(1)). */
export function fdlibmExp(x: f64): f64 {
  const o_threshold = 7.09782712893383973096e+02, u_threshold = -7.45133219101941108420e+02;
  const ln2HI = 6.93147180369123816490e-01, ln2LO = 1.90821492927058770002e-10, invln2 = 1.44269504088896338700e+00;
  const P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05;
  const P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;
  const twom1000 = 9.33263618503218878990e-302, two1023 = 8.988465674311579539e307;
  let hx = <u32>(reinterpret<u64>(x) >> 32);
  const xsb = <i32>(hx >> 31);
  hx &= 0x7FFFFFFF;
  if (hx >= 0x40862E42) {
    if (hx >= 0x7FF00000) {
      if (((hx & 0xFFFFF) | <u32>reinterpret<u64>(x)) != 0) return x + x; // NaN
      return xsb == 0 ? x : 0.0; // exp(±∞) = ∞, 0
    }
    if (x > o_threshold) return Infinity;
    if (x < u_threshold) return 0;
  }
  let hi: f64 = 0, lo: f64 = 0;
  let k: i32 = 0;
  if (hx > 0x3FD62E42) { // |x| > 0.5 ln2
    if (hx < 0x3FF0A2B2) { // and |x| < 1.5 ln2
      if (x == 1.0) return 2.718281828459045;
      hi = xsb == 0 ? x - ln2HI : x + ln2HI;
      lo = xsb == 0 ? ln2LO : -ln2LO;
      k = 1 - xsb - xsb;
    } else {
      k = <i32>(invln2 * x + (xsb == 0 ? 0.5 : -0.5));
      const t = <f64>k;
      hi = x - t * ln2HI;
      lo = t * ln2LO;
    }
    x = hi - lo;
  } else if (hx < 0x3E300000) { // |x| < 2^-28
    return 1.0 + x;
  }
  const t = x * x;
  const twopk = k >= -1021
    ? reinterpret<f64>(<u64>(0x3FF00000 + (k << 20)) << 32)
    : reinterpret<f64>(<u64>(0x3FF00000 + ((k + 1000) << 20)) << 32);
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * two1023;
    return y * twopk;
  }
  return y * twopk * twom1000;
}

/** ln x, fdlibm's __ieee754_log as V8 has it. */
export function fdlibmLog(x: f64): f64 {
  const ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10, two54 = 1.80143985094819840000e+16;
  const Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01;
  const Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01;
  const Lg7 = 1.479819860511658591e-01;
  let u = reinterpret<u64>(x);
  let hx = <i32>(u >> 32);
  const lx = <u32>u;
  let k: i32 = 0;
  if (hx < 0x00100000) { // x < 2^-1022
    if (((hx & 0x7FFFFFFF) | <i32>lx) == 0) return -Infinity; // log(±0)
    if (hx < 0) return NaN; // log(−x)
    k -= 54;
    x *= two54; // subnormal: scale up
    hx = <i32>(reinterpret<u64>(x) >> 32);
  }
  if (hx >= 0x7FF00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000FFFFF;
  let i = (hx + 0x95F64) & 0x100000;
  x = reinterpret<f64>((<u64>(hx | (i ^ 0x3FF00000)) << 32) | (reinterpret<u64>(x) & 0xFFFFFFFF)); // x or x/2
  k += i >> 20;
  const f = x - 1.0;
  if ((0x000FFFFF & (2 + hx)) < 3) { // −2^-20 ≤ f < 2^-20
    if (f == 0) {
      if (k == 0) return 0;
      const dk = <f64>k;
      return dk * ln2_hi + dk * ln2_lo;
    }
    const R = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - R;
    const dk = <f64>k;
    return dk * ln2_hi - ((R - dk * ln2_lo) - f);
  }
  const s = f / (2.0 + f);
  const dk = <f64>k;
  const z = s * s;
  i = hx - 0x6147A;
  const w = z * z;
  const j = 0x6B851 - hx;
  const t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
  const t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  i |= j;
  const R = t2 + t1;
  if (i > 0) {
    const hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
  }
  if (k == 0) return f - s * (f - R);
  return dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}
/**
 * fdlibmExp of both lanes of an f64x2, with the same operations in the same order, hence the
 * same bits. Lanes with 1.5·ln2 ≤ |x| < 704 (k = round-half-away(x/ln2) in ±[1, 1016], no
 * special case) go through the vector path; if either lane is outside (NaN, ±∞, overflow,
 * underflow, |x| < 1.5·ln2 with its ±ln2 and k = 0 branches), both take the scalar fdlibmExp.
 */
// @ts-ignore: decorator
@inline export function fdlibmExp2(x: v128): v128 {
  const ln2HI = 6.93147180369123816490e-01, ln2LO = 1.90821492927058770002e-10, invln2 = 1.44269504088896338700e+00;
  const P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03, P3 = 6.61375632143793436117e-05;
  const P4 = -1.65339022054652515390e-06, P5 = 4.13813679705723846039e-08;
  const abs = v128.and(x, i64x2.splat(0x7FFFFFFFFFFFFFFF));
  const inRange = v128.and(
    i64x2.ge_s(abs, i64x2.splat(<i64>0x3FF0A2B2 << 32)),
    i64x2.lt_s(abs, i64x2.splat(<i64>0x40860000 << 32)));
  if (!i64x2.all_true(inRange)) {
    return f64x2.replace_lane(f64x2.splat(fdlibmExp(f64x2.extract_lane(x, 0))), 1, fdlibmExp(f64x2.extract_lane(x, 1)));
  }
  // k = (int)(invln2·x ± 0.5): the sign of x on 0.5, truncated (|k| ≤ 1016 is exact either way).
  const half = v128.or(f64x2.splat(0.5), v128.and(x, i64x2.splat(0x8000000000000000)));
  const t = f64x2.trunc(f64x2.add(f64x2.mul(f64x2.splat(invln2), x), half));
  const hi = f64x2.sub(x, f64x2.mul(t, f64x2.splat(ln2HI)));
  const lo = f64x2.mul(t, f64x2.splat(ln2LO));
  const r = f64x2.sub(hi, lo);
  const tt = f64x2.mul(r, r);
  let p = f64x2.add(f64x2.splat(P4), f64x2.mul(tt, f64x2.splat(P5)));
  p = f64x2.add(f64x2.splat(P3), f64x2.mul(tt, p));
  p = f64x2.add(f64x2.splat(P2), f64x2.mul(tt, p));
  p = f64x2.add(f64x2.splat(P1), f64x2.mul(tt, p));
  const c = f64x2.sub(r, f64x2.mul(tt, p));
  const one = f64x2.splat(1.0);
  const y = f64x2.sub(one, f64x2.sub(f64x2.sub(lo, f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2.0), c))), hi));
  // 2^k: the exponent field 1023 + k, from k's two int32 lanes widened to int64.
  const k64 = i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(t));
  const twopk = i64x2.shl(i64x2.add(k64, i64x2.splat(1023)), 52);
  return f64x2.mul(y, twopk);
}
