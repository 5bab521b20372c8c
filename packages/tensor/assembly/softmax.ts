// Softmax and log-softmax over the last axis of float32 x [rows, cols], forward and backward:
// the loops of src/kernels/js/softmax.ts (softmaxForward / softmaxBackward with inner = 1),
// operation for operation in float64 and rounded to float32 once per element, so both backends
// give the same bits (test/wasm-softmax.test.ts):
//
//   max = maxₖ x_k;  sum = Σₖ exp(x_k − max)                     (sequential, in k order)
//   softmax:     y_k = exp(x_k − max) · (1 / sum)
//   log-softmax: y_k = (x_k − max) − log(sum)
//   backward softmax:     slot_k += y_k·(g_k − Σ g·y)
//   backward log-softmax: slot_k += g_k − exp(y_k)·Σ g
//
// exp and log are fdlibm's (fdlibm.ts), V8's Math.exp/Math.log; exp runs two at a time
// (fdlibmExp2: the same operations in f64x2 lanes). Only what cannot change the bits is
// vectorised: the max (f32x4.max is exact, and max of float32 then widened = widened max), the
// exps and the elementwise passes (f64x2); the sums stay sequential scalar float64 as in the JS
// loop (lane 0 then lane 1).
// The forward softmax keeps each row's exp(x_k − max) in `scratch` (cols float64) instead of
// computing it twice as the JS loop does: the same values, half the exps.
import { fdlibmExp, fdlibmExp2, fdlibmLog } from "./fdlibm";

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f64 { return <f64>load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function st(p: usize, i: i32, v: f64): void { store<f32>(p + (<usize>i << 2), <f32>v); }
/** Two float32 at ptr → f64x2. */
// @ts-ignore: decorator
@inline function widen(ptr: usize): v128 { return f64x2.promote_low_f32x4(v128.load64_zero(ptr)); }
/** f64x2 → two float32 at ptr, rounded to nearest (as a Float32Array store rounds). */
// @ts-ignore: decorator
@inline function narrow(ptr: usize, v: v128): void { v128.store64_lane(ptr, f32x4.demote_f64x2_zero(v), 0); }

/** max of cols float32 at xr, as the JS loop's Math.max chain from −∞ (NaN if any is NaN). */
function rowMax(xr: usize, cols: i32): f64 {
  let k = 0;
  let m4 = f32x4.splat(-Infinity);
  for (; k + 4 <= cols; k += 4) m4 = f32x4.max(m4, v128.load(xr + (<usize>k << 2)));
  let m: f32 = max(max(f32x4.extract_lane(m4, 0), f32x4.extract_lane(m4, 1)), max(f32x4.extract_lane(m4, 2), f32x4.extract_lane(m4, 3)));
  for (; k < cols; k++) m = max(m, load<f32>(xr + (<usize>k << 2)));
  return <f64>m;
}

/**
 * x, out: rows·cols float32 (out may be x); log ≠ 0: log-softmax; scratch: cols float64 the
 * kernel may overwrite (unused for log-softmax).
 */
export function softmaxForward(x: usize, out: usize, rows: i32, cols: i32, log: i32, scratch: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, yr = out + <usize>r * rowBytes;
    const mx = rowMax(xr, cols);
    let sum: f64 = 0;
    if (log != 0) {
      const m2x = f64x2.splat(mx);
      let k = 0;
      for (; k + 2 <= cols; k += 2) {
        const e = fdlibmExp2(f64x2.sub(widen(xr + (<usize>k << 2)), m2x));
        sum += f64x2.extract_lane(e, 0);
        sum += f64x2.extract_lane(e, 1);
      }
      for (; k < cols; k++) sum += fdlibmExp(ld(xr, k) - mx);
      const lse = fdlibmLog(sum);
      const l2 = f64x2.splat(lse);
      k = 0;
      for (; k + 2 <= cols; k += 2) narrow(yr + (<usize>k << 2), f64x2.sub(f64x2.sub(widen(xr + (<usize>k << 2)), m2x), l2));
      for (; k < cols; k++) st(yr, k, ld(xr, k) - mx - lse);
    } else {
      const m2x = f64x2.splat(mx);
      let k = 0;
      for (; k + 2 <= cols; k += 2) {
        const e = fdlibmExp2(f64x2.sub(widen(xr + (<usize>k << 2)), m2x));
        v128.store(scratch + (<usize>k << 3), e);
        sum += f64x2.extract_lane(e, 0);
        sum += f64x2.extract_lane(e, 1);
      }
      for (; k < cols; k++) {
        const e = fdlibmExp(ld(xr, k) - mx);
        store<f64>(scratch + (<usize>k << 3), e);
        sum += e;
      }
      const inv = 1 / sum;
      const i2 = f64x2.splat(inv);
      k = 0;
      for (; k + 2 <= cols; k += 2) narrow(yr + (<usize>k << 2), f64x2.mul(v128.load(scratch + (<usize>k << 3)), i2));
      for (; k < cols; k++) st(yr, k, load<f64>(scratch + (<usize>k << 3)) * inv);
    }
  }
}

/** y (the forward's output), g, slot: rows·cols float32; slot += dx; log ≠ 0: log-softmax. */
export function softmaxBackward(y: usize, g: usize, slot: usize, rows: i32, cols: i32, log: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * rowBytes;
    const yr = y + o, gr = g + o, sr = slot + o;
    let s: f64 = 0;
    if (log != 0) {
      for (let k = 0; k < cols; k++) s += ld(gr, k);
      const s2 = f64x2.splat(s);
      let k = 0;
      for (; k + 2 <= cols; k += 2) {
        const e = <usize>k << 2;
        narrow(sr + e, f64x2.add(widen(sr + e), f64x2.sub(widen(gr + e), f64x2.mul(fdlibmExp2(widen(yr + e)), s2))));
      }
      for (; k < cols; k++) st(sr, k, ld(sr, k) + (ld(gr, k) - fdlibmExp(ld(yr, k)) * s));
    } else {
      for (let k = 0; k < cols; k++) s += ld(gr, k) * ld(yr, k);
      const s2 = f64x2.splat(s);
      let k = 0;
      for (; k + 2 <= cols; k += 2) {
        const e = <usize>k << 2;
        narrow(sr + e, f64x2.add(widen(sr + e), f64x2.mul(widen(yr + e), f64x2.sub(widen(gr + e), s2))));
      }
      for (; k < cols; k++) st(sr, k, ld(sr, k) + ld(yr, k) * (ld(gr, k) - s));
    }
  }
}
