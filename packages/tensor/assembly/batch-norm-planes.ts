// BatchNorm over float32 x [n, C, inner] with inner > 1 (BatchNorm2d's [N, C, H·W]): each
// (sample, channel) plane is `inner` contiguous values, streamed four at a time in two float64
// lanes pairs. The contract of src/kernels/js/batch-norm.ts: statistics in float64; forward and
// dx elementwise in float64, rounded once (the JS kernels' bits); the sums over a plane are
// added in another order than the JS loop's (lanes, then across), so they differ from it by
// float64 rounding only.

@inline function lo(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}
@inline function hi(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p + 8));
}
@inline function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
/** Two float64 lanes → two float32 at p (rounded to nearest). */
@inline function narrow(p: usize, v: v128): void {
  v128.store64_lane(p, f32x4.demote_f64x2_zero(v), 0);
}

/** Σ of one plane's values, and Σ of their squares when `sq` (into g_sq). */
let g_sq: f64 = 0;
@inline function planeSums(p: usize, inner: i32, shift: f64, sq: bool): f64 {
  let a = f64x2.splat(0), b = f64x2.splat(0), a2 = f64x2.splat(0), b2 = f64x2.splat(0);
  const m = f64x2.splat(shift);
  let l = 0;
  for (; l + 4 <= inner; l += 4) {
    const q = p + (<usize>l << 2);
    const x0 = f64x2.sub(lo(q), m), x1 = f64x2.sub(hi(q), m);
    if (sq) {
      a2 = f64x2.add(a2, f64x2.mul(x0, x0));
      b2 = f64x2.add(b2, f64x2.mul(x1, x1));
    }
    a = f64x2.add(a, x0);
    b = f64x2.add(b, x1);
  }
  let s = hsum(f64x2.add(a, b)), s2 = hsum(f64x2.add(a2, b2));
  for (; l < inner; l++) {
    const v = <f64>load<f32>(p + (<usize>l << 2)) - shift;
    s += v;
    s2 += v * v;
  }
  g_sq = s2;
  return s;
}

export function batchNormPlanesMeanVar(x: usize, n: i32, C: i32, inner: i32, mean: usize, variance: usize): void {
  memory.fill(mean, 0, <usize>C << 3);
  memory.fill(variance, 0, <usize>C << 3);
  const count = <f64>n * <f64>inner;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      const m = mean + (<usize>c << 3);
      store<f64>(m, load<f64>(m) + planeSums(x + (<usize>((i * C + c) * inner) << 2), inner, 0, false));
    }
  }
  for (let c = 0; c < C; c++) store<f64>(mean + (<usize>c << 3), load<f64>(mean + (<usize>c << 3)) / count);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      planeSums(x + (<usize>((i * C + c) * inner) << 2), inner, load<f64>(mean + (<usize>c << 3)), true);
      const v = variance + (<usize>c << 3);
      store<f64>(v, load<f64>(v) + g_sq);
    }
  }
  for (let c = 0; c < C; c++) store<f64>(variance + (<usize>c << 3), load<f64>(variance + (<usize>c << 3)) / count);
}

export function batchNormPlanesSums(x: usize, n: i32, C: i32, inner: i32, sum: usize, sumSq: usize): void {
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      const s = planeSums(x + (<usize>((i * C + c) * inner) << 2), inner, 0, true);
      const o = <usize>c << 3;
      store<f64>(sum + o, load<f64>(sum + o) + s);
      store<f64>(sumSq + o, load<f64>(sumSq + o) + g_sq);
    }
  }
}

export function batchNormPlanesForward(x: usize, n: i32, C: i32, inner: i32, mean: usize, scale: usize, shift: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 3;
      const mv = load<f64>(mean + o), sv = load<f64>(scale + o), bv = load<f64>(shift + o);
      const m = f64x2.splat(mv), s = f64x2.splat(sv), b = f64x2.splat(bv);
      const base = <usize>((i * C + c) * inner) << 2;
      let l = 0;
      for (; l + 4 <= inner; l += 4) {
        const q = base + (<usize>l << 2);
        narrow(out + q, f64x2.add(f64x2.mul(f64x2.sub(lo(x + q), m), s), b));
        narrow(out + q + 8, f64x2.add(f64x2.mul(f64x2.sub(hi(x + q), m), s), b));
      }
      for (; l < inner; l++) {
        const q = base + (<usize>l << 2);
        store<f32>(out + q, <f32>((<f64>load<f32>(x + q) - mv) * sv + bv));
      }
    }
  }
}

