// LayerNorm over the trailing D values of each row of float32 x [rows, D], forward and backward:
// the loops of src/kernels/js/layer-norm.ts, operation for operation in float64 and in the
// same order, so both backends give the same bits (test/wasm-layer-norm.test.ts):
//
//   forward, per row: m = (Σ_j x_j) / D;  is = 1 / √((Σ_j (x_j − m)²) / D + eps)   (four partial sums)
//                     y_j = (x_j − m)·is·γ_j + β_j      (γ = 1, β = 0 without weight / bias:
//                                                        "+ 0" is kept, it turns −0 into +0)
//   backward, per row: x̂_j = (x_j − m)·is;  dγ_j += dy_j·x̂_j;  dβ_j += dy_j     (float32 slots)
//                     Σdŷ, Σdŷ·x̂ with dŷ = dy·γ (four partial sums each);
//                     dx_j += is·(dy_j·γ_j − Σdŷ/D − x̂_j·Σdŷx̂/D)
//
// Each sum is four partial sums as in the JS loops (element j into partial j mod 4 for the
// leading 4·⌊D/4⌋, the rest into partial 0, then (p0 + p1) + (p2 + p3)): two f64x2 lanes pairs
// here, the same bits; the elementwise passes run in f64x2 lanes. Every optional operand is a
// byte address, 0 = none.

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f64 { return <f64>load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function st(p: usize, i: i32, v: f64): void { store<f32>(p + (<usize>i << 2), <f32>v); }
// @ts-ignore: decorator
@inline function widen(ptr: usize): v128 { return f64x2.promote_low_f32x4(v128.load64_zero(ptr)); }
// @ts-ignore: decorator
@inline function narrow(ptr: usize, v: v128): void { v128.store64_lane(ptr, f32x4.demote_f64x2_zero(v), 0); }

/**
 * x, out: rows·D float32; weight, bias: D float32 or 0; mean, invstd: rows float64 out (kept
 * for the backward).
 */
export function layerNormForward(x: usize, rows: i32, D: i32, eps: f64, weight: usize, bias: usize, out: usize, mean: usize, invstd: usize): void {
  const rowBytes = <usize>D << 2;
  const n = <f64>D;
  const one = f64x2.splat(1), zero = f64x2.splat(0);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, yr = out + <usize>r * rowBytes;
    const d4 = D & ~3;
    let a = f64x2.splat(0), b = f64x2.splat(0);
    for (let j = 0; j < d4; j += 4) {
      a = f64x2.add(a, widen(xr + (<usize>j << 2)));
      b = f64x2.add(b, widen(xr + (<usize>j << 2) + 8));
    }
    let s0 = f64x2.extract_lane(a, 0);
    for (let j = d4; j < D; j++) s0 += ld(xr, j);
    const m = (s0 + f64x2.extract_lane(a, 1) + (f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1))) / n;
    const m2 = f64x2.splat(m);
    a = f64x2.splat(0);
    b = f64x2.splat(0);
    for (let j = 0; j < d4; j += 4) {
      const v0 = f64x2.sub(widen(xr + (<usize>j << 2)), m2), v1 = f64x2.sub(widen(xr + (<usize>j << 2) + 8), m2);
      a = f64x2.add(a, f64x2.mul(v0, v0));
      b = f64x2.add(b, f64x2.mul(v1, v1));
    }
    s0 = f64x2.extract_lane(a, 0);
    for (let j = d4; j < D; j++) {
      const dv = ld(xr, j) - m;
      s0 += dv * dv;
    }
    const is = 1 / Math.sqrt((s0 + f64x2.extract_lane(a, 1) + (f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1))) / n + eps);
    store<f64>(mean + (<usize>r << 3), m);
    store<f64>(invstd + (<usize>r << 3), is);
    const is2 = f64x2.splat(is);
    let j = 0;
    for (; j + 2 <= D; j += 2) {
      const e = <usize>j << 2;
      const gv = weight != 0 ? widen(weight + e) : one;
      const bv = bias != 0 ? widen(bias + e) : zero;
      narrow(yr + e, f64x2.add(f64x2.mul(f64x2.mul(f64x2.sub(widen(xr + e), m2), is2), gv), bv));
    }
    for (; j < D; j++) {
      const gj: f64 = weight != 0 ? ld(weight, j) : 1;
      const bj: f64 = bias != 0 ? ld(bias, j) : 0;
      st(yr, j, (ld(xr, j) - m) * is * gj + bj);
    }
  }
}

