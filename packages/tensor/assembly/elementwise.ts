// Elementwise sums and attention's head layout moves over float32 at byte pointers; the
// contract of src/kernels/js/elementwise.ts, with its bits: a float32 add is bit-identical to the
// JS loops' double add rounded to float32 (one addition of two floats), and copies are copies.

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

/** to[0, d) = from[0, d), or += with `add`. */
// @ts-ignore: decorator
@inline function moveRun(from: usize, to: usize, d: i32, add: i32): void {
  let j = 0;
  if (add != 0) {
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      v128.store(to + o, f32x4.add(v128.load(to + o), v128.load(from + o)));
    }
    for (; j < d; j++) {
      const o = <usize>j << 2;
      store<f32>(to + o, load<f32>(to + o) + load<f32>(from + o));
    }
  } else {
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      v128.store(to + o, v128.load(from + o));
    }
    for (; j < d; j++) {
      const o = <usize>j << 2;
      store<f32>(to + o, load<f32>(from + o));
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
        if (toHeads != 0) moveRun(src, o, d, add);
        else moveRun(o, src, d, add);
        o += run;
      }
    }
  }
}
