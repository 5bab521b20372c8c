/**
 * Pooling over planes of x: [planes, h, w] (planes = N·C), the reference kernels. Windows follow
 * PyTorch: window (oi, oj) starts at (oi·sh − ph, oj·sw − pw); max pooling ignores padded
 * positions; average pooling divides by the window clipped to the padded extent
 * (`countIncludePad`) or by its in-bounds elements.
 */
import type { FloatArray, PoolGeometry } from "../interface.js";

/** See Kernels.maxPool2dForward: out = the window's maximum, argmax = its index in the plane (h·w). */
export function maxPool2dForward(x: FloatArray, planes: number, g: PoolGeometry, out: FloatArray, argmax: Int32Array): void {
  const { h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oi = 0; oi < oh; oi++) {
      const hs = oi * sh - ph;
      const h0 = Math.max(hs, 0), h1 = Math.min(hs + kh, h);
      for (let oj = 0; oj < ow; oj++, o++) {
        const ws = oj * sw - pw;
        const w0 = Math.max(ws, 0), w1 = Math.min(ws + kw, w);
        let best = -Infinity, at = h0 * w + w0;
        for (let i = h0; i < h1; i++) {
          for (let j = w0; j < w1; j++) {
            const v = x[base + i * w + j];
            // NaN wins, as in PyTorch: a NaN in the window makes the output NaN, and the window's
            // last NaN is the winner (PyTorch's CPU kernel scans without stopping).
            if (v > best || v !== v) {
              best = v;
              at = i * w + j;
            }
          }
        }
        out[o] = best;
        argmax[o] = at;
      }
    }
  }
}

/** See Kernels.maxPool2dBackward: gx[plane, argmax] += gy for every output. */
export function maxPool2dBackward(gy: FloatArray, argmax: Int32Array, planes: number, g: PoolGeometry, gx: FloatArray, assign = false): void {
  const hw = g.h * g.w, ohw = g.oh * g.ow;
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * hw;
    if (assign) gx.fill(0, base, base + hw);
    for (let k = 0; k < ohw; k++, o++) gx[base + argmax[o]] += gy[o];
  }
}

/** The divisor of window (hs, ws), clipped bounds [h0, h1) × [w0, w1): PyTorch's avg_pool2d rule. */
function divisor(g: PoolGeometry, hs: number, ws: number, h0: number, h1: number, w0: number, w1: number, countIncludePad: boolean): number {
  if (!countIncludePad) return (h1 - h0) * (w1 - w0);
  return (Math.min(hs + g.kh, g.h + g.ph) - hs) * (Math.min(ws + g.kw, g.w + g.pw) - ws);
}

/** See Kernels.avgPool2dForward. */
export function avgPool2dForward(x: FloatArray, planes: number, g: PoolGeometry, countIncludePad: boolean, out: FloatArray): void {
  const { h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oi = 0; oi < oh; oi++) {
      const hs = oi * sh - ph;
      const h0 = Math.max(hs, 0), h1 = Math.min(hs + kh, h);
      for (let oj = 0; oj < ow; oj++, o++) {
        const ws = oj * sw - pw;
        const w0 = Math.max(ws, 0), w1 = Math.min(ws + kw, w);
        let s = 0;
        for (let i = h0; i < h1; i++) for (let j = w0; j < w1; j++) s += x[base + i * w + j];
        out[o] = s / divisor(g, hs, ws, h0, h1, w0, w1, countIncludePad);
      }
    }
  }
}

/** See Kernels.avgPool2dBackward: every in-bounds element of a window gets gy / divisor. */
export function avgPool2dBackward(gy: FloatArray, planes: number, g: PoolGeometry, countIncludePad: boolean, gx: FloatArray): void {
  const { h, w, kh, kw, sh, sw, ph, pw, oh, ow } = g;
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oi = 0; oi < oh; oi++) {
      const hs = oi * sh - ph;
      const h0 = Math.max(hs, 0), h1 = Math.min(hs + kh, h);
      for (let oj = 0; oj < ow; oj++, o++) {
        const ws = oj * sw - pw;
        const w0 = Math.max(ws, 0), w1 = Math.min(ws + kw, w);
        const v = gy[o] / divisor(g, hs, ws, h0, h1, w0, w1, countIncludePad);
        for (let i = h0; i < h1; i++) for (let j = w0; j < w1; j++) gx[base + i * w + j] += v;
      }
    }
  }
}

/** See Kernels.adaptiveAvgPool2dForward: cell (i, j) averages rows ⌊i·h/oh⌋ … ⌈(i+1)·h/oh⌉ − 1 (columns alike). */
export function adaptiveAvgPool2dForward(x: FloatArray, planes: number, h: number, w: number, oh: number, ow: number, out: FloatArray): void {
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oi = 0; oi < oh; oi++) {
      const h0 = Math.floor((oi * h) / oh), h1 = Math.ceil(((oi + 1) * h) / oh);
      for (let oj = 0; oj < ow; oj++, o++) {
        const w0 = Math.floor((oj * w) / ow), w1 = Math.ceil(((oj + 1) * w) / ow);
        let s = 0;
        for (let i = h0; i < h1; i++) for (let j = w0; j < w1; j++) s += x[base + i * w + j];
        out[o] = s / ((h1 - h0) * (w1 - w0));
      }
    }
  }
}

/** See Kernels.adaptiveAvgPool2dBackward. */
export function adaptiveAvgPool2dBackward(gy: FloatArray, planes: number, h: number, w: number, oh: number, ow: number, gx: FloatArray): void {
  for (let p = 0, o = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oi = 0; oi < oh; oi++) {
      const h0 = Math.floor((oi * h) / oh), h1 = Math.ceil(((oi + 1) * h) / oh);
      for (let oj = 0; oj < ow; oj++, o++) {
        const w0 = Math.floor((oj * w) / ow), w1 = Math.ceil(((oj + 1) * w) / ow);
        const v = gy[o] / ((h1 - h0) * (w1 - w0));
        for (let i = h0; i < h1; i++) for (let j = w0; j < w1; j++) gx[base + i * w + j] += v;
      }
    }
  }
}
