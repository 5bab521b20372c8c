// Sigmoid, tanh, leaky ReLU and GELU, forward and backward, over n float32 elements at byte
// pointers; the contract of src/kernels/js/activation.ts (forward writes `out`, backward
// accumulates into `slot`).
// - leakyRelu, sigmoid and tanh's backward: each element in float64 with the JS loop's
//   operations in its order (exp is fdlibm's, V8's algorithm), rounded to float32 once: the JS
//   kernels' bits. Scalar loops.
// - tanh's forward and GELU (both forms): float32 SIMD with the approximations of fast-math.ts,
//   within a few ulps of the JS kernels (test/wasm-activations.test.ts bounds the error against
//   float64 references), ~10× faster than fdlibm's scalar, branchy tanh and erf (which, tried as
//   the JS kernels' exact bits in wasm, ran no faster than V8's own Math.tanh).
import { fdlibmExp } from "./fdlibm";
import { erfcFromExpV, expV, sigmoidV, tanhV } from "./fast-math";

const SQRT1_2: f64 = 0.7071067811865476; // Math.SQRT1_2
const INV_SQRT_2PI: f64 = 0.3989422804014327;
const SQRT_2_OVER_PI: f64 = 0.7978845608028654;
const GELU_C: f64 = 0.044715;

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f64 { return <f64>load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function st(p: usize, i: i32, v: f64): void { store<f32>(p + (<usize>i << 2), <f32>v); }

export function leakyReluForward(x: usize, out: usize, n: i32, slope: f64): void {
  for (let i = 0; i < n; i++) {
    const v = ld(x, i);
    st(out, i, v > 0 ? v : v * slope);
  }
}
export function leakyReluBackward(x: usize, g: usize, slot: usize, n: i32, slope: f64): void {
  for (let i = 0; i < n; i++) {
    const gi = ld(g, i);
    st(slot, i, ld(slot, i) + (ld(x, i) > 0 ? gi : gi * slope));
  }
}

export function sigmoidForward(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const v = ld(x, i);
    if (v >= 0) st(out, i, 1 / (1 + fdlibmExp(-v)));
    else {
      const e = fdlibmExp(v);
      st(out, i, e / (1 + e));
    }
  }
}
export function sigmoidBackward(y: usize, g: usize, slot: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const yi = ld(y, i);
    st(slot, i, ld(slot, i) + ld(g, i) * yi * (1 - yi));
  }
}

/** out = tanh(x): float32 SIMD (fast-math.ts's tanhV), within a few ulps of Math.tanh. */
export function tanhForward(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), tanhV(v128.load(x + (<usize>i << 2))));
  if (i < n) storeTail(out, i, n, tanhV(loadTail(x, i, n)));
}
export function tanhBackward(y: usize, g: usize, slot: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const yi = ld(y, i);
    st(slot, i, ld(slot, i) + ld(g, i) * (1 - yi * yi));
  }
}

// GELU in float32 SIMD (fast-math.ts), in forms without cancellation: exact GELU is
// x·Φ(x) = ½·x·erfc(−x/√2); the tanh form ½·x·(1 + tanh u), u = √(2/π)·(x + 0.044715·x³), is
// x·σ(2u), and its derivative σ(2u) + 2x·σ(2u)·(1 − σ(2u))·√(2/π)·(1 + 3·0.044715·x²).
// (1 + tanh u computed as such loses all digits for large negative x in float32.)

// @ts-ignore: decorator
@inline function geluTanhU2(v: v128): v128 {
  const c = f32x4.mul(f32x4.mul(f32x4.splat(<f32>GELU_C), v), f32x4.mul(v, v));
  return f32x4.mul(f32x4.splat(<f32>(2 * SQRT_2_OVER_PI)), f32x4.add(v, c));
}
// @ts-ignore: decorator
@inline function geluFwdV(v: v128, approximate: i32): v128 {
  if (approximate != 0) return f32x4.mul(v, sigmoidV(geluTanhU2(v)));
  return geluFromErfc(v, geluErfc(v, geluExp(v)));
}
// The pieces shared by a forward and its derivative, so that geluForwardDeriv computes each
// transcendental once and writes the same bits as geluForward and geluGradV.
/** exp(−x²/2): the Gaussian's factor, shared by Φ (through erfc) and φ. */
// @ts-ignore: decorator
@inline function geluExp(v: v128): v128 { return expV(f32x4.mul(f32x4.splat(-0.5), f32x4.mul(v, v))); }
/** erfc(−x/√2) = 2·Φ(x), from e = exp(−x²/2). */
// @ts-ignore: decorator
@inline function geluErfc(v: v128, e: v128): v128 { return erfcFromExpV(f32x4.mul(v, f32x4.splat(<f32>-SQRT1_2)), e); }
// @ts-ignore: decorator
@inline function geluFromErfc(v: v128, erfc: v128): v128 { return f32x4.mul(f32x4.mul(f32x4.splat(0.5), v), erfc); }
// @ts-ignore: decorator
@inline function geluGradFromErfc(v: v128, erfc: v128, e: v128): v128 {
  const cdf = f32x4.mul(f32x4.splat(0.5), erfc);
  const pdf = f32x4.mul(f32x4.splat(<f32>INV_SQRT_2PI), e);
  return f32x4.add(cdf, f32x4.mul(v, pdf));
}
/** The tanh form's derivative from s = σ(2u). */
// @ts-ignore: decorator
@inline function geluTanhGradFromS(v: v128, s: v128): v128 {
  // 2·√(2/π)·(1 + 3c·x²), x² capped at 1e6 (σ′ is exactly 0 long before: |x| ≈ 16), and
  // x·σ′ formed first, so that huge |x| gives x·0 = 0 rather than ∞·0 (float32 x² overflows).
  const k2 = f32x4.mul(f32x4.splat(<f32>(2 * SQRT_2_OVER_PI)), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(<f32>(3 * GELU_C)), f32x4.min(f32x4.mul(v, v), f32x4.splat(1e6)))));
  const ds = f32x4.mul(s, f32x4.sub(f32x4.splat(1), s));
  return f32x4.add(s, f32x4.mul(f32x4.mul(v, ds), k2));
}
// @ts-ignore: decorator
@inline function geluGradV(v: v128, approximate: i32): v128 {
  if (approximate != 0) return geluTanhGradFromS(v, sigmoidV(geluTanhU2(v)));
  const e = geluExp(v);
  return geluGradFromErfc(v, geluErfc(v, e), e);
}

