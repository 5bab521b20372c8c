// float32 SIMD exp, tanh, sigmoid and erfc for the tanh and GELU kernels (assembly/activation.ts):
// four lanes at a time, polynomial and rational approximations instead of fdlibm's branches.
// Relative error ≈ 1e-7 (a few float32 ulps; GELU ≤ 7.5e-7 where erfc is tiny), far inside the
// golden tolerances (rtol 1e-4, atol 1e-5); each lane's result depends only on its own input,
// so the bits do not depend on an element's position or on n. Not the JS kernels' bits: those
// compute in float64 with fdlibm (V8's Math), which is ~10× slower here (scalar, branchy).

// @ts-ignore: decorator
@inline function splat(v: f32): v128 { return f32x4.splat(v); }

/**
 * e^x per lane (Cephes expf): n = round(x·log2 e), r = x − n·ln 2 (in two parts), a degree-6
 * polynomial for e^r, times 2^n built in the exponent bits, for x in [−87.3, 88.37] (n ≤ 127, so
 * 2^n is a normal float); +∞ above — where e^x is within 30% of float32's largest value anyway —
 * and 0 below (float32's own limits are 88.72 and −103.3 with subnormals); NaN stays NaN.
 */
// @ts-ignore: decorator
@inline export function expV(x0: v128): v128 {
  const x = f32x4.pmax(f32x4.pmin(x0, splat(88.37)), splat(-87.3));
  const n = f32x4.nearest(f32x4.mul(x, splat(1.44269504088896341)));
  let r = f32x4.sub(x, f32x4.mul(n, splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, splat(-2.12194440e-4)));
  let p = splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  // Past the clamp: +∞ above, 0 below (so σ(x) and x·σ(x) go to exact 0 for huge negative x).
  const e = v128.bitselect(f32x4.splat(Infinity), f32x4.mul(y, scale), f32x4.gt(x0, splat(88.37)));
  return v128.andnot(e, f32x4.lt(x0, splat(-87.3)));
}

/** 1 / (1 + e^−x) per lane: no cancellation anywhere (e^−x is clamped, so never ∞). */
// @ts-ignore: decorator
@inline export function sigmoidV(x: v128): v128 {
  return f32x4.div(splat(1), f32x4.add(splat(1), expV(f32x4.neg(x))));
}

/**
 * tanh per lane: Cephes tanhf's odd polynomial below |x| = 0.625, 1 − 2/(e^{2|x|} + 1) above,
 * the sign put back; ±0 and NaN pass through, ±∞ give ±1.
 */
// @ts-ignore: decorator
@inline export function tanhV(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), splat(-3.33332819422e-1));
  const small = f32x4.add(ax, f32x4.mul(f32x4.mul(ax, z), p));
  const e = expV(f32x4.add(ax, ax)); // +∞ past |x| ≈ 44: big = 1 exactly
  const big = f32x4.sub(splat(1), f32x4.div(splat(2), f32x4.add(e, splat(1))));
  const r = v128.bitselect(small, big, f32x4.lt(ax, splat(0.625)));
  // |r| with x's sign bit (NaN: the big branch gives NaN already).
  return v128.bitselect(x, r, i32x4.splat(0x80000000));
}

/**
 * erfc per lane from e = exp(−z²) (which GELU's derivative needs anyway, so one exp serves
 * both): erfc(|z|) = t·e·Q(t), t = 1/(1 + |z|/2), Q a degree-10 polynomial fit of
 * erfcx(|z|)/t = erfc(|z|)·exp(z²)/t on t ∈ (0, 1] (relative error 1.2e-8 in exact arithmetic,
 * 1.6e-7 in float32 Horner, measured on 3·10⁵ points against scipy's erfcx), and
 * erfc(z) = 2 − erfc(−z) for z < 0. No cancellation on either side, which is what GELU needs.
 * (Before: Numerical Recipes' erfc, t·exp(−z² + P(t)), a second exp per element.)
 */
// @ts-ignore: decorator
@inline export function erfcFromExpV(z: v128, e: v128): v128 {
  const az = f32x4.abs(z);
  const t = f32x4.div(splat(1), f32x4.add(splat(1), f32x4.mul(splat(0.5), az)));
  let q = splat(0.0431954332);
  q = f32x4.add(f32x4.mul(q, t), splat(-0.234733592));
  q = f32x4.add(f32x4.mul(q, t), splat(0.493694931));
  q = f32x4.add(f32x4.mul(q, t), splat(-0.454973987));
  q = f32x4.add(f32x4.mul(q, t), splat(0.132177044));
  q = f32x4.add(f32x4.mul(q, t), splat(-0.0592113575));
  q = f32x4.add(f32x4.mul(q, t), splat(0.0934624343));
  q = f32x4.add(f32x4.mul(q, t), splat(0.175315976));
  q = f32x4.add(f32x4.mul(q, t), splat(0.246884575));
  q = f32x4.add(f32x4.mul(q, t), splat(0.282093754));
  q = f32x4.add(f32x4.mul(q, t), splat(0.282094795));
  const ans = f32x4.mul(f32x4.mul(t, q), e);
  return v128.bitselect(f32x4.sub(splat(2), ans), ans, f32x4.lt(z, splat(0)));
}
