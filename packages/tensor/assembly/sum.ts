// The all-reduce's sum: dst[i] = Σ_r src_r[i] over W equally strided sources, in rank order.

/**
 * dst[i] = ((0 + src_0[i]) + src_1[i]) + … + src_{W−1}[i], accumulated in float64 and rounded
 * to float32 once — the same arithmetic, in the same order, as the JS reduction loops
 * (`let acc = 0; for (r…) acc += s[r][i]; dst[i] = acc` in src/kernels/js/reduce.ts and
 * SharedCommunicator), so both backends give identical bits, and more accurate than float32
 * adds. Cost, on 235,146 floats (medians, 2-vCPU Zen dev machine, scripts/bench-wasm.mjs):
 * W = 4 takes ≈ 170 µs (≈ 28 GB/s of traffic; it is bound by the promote/add/demote work,
 * not by memory) against 2.1–2.5 ms for the JS loop; a first version with 4 floats a step and
 * a shuffle for the high pair was twice as slow. W = 2 takes the float32 path below.
 *
 * Source r starts at `src + r·strideBytes`; `dst` may alias source r's range (the in-place
 * all-reduce): each element is read from every source before it is written.
 */
export function sum(dst: usize, src: usize, strideBytes: usize, worldSize: i32, n: i32): void {
  if (worldSize == 2) {
    sumTwo(dst, src, src + strideBytes, n);
    return;
  }
  const zero = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    let s = src + o;
    for (let r = 0; r < worldSize; r++) {
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v128.load64_zero(s)));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.load64_zero(s, 8)));
      a2 = f64x2.add(a2, f64x2.promote_low_f32x4(v128.load64_zero(s, 16)));
      a3 = f64x2.add(a3, f64x2.promote_low_f32x4(v128.load64_zero(s, 24)));
      s += strideBytes;
    }
    const d = dst + o;
    v128.store(d, v128.shuffle<f32>(f32x4.demote_f64x2_zero(a0), f32x4.demote_f64x2_zero(a1), 0, 1, 4, 5));
    v128.store(d, v128.shuffle<f32>(f32x4.demote_f64x2_zero(a2), f32x4.demote_f64x2_zero(a3), 0, 1, 4, 5), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let acc: f64 = 0;
    let s = src + o;
    for (let r = 0; r < worldSize; r++) {
      acc += <f64>load<f32>(s);
      s += strideBytes;
    }
    store<f32>(dst + o, <f32>acc);
  }
}

/**
 * dst[i] = (+0 + a[i]) + b[i] in float32 — bit-identical to the float64 accumulation above for
 * two sources: a float32 sum rounded once from double is the correctly rounded float32 sum,
 * because double rounding through a format of p' ≥ 2p + 2 bits (53 ≥ 2·24 + 2) is innocuous
 * for addition (Figueroa, "When is double rounding innocuous?", SIGNUM 1995). Starting from +0,
 * as the JS loop's `acc = 0` does, turns −0 + −0 into +0 like it. Measured 37 µs vs 84 µs for
 * the float64 path at W = 2 on 235,146 floats (≈ 75 GB/s of traffic, faster than a
 * Float32Array.set of the same two slots); W = 2 is the common worker count on this machine.
 */
function sumTwo(dst: usize, a: usize, b: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.add(f32x4.add(zero, v128.load(a + o)), v128.load(b + o)));
    v128.store(dst + o, f32x4.add(f32x4.add(zero, v128.load(a + o, 16)), v128.load(b + o, 16)), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, (<f32>0 + load<f32>(a + o)) + load<f32>(b + o));
  }
}
