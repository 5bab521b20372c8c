// im2col / col2im over float32 at byte pointers: the contract of src/kernels/js/conv.ts (one
// sample's c channels [c, h, w] ↔ col [c·kh·kw, oh·ow]; col2im accumulates). A stride-1 row is
// one f32x4 copy loop (im2col; a whole plane as one run when the output is as wide as the
// input) or one f32x4 add loop (col2im) between its zero-padded ends; other strides go element
// by element.
import { accumulate, copy, zeros } from "./moves";

/** Columns [j0, j1) of an output row whose input column oj + shift lies in [0, w) (stride 1). */
@inline function validLo(shift: i32): i32 {
  return shift < 0 ? -shift : 0;
}
@inline function validHi(shift: i32, w: i32, ow: i32): i32 {
  return min(ow, w - shift);
}

export function im2col(
  x: usize, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, col: usize,
): void {
  const rowBytes = <usize>ow << 2;
  let o = col;
  // Stride 1 with the output as wide as the input (a "same" convolution): the valid rows of one
  // col row are the input's rows shifted by `shift` columns as ONE flat run, then the |shift|
  // columns that fell off an edge zeroed — instead of a 14-float copy per output row (whose
  // overhead made im2col ≈ 7% of the standard CNN's step).
  const flat = sh == 1 && sw == 1 && ow == w;
  for (let ci = 0; ci < c; ci++) {
    const plane = x + (<usize>(ci * h * w) << 2);
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const shift = kj * dw - pw;
        if (flat && shift > -w && shift < w) {
          // Output rows [r0, r1) read input rows r0 − ph + ki·dh … (the rest are padding).
          const top = ki * dh - ph;
          const r0 = min(max(-top, 0), oh), r1 = max(min(h - top, oh), r0);
          zeros(o, r0 * ow);
          const run = (r1 - r0) * ow, a = shift < 0 ? -shift : shift;
          if (run > 0) {
            const src = plane + (<usize>((r0 + top) * w) << 2), dst = o + (<usize>(r0 * ow) << 2);
            if (shift < 0) {
              copy(dst + (<usize>a << 2), src, run - a);
              for (let r = 0; r < r1 - r0; r++) zeros(dst + (<usize>(r * ow) << 2), a);
            } else {
              copy(dst, src + (<usize>a << 2), run - a);
              for (let r = 1; r <= r1 - r0; r++) zeros(dst + (<usize>(r * ow - a) << 2), a);
            }
          }
          zeros(o + (<usize>(r1 * ow) << 2), (oh - r1) * ow);
          o += <usize>oh * rowBytes;
          continue;
        }
        for (let oi = 0; oi < oh; oi++, o += rowBytes) {
          const ih = oi * sh - ph + ki * dh;
          if (ih < 0 || ih >= h) {
            zeros(o, ow);
            continue;
          }
          const src = plane + (<usize>(ih * w) << 2);
          if (sw == 1) {
            const j0 = min(validLo(shift), ow);
            const j1 = max(validHi(shift, w, ow), j0);
            zeros(o, j0);
            copy(o + (<usize>j0 << 2), src + (<usize>(j0 + shift) << 2), j1 - j0);
            zeros(o + (<usize>j1 << 2), ow - j1);
          } else {
            for (let oj = 0; oj < ow; oj++) {
              const iw = oj * sw + shift;
              store<f32>(o + (<usize>oj << 2), iw >= 0 && iw < w ? load<f32>(src + (<usize>iw << 2)) : 0);
            }
          }
        }
      }
    }
  }
}

export function col2im(
  col: usize, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32,
  oh: i32, ow: i32, gx: usize,
): void {
  const rowBytes = <usize>ow << 2;
  let o = col;
  for (let ci = 0; ci < c; ci++) {
    const plane = gx + (<usize>(ci * h * w) << 2);
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const shift = kj * dw - pw;
        for (let oi = 0; oi < oh; oi++, o += rowBytes) {
          const ih = oi * sh - ph + ki * dh;
          if (ih < 0 || ih >= h) continue;
          const dst = plane + (<usize>(ih * w) << 2);
          if (sw == 1) {
            const j0 = min(validLo(shift), ow);
            const j1 = max(validHi(shift, w, ow), j0);
            accumulate(dst + (<usize>(j0 + shift) << 2), o + (<usize>j0 << 2), j1 - j0);
          } else {
            for (let oj = 0; oj < ow; oj++) {
              const iw = oj * sw + shift;
              if (iw >= 0 && iw < w) {
                const p = dst + (<usize>iw << 2);
                store<f32>(p, load<f32>(p) + load<f32>(o + (<usize>oj << 2)));
              }
            }
          }
        }
      }
    }
  }
}