/** GELU; `approximate` 0: exact (via erfc); 1: PyTorch's tanh approximation. */
export function geluForward(x: usize, out: usize, n: i32, approximate: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), geluFwdV(v128.load(x + (<usize>i << 2)), approximate));
  if (i < n) storeTail(out, i, n, geluFwdV(loadTail(x, i, n), approximate));
}
/**
 * out = GELU(x) and deriv = GELU′(x) in one pass, one exp and one division (or σ for the
 * tanh form): the bits of geluForward and of the factor geluBackward multiplies g by, so that
 * a backward through deriv (mulAccumulate) gives geluBackward's bits at a fraction of its cost.
 */
export function geluForwardDeriv(x: usize, out: usize, deriv: usize, n: i32, approximate: i32): void {
  let i = 0;
  if (approximate != 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      const s = sigmoidV(geluTanhU2(v));
      v128.store(out + o, f32x4.mul(v, s));
      v128.store(deriv + o, geluTanhGradFromS(v, s));
    }
    if (i < n) {
      const v = loadTail(x, i, n);
      const s = sigmoidV(geluTanhU2(v));
      storeTail(out, i, n, f32x4.mul(v, s));
      storeTail(deriv, i, n, geluTanhGradFromS(v, s));
    }
    return;
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const g = geluExp(v), e = geluErfc(v, g);
    v128.store(out + o, geluFromErfc(v, e));
    v128.store(deriv + o, geluGradFromErfc(v, e, g));
  }
  if (i < n) {
    const v = loadTail(x, i, n);
    const g = geluExp(v), e = geluErfc(v, g);
    storeTail(out, i, n, geluFromErfc(v, e));
    storeTail(deriv, i, n, geluGradFromErfc(v, e, g));
  }
}
/**
 * slot += a·b elementwise (a backward through a saved derivative: g·GELU′ from geluForwardDeriv);
 * `assign`: slot = a·b + 0, what accumulating into a zeroed slot gives, without reading it.
 */
export function mulAccumulate(a: usize, b: usize, slot: usize, n: i32, assign: i32): void {
  let i = 0;
  if (assign != 0) {
    const z = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(slot + o, f32x4.add(f32x4.mul(v128.load(a + o), v128.load(b + o)), z));
    }
    if (i < n) storeTail(slot, i, n, f32x4.add(f32x4.mul(loadTail(a, i, n), loadTail(b, i, n)), z));
    return;
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(slot + o, f32x4.add(v128.load(slot + o), f32x4.mul(v128.load(a + o), v128.load(b + o))));
  }
  if (i < n) storeTail(slot, i, n, f32x4.add(loadTail(slot, i, n), f32x4.mul(loadTail(a, i, n), loadTail(b, i, n))));
}
/** slot += g·GELU′(x). */
export function geluBackward(x: usize, g: usize, slot: usize, n: i32, approximate: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(slot + o, f32x4.add(v128.load(slot + o), f32x4.mul(v128.load(g + o), geluGradV(v128.load(x + o), approximate))));
  }
  if (i < n) {
    const d = f32x4.mul(loadTail(g, i, n), geluGradV(loadTail(x, i, n), approximate));
    storeTail(slot, i, n, f32x4.add(loadTail(slot, i, n), d));
  }
}

/** The last n − i (1…3) elements at p as lanes 0…, zeros after: the same lane arithmetic as the SIMD body. */
// @ts-ignore: decorator
@inline function loadTail(p: usize, i: i32, n: i32): v128 {
  const a = p + (<usize>i << 2);
  let v = f32x4.replace_lane(f32x4.splat(0), 0, load<f32>(a));
  if (i + 1 < n) v = f32x4.replace_lane(v, 1, load<f32>(a, 4));
  if (i + 2 < n) v = f32x4.replace_lane(v, 2, load<f32>(a, 8));
  return v;
}
// @ts-ignore: decorator
@inline function storeTail(p: usize, i: i32, n: i32, v: v128): void {
  const a = p + (<usize>i << 2);
  store<f32>(a, f32x4.extract_lane(v, 0));
  if (i + 1 < n) store<f32>(a, f32x4.extract_lane(v, 1), 4);
  if (i + 2 < n) store<f32>(a, f32x4.extract_lane(v, 2), 8);
}
