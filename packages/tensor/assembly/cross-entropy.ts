// Softmax + cross-entropy over the rows of float32 logits [rows, classes] with class-index
// targets (crossEntropyIndex) or class-probability targets (crossEntropyProbs, float32
// [rows, classes]; q_c = (1 − ε)·target_c + ε/C): the per-row loss and the clean gradient, as src/kernels/js/cross-entropy.ts computes
// them, operation for operation, in float64:
//
//   lse  = max + log Σ_c exp(x_c − max)                (stable for any logits: no inf, no NaN)
//   q_c  = (1 − ε)·[c = t] + ε/C                        (label smoothing ε)
//   loss = −Σ_{q_c ≠ 0} q_c·(x_c − lse)
//   d_c  = exp(x_c − lse)·Σq − q_c                      (p·Σq − q)
//
// exp and log are fdlibm's (fdlibm.ts), the algorithms of V8's Math.exp/Math.log, so the results
// are the JS loop's bits (test/wasm-cross-entropy.test.ts). Float64 rather than float32x4 with
// a polynomial exp: the golden cases have logits of ±1e4, where float32 accumulation needs care.
// The exps run two at a time (fdlibmExp2, the same operations in f64x2 lanes); the sums stay
// sequential.

import { fdlibmExp, fdlibmExp2, fdlibmLog } from "./fdlibm";

/** Two float32 at ptr → f64x2. */
// @ts-ignore: decorator
@inline function widen(ptr: usize): v128 { return f64x2.promote_low_f32x4(v128.load64_zero(ptr)); }

/**
 * x: rows·classes float32; target: rows int32 class indices (already checked in range);
 * loss: rows float64 out; grad: rows·classes float64 out (dloss_r/dx_r,c).
 */
export function crossEntropyIndex(x: usize, rows: i32, classes: i32, target: usize, eps: f64, loss: usize, grad: usize): void {
  crossEntropyRows(x, rows, classes, target, 0, eps, loss, grad);
}

/**
 * x, probs: rows·classes float32 (probs: the target distributions); loss: rows float64 out;
 * grad: rows·classes float64 out.
 */
export function crossEntropyProbs(x: usize, rows: i32, classes: i32, probs: usize, eps: f64, loss: usize, grad: usize): void {
  crossEntropyRows(x, rows, classes, 0, probs, eps, loss, grad);
}

/** Both: class indices at `target` when probs = 0, else the probabilities at `probs`. */
// @ts-ignore: decorator
@inline function crossEntropyRows(x: usize, rows: i32, classes: i32, target: usize, probs: usize, eps: f64, loss: usize, grad: usize): void {
  const keep = 1 - eps, spread = eps / <f64>classes;
  const rowBytes = <usize>classes << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const dr = grad + (<usize>r * rowBytes << 1);
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, <f64>load<f32>(xr + (<usize>c << 2)));
    let sum: f64 = 0;
    const max2 = f64x2.splat(max);
    let c = 0;
    for (; c + 2 <= classes; c += 2) { // two exps at a time, added in order
      const e = fdlibmExp2(f64x2.sub(widen(xr + (<usize>c << 2)), max2));
      sum += f64x2.extract_lane(e, 0);
      sum += f64x2.extract_lane(e, 1);
    }
    for (; c < classes; c++) sum += fdlibmExp(<f64>load<f32>(xr + (<usize>c << 2)) - max);
    const lse = max + fdlibmLog(sum);
    const t = probs == 0 ? load<i32>(target + (<usize>r << 2)) : -1;
    const pr = probs + <usize>r * rowBytes;
    let l: f64 = 0, qSum: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const q = keep * (probs != 0 ? <f64>load<f32>(pr + (<usize>c << 2)) : c == t ? 1.0 : 0.0) + spread;
      if (q != 0) l -= q * (<f64>load<f32>(xr + (<usize>c << 2)) - lse);
      store<f64>(dr + (<usize>c << 3), -q);
      qSum += q;
    }
    const lse2 = f64x2.splat(lse), qSum2 = f64x2.splat(qSum);
    c = 0;
    for (; c + 2 <= classes; c += 2) {
      const p = dr + (<usize>c << 3);
      v128.store(p, f64x2.add(v128.load(p), f64x2.mul(fdlibmExp2(f64x2.sub(widen(xr + (<usize>c << 2)), lse2)), qSum2)));
    }
    for (; c < classes; c++) {
      const p = dr + (<usize>c << 3);
      store<f64>(p, load<f64>(p) + fdlibmExp(<f64>load<f32>(xr + (<usize>c << 2)) - lse) * qSum);
    }
    store<f64>(loss + (<usize>r << 3), l);
  }
}