export function batchNormPlanesBackwardSums(x: usize, dy: usize, n: i32, C: i32, inner: i32, mean: usize, invstd: usize, sums: usize): void {
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 3;
      const mv = load<f64>(mean + o), iv = load<f64>(invstd + o);
      const m = f64x2.splat(mv), is = f64x2.splat(iv);
      const base = <usize>((i * C + c) * inner) << 2;
      let a = f64x2.splat(0), b = f64x2.splat(0), ax = f64x2.splat(0), bx = f64x2.splat(0);
      let l = 0;
      for (; l + 4 <= inner; l += 4) {
        const q = base + (<usize>l << 2);
        const g0 = lo(dy + q), g1 = hi(dy + q);
        a = f64x2.add(a, g0);
        b = f64x2.add(b, g1);
        ax = f64x2.add(ax, f64x2.mul(f64x2.mul(g0, f64x2.sub(lo(x + q), m)), is));
        bx = f64x2.add(bx, f64x2.mul(f64x2.mul(g1, f64x2.sub(hi(x + q), m)), is));
      }
      let sdy = hsum(f64x2.add(a, b)), sdyx = hsum(f64x2.add(ax, bx));
      for (; l < inner; l++) {
        const q = base + (<usize>l << 2);
        const g = <f64>load<f32>(dy + q);
        sdy += g;
        sdyx += g * (<f64>load<f32>(x + q) - mv) * iv;
      }
      store<f64>(sums + o, load<f64>(sums + o) + sdy);
      const o2 = <usize>(C + c) << 3;
      store<f64>(sums + o2, load<f64>(sums + o2) + sdyx);
    }
  }
}

export function batchNormPlanesBackwardDx(
  x: usize, dy: usize, n: i32, C: i32, inner: i32, mean: usize, invstd: usize, k: usize, meanDy: usize, meanDyXhat: usize, gx: usize, assign: i32,
): void {
  // assign: gx = 0 + dx (what accumulating into a zeroed gx gives), without reading gx.
  const z = f64x2.splat(0);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 3;
      const mv = load<f64>(mean + o), iv = load<f64>(invstd + o), kv = load<f64>(k + o), dv = load<f64>(meanDy + o), hv = load<f64>(meanDyXhat + o);
      const m = f64x2.splat(mv), is = f64x2.splat(iv), kc = f64x2.splat(kv), mdy = f64x2.splat(dv), mdyx = f64x2.splat(hv);
      const base = <usize>((i * C + c) * inner) << 2;
      let l = 0;
      for (; l + 4 <= inner; l += 4) {
        const q = base + (<usize>l << 2);
        const t0 = f64x2.mul(kc, f64x2.sub(f64x2.sub(lo(dy + q), mdy), f64x2.mul(f64x2.mul(f64x2.sub(lo(x + q), m), is), mdyx)));
        const t1 = f64x2.mul(kc, f64x2.sub(f64x2.sub(hi(dy + q), mdy), f64x2.mul(f64x2.mul(f64x2.sub(hi(x + q), m), is), mdyx)));
        narrow(gx + q, f64x2.add(assign != 0 ? z : lo(gx + q), t0));
        narrow(gx + q + 8, f64x2.add(assign != 0 ? z : hi(gx + q), t1));
      }
      for (; l < inner; l++) {
        const q = base + (<usize>l << 2);
        const t = kv * (<f64>load<f32>(dy + q) - dv - (<f64>load<f32>(x + q) - mv) * iv * hv);
        store<f32>(gx + q, <f32>((assign != 0 ? 0 : <f64>load<f32>(gx + q)) + t));
      }
    }
  }
}
