// The data-parallel step's guard: is every gradient finite?

/**
 * Index of the first element of x (n float32 at a byte pointer) that is ±∞ or NaN, or −1 when
 * all are finite. One SIMD pass of v·0 (NaN exactly for ±∞ and NaN, ±0 otherwise), summed;
 * the scalar search runs only when that sum is NaN.
 */
export function firstNonFinite(x: usize, n: i32): i32 {
  const zero = f32x4.splat(0);
  let a = zero;
  let b = zero;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    a = f32x4.add(a, f32x4.mul(v128.load(x + o), zero));
    b = f32x4.add(b, f32x4.mul(v128.load(x + o, 16), zero));
  }
  let probe: f32 = 0;
  for (; i < n; i++) probe += load<f32>(x + (<usize>i << 2)) * 0;
  const s = f32x4.add(a, b);
  probe += f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  if (probe == 0) return -1;
  for (let j = 0; j < n; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    if (v - v != 0) return j; // NaN for ±∞ and NaN
  }
  return -1;
}
