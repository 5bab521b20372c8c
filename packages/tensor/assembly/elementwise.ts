// Elementwise sums and attention's head layout moves over float32 at byte pointers; the
// contract of src/kernels/js/elementwise.ts, with its bits: a float32 add is bit-identical to the
// JS loops' double add rounded to float32 (one addition of two floats), and copies are copies.
import { accumulate, copy } from "./moves";

/** out[i] = a[i] + b[i] (sign ≥ 0) or a[i] − b[i], n elements; out may be a or b. */
export function addArrays(a: usize, b: usize, out: usize, n: i32, sign: i32): void {
  let i = 0;
  if (sign >= 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, load<f32>(a + o) - load<f32>(b + o));
    }
  }
}

/**
 * Between x [batch, len, width]'s columns col + h·d + k and y [batch, heads, len, d]: toHeads
 * moves x into y, else y into x; add accumulates instead of writing.
 */
export function moveHeads(x: usize, y: usize, batch: i32, heads: i32, len: i32, d: i32, width: i32, col: i32, toHeads: i32, add: i32): void {
  let o = y;
  const run = <usize>d << 2;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let l = 0; l < len; l++) {
        const src = x + (<usize>((b * len + l) * width + col + h * d) << 2);
        const from = toHeads != 0 ? src : o, to = toHeads != 0 ? o : src;
        if (add != 0) accumulate(to, from, d);
        else copy(to, from, d);
        o += run;
      }
    }
  }
}
