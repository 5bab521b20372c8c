// The row passes of the fused scaled dot-product attention (src/ops/attention.ts) without a
// mask (or with the causal one), float32 at byte pointers: the softmax of each query row's
// scores kept unnormalised (E = exp(s − max), 1/Σ E), and its backward dS = (1/Σ)·E∘(dP − dO·O).
// The contract of src/kernels/js/attention.ts; the exps are fast-math.ts's expV (Cephes expf,
// a few ulps), the sums in float64, so within float32 roundings of the JS kernels, not their bits.
import { expV } from "./fast-math";

/** The sum of a f32x4's lanes in float64, added to `acc`. */
// @ts-ignore: decorator
@inline function sum4(acc: v128, v: v128): v128 {
  return f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))));
}
// @ts-ignore: decorator
@inline function lanes(acc: v128): f64 { return f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1); }

/**
 * Over `rows` rows of scores at e (row stride `stride` floats), row i sees its first
 * vis = causal ? min(first + i + 1, keys) : keys keys: those become exp(s − their max), the
 * rest of [0, keys) 0, and inv[i] (float64) = 1/Σ. A row whose max is −∞ (every score −∞)
 * becomes 0 with inv 0 (PyTorch's safe softmax); a NaN score makes its row NaN.
 */
export function attentionRowsForward(e: usize, rows: i32, keys: i32, stride: i32, first: i32, causal: i32, inv: usize): void {
  for (let i = 0; i < rows; i++) {
    const r = e + (<usize>(i * stride) << 2);
    const vis = causal != 0 ? min(first + i + 1, keys) : keys;
    let j = 0;
    let m4 = f32x4.splat(-Infinity);
    for (; j + 4 <= vis; j += 4) m4 = f32x4.max(m4, v128.load(r + (<usize>j << 2)));
    let m: f32 = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
    for (; j < vis; j++) m = max(m, load<f32>(r + (<usize>j << 2)));
    if (m == -Infinity) {
      for (j = 0; j < keys; j++) store<f32>(r + (<usize>j << 2), 0);
      store<f64>(inv + (<usize>i << 3), 0);
      continue;
    }
    const mv = f32x4.splat(m);
    let acc = f64x2.splat(0);
    for (j = 0; j + 4 <= vis; j += 4) {
      const p = r + (<usize>j << 2);
      const x = expV(f32x4.sub(v128.load(p), mv));
      v128.store(p, x);
      acc = sum4(acc, x);
    }
    let sum = lanes(acc);
    for (; j < vis; j++) {
      const p = r + (<usize>j << 2);
      const x = f32x4.extract_lane(expV(f32x4.splat(load<f32>(p) - m)), 0);
      store<f32>(p, x);
      sum += <f64>x;
    }
    for (; j < keys; j++) store<f32>(r + (<usize>j << 2), 0);
    store<f64>(inv + (<usize>i << 3), 1 / sum);
  }
}

/**
 * The backward's row pass: over `rows` rows, with f = inv[i] and dot = Σ_c g[i, c]·o[i, c]
 * (g, o: rows × dv), ds[i, j] = f·e[i, j]·(ds[i, j] − dot) for j < keys; e and ds have row
 * stride `stride`.
 */
export function attentionRowsBackward(e: usize, ds: usize, rows: i32, keys: i32, stride: i32, g: usize, o: usize, dv: i32, inv: usize): void {
  for (let i = 0; i < rows; i++) {
    const gr = g + (<usize>(i * dv) << 2), or = o + (<usize>(i * dv) << 2);
    let acc = f64x2.splat(0);
    let c = 0;
    for (; c + 4 <= dv; c += 4) acc = sum4(acc, f32x4.mul(v128.load(gr + (<usize>c << 2)), v128.load(or + (<usize>c << 2))));
    let dot = lanes(acc);
    for (; c < dv; c++) dot += <f64>load<f32>(gr + (<usize>c << 2)) * <f64>load<f32>(or + (<usize>c << 2));
    const f = <f32>load<f64>(inv + (<usize>i << 3));
    const d = <f32>dot;
    const fv = f32x4.splat(f), dvv = f32x4.splat(d);
    const er = e + (<usize>(i * stride) << 2), dr = ds + (<usize>(i * stride) << 2);
    let j = 0;
    for (; j + 4 <= keys; j += 4) {
      const p = <usize>j << 2;
      v128.store(dr + p, f32x4.mul(f32x4.mul(fv, v128.load(er + p)), f32x4.sub(v128.load(dr + p), dvv)));
    }
    for (; j < keys; j++) {
      const p = <usize>j << 2;
      store<f32>(dr + p, f * load<f32>(er + p) * (load<f32>(dr + p) - d));
    }
  }
}
