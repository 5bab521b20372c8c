/**
 * Convolution's data movement, the reference kernels: im2col unfolds the receptive fields of one
 * sample's channels into the columns of a matrix, so a convolution is one gemm (conv forward:
 * W·col; dW += dy·colᵀ; dcol = Wᵀ·dy), and col2im folds a column gradient back onto the input.
 */
import type { ConvGeometry, FloatArray } from "../interface.js";

/**
 * See Kernels.im2col: col[(ci·kh + ki)·kw + kj, oi·ow + oj] = x[xOff + (ci·h + ih)·w + iw] with
 * ih = oi·sh − ph + ki·dh, iw = oj·sw − pw + kj·dw, and 0 where (ih, iw) lies in the padding.
 */
export function im2col(x: FloatArray, xOff: number, g: ConvGeometry, col: FloatArray): void {
  const { c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  let r = 0;
  for (let ci = 0; ci < c; ci++) {
    const plane = xOff + ci * h * w;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, r++) {
        let o = r * oh * ow;
        const colShift = kj * dw - pw;
        for (let oi = 0; oi < oh; oi++) {
          const ih = oi * sh - ph + ki * dh;
          if (ih < 0 || ih >= h) {
            col.fill(0, o, o + ow);
            o += ow;
            continue;
          }
          const row = plane + ih * w;
          for (let oj = 0; oj < ow; oj++, o++) {
            const iw = oj * sw + colShift;
            col[o] = iw >= 0 && iw < w ? x[row + iw] : 0;
          }
        }
      }
    }
  }
}

/** See Kernels.col2im: the adjoint of {@link im2col}, gx[gxOff + (ci·h + ih)·w + iw] += col[…] (padding dropped). */
export function col2im(col: FloatArray, g: ConvGeometry, gx: FloatArray, gxOff: number): void {
  const { c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } = g;
  let r = 0;
  for (let ci = 0; ci < c; ci++) {
    const plane = gxOff + ci * h * w;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++, r++) {
        let o = r * oh * ow;
        const colShift = kj * dw - pw;
        for (let oi = 0; oi < oh; oi++) {
          const ih = oi * sh - ph + ki * dh;
          if (ih < 0 || ih >= h) {
            o += ow;
            continue;
          }
          const row = plane + ih * w;
          for (let oj = 0; oj < ow; oj++, o++) {
            const iw = oj * sw + colShift;
            if (iw >= 0 && iw < w) gx[row + iw] += col[o];
          }
        }
      }
    }
  }
}