/**
 * x, g (dy): rows·D float32; mean, invstd: rows float64 (from the forward); weight: D float32
 * or 0; gx: rows·D float32 slot or 0; gw, gb: D float32 slots or 0 — each accumulated into.
 */
export function layerNormBackward(
  x: usize, g: usize, rows: i32, D: i32, mean: usize, invstd: usize, weight: usize, gx: usize, gw: usize, gb: usize,
): void {
  const rowBytes = <usize>D << 2;
  const n = <f64>D;
  const one = f64x2.splat(1);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, gr = g + <usize>r * rowBytes;
    const m = load<f64>(mean + (<usize>r << 3)), is = load<f64>(invstd + (<usize>r << 3));
    const m2 = f64x2.splat(m), is2 = f64x2.splat(is);
    // Σ dŷ in (sa: partials 0, 1; sb: 2, 3), Σ dŷ·x̂ in (xa, xb): element j into partial j mod 4.
    let sa = f64x2.splat(0), sb = f64x2.splat(0), xa = f64x2.splat(0), xb = f64x2.splat(0);
    const d4 = D & ~3;
    let j = 0;
    for (; j < d4; j += 2) {
      const e = <usize>j << 2;
      const xh = f64x2.mul(f64x2.sub(widen(xr + e), m2), is2);
      const gy = widen(gr + e);
      if (gw != 0) narrow(gw + e, f64x2.add(widen(gw + e), f64x2.mul(gy, xh)));
      if (gb != 0) narrow(gb + e, f64x2.add(widen(gb + e), gy));
      const dyh = f64x2.mul(gy, weight != 0 ? widen(weight + e) : one);
      const p = f64x2.mul(dyh, xh);
      if ((j & 2) == 0) {
        sa = f64x2.add(sa, dyh);
        xa = f64x2.add(xa, p);
      } else {
        sb = f64x2.add(sb, dyh);
        xb = f64x2.add(xb, p);
      }
    }
    let sdy = f64x2.extract_lane(sa, 0), sdyx = f64x2.extract_lane(xa, 0);
    for (; j < D; j++) {
      const xh = (ld(xr, j) - m) * is;
      const gy = ld(gr, j);
      if (gw != 0) st(gw, j, ld(gw, j) + gy * xh);
      if (gb != 0) st(gb, j, ld(gb, j) + gy);
      const dyh = gy * (weight != 0 ? ld(weight, j) : 1);
      sdy += dyh;
      sdyx += dyh * xh;
    }
    sdy = sdy + f64x2.extract_lane(sa, 1) + (f64x2.extract_lane(sb, 0) + f64x2.extract_lane(sb, 1));
    sdyx = sdyx + f64x2.extract_lane(xa, 1) + (f64x2.extract_lane(xb, 0) + f64x2.extract_lane(xb, 1));
    if (gx == 0) continue;
    const meanDy = sdy / n, meanDyXhat = sdyx / n;
    const md2 = f64x2.splat(meanDy), mdx2 = f64x2.splat(meanDyXhat);
    const gxr = gx + <usize>r * rowBytes;
    j = 0;
    for (; j + 2 <= D; j += 2) {
      const e = <usize>j << 2;
      const xh = f64x2.mul(f64x2.sub(widen(xr + e), m2), is2);
      const gyw = f64x2.mul(widen(gr + e), weight != 0 ? widen(weight + e) : one);
      const d = f64x2.mul(is2, f64x2.sub(f64x2.sub(gyw, md2), f64x2.mul(xh, mdx2)));
      narrow(gxr + e, f64x2.add(widen(gxr + e), d));
    }
    for (; j < D; j++) {
      const xh = (ld(xr, j) - m) * is;
      st(gxr, j, ld(gxr, j) + is * (ld(gr, j) * (weight != 0 ? ld(weight, j) : 1) - meanDy - xh * meanDyXhat));
    }
  }
}
