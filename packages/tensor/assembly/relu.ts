// ReLU forward and backward over n float32 elements at byte pointers; the contract of
// src/kernels/js/activation.ts (forward writes `out`, backward accumulates into `slot`).

/**
 * out[i] = max(x[i], +0): NaN propagates (wasm's f32x4.max returns NaN if either is NaN) and
 * −0 gives +0, as PyTorch. Same bits as the JS kernel's (x + |x|)·0.5 for every input except
 * −∞, where the JS formula gives NaN (−∞ + ∞) and this gives 0, as torch.relu does.
 */
export function reluForward(x: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.max(v128.load(x + o), zero));
    v128.store(out + o, f32x4.max(v128.load(x + o, 16), zero), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, max<f32>(load<f32>(x + o), 0));
  }
}

/**
 * slot[i] += g[i] where x[i] > 0 (0 at x = 0, as PyTorch); elsewhere slot is left untouched
 * (not even −0 → +0). A float32 add is bit-identical to the JS kernel's double add rounded to
 * float32 (double rounding through binary64 is innocuous for one addition of two floats).
 */
export function reluBackward(x: usize, g: usize, slot: usize, n: i32, assign: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  if (assign != 0) {
    // slot = x > 0 ? g + 0 : 0 — what accumulating into a zeroed slot gives (0 + −0 = +0), one pass.
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(slot + o, v128.and(f32x4.add(v128.load(g + o), zero), f32x4.gt(v128.load(x + o), zero)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(slot + o, load<f32>(x + o) > 0 ? load<f32>(g + o) + 0 : 0);
    }
    return;
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const s = v128.load(slot + o);
    v128.store(slot + o, v128.bitselect(f32x4.add(s, v128.load(g + o)), s, f32x4.gt(v128.load(x + o), zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    if (load<f32>(x + o) > 0) store<f32>(slot + o, load<f32>(slot + o) + load<f32>(g + o));
  }
}
