// Max pooling over float32 planes [planes, h, w] at byte pointers, the contract of
// src/kernels/js/pool.ts: out = each window's maximum (padding never wins, NaN wins), argmax
// (int32) = its index in the plane (the last NaN of a window wins, as in PyTorch); backward gx[plane, argmax] += gy.
import { zeros } from "./moves";

/**
 * One step of a window's scan, four windows at once: v replaces the best so far when it is
 * greater or NaN (so the window's last NaN wins, as in PyTorch) — the scalar rule of
 * maxPool2dForward, lane by lane, without branches.
 */
// @ts-ignore: decorator
@inline function better(v: v128, best: v128): v128 {
  return v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
}

/**
 * The 2×2, stride-2, unpadded windows of output columns [oj, oj + 4) of output row oi: both
 * input rows' eight floats split into even and odd columns (a b / c d of each window), scanned
 * a, b, c, d as the scalar loop scans them. The common pooling of a CNN, ≈ 6× faster than the
 * scalar loop's data-dependent branches on random activations (which mispredict about half the time).
 */
// @ts-ignore: decorator
@inline function max2x2Four(row0: usize, w: i32, oj: i32, at0: i32, out: usize, argmax: usize): void {
  const p = row0 + (<usize>(2 * oj) << 2);
  const q = p + (<usize>w << 2);
  const p0 = v128.load(p), p1 = v128.load(p, 16), q0 = v128.load(q), q1 = v128.load(q, 16);
  const a = v128.shuffle<f32>(p0, p1, 0, 2, 4, 6), b = v128.shuffle<f32>(p0, p1, 1, 3, 5, 7);
  const c = v128.shuffle<f32>(q0, q1, 0, 2, 4, 6), d = v128.shuffle<f32>(q0, q1, 1, 3, 5, 7);
  const one = i32x4.splat(1);
  const atA = i32x4.add(i32x4.splat(at0 + 2 * oj), i32x4(0, 2, 4, 6));
  let best = a, at = atA;
  let m = better(b, best);
  best = v128.bitselect(b, best, m); at = v128.bitselect(i32x4.add(atA, one), at, m);
  const atC = i32x4.add(atA, i32x4.splat(w));
  m = better(c, best);
  best = v128.bitselect(c, best, m); at = v128.bitselect(atC, at, m);
  m = better(d, best);
  best = v128.bitselect(d, best, m); at = v128.bitselect(i32x4.add(atC, one), at, m);
  v128.store(out, best);
  v128.store(argmax, at);
}

export function maxPool2dForward(
  x: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32,
  out: usize, argmax: usize,
): void {
  const twoByTwo = kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0;
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const base = x + (<usize>(p * h * w) << 2);
    for (let oi = 0; oi < oh; oi++) {
      const hs = oi * sh - ph;
      const h0 = max(hs, 0), h1 = min(hs + kh, h);
      let oj = 0;
      // Whole 2×2 windows, four at a time, while both rows and eight columns lie inside x
      // (a ceilMode window cut by the edge goes through the scalar loop).
      if (twoByTwo && h1 - h0 == 2) {
        const row0 = base + (<usize>(h0 * w) << 2);
        for (; 2 * (oj + 4) <= w; oj += 4, o += 16) max2x2Four(row0, w, oj, h0 * w, out + o, argmax + o);
        // The row's last 1–3 windows: the last four again (rewriting a window writes the same values).
        if (oj < ow && oj >= 4 && 2 * ow <= w) {
          const back = <usize>((ow - oj) << 2);
          max2x2Four(row0, w, ow - 4, h0 * w, out + o - (16 - back), argmax + o - (16 - back));
          o += back;
          oj = ow;
        }
      }
      for (; oj < ow; oj++, o += 4) {
        const ws = oj * sw - pw;
        const w0 = max(ws, 0), w1 = min(ws + kw, w);
        let best: f32 = -Infinity;
        let at = h0 * w + w0;
        for (let i = h0; i < h1; i++) {
          const row = base + (<usize>(i * w) << 2);
          for (let j = w0; j < w1; j++) {
            const v = load<f32>(row + (<usize>j << 2));
            if (v > best || v != v) {
              best = v;
              at = i * w + j;
            }
          }
        }
        store<f32>(out + o, best);
        store<i32>(argmax + o, at);
      }
    }
  }
}

export function maxPool2dBackward(gy: usize, argmax: usize, planes: i32, hw: i32, ohw: i32, gx: usize, assign: i32): void {
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const base = gx + (<usize>(p * hw) << 2);
    // assign: gx's plane is zeroed here, while it is about to be written (in cache), not in a
    // pass of its own over the whole gradient.
    if (assign != 0) zeros(base, hw);
    for (let k = 0; k < ohw; k++, o += 4) {
      const d = base + (<usize>load<i32>(argmax + o) << 2);
      store<f32>(d, load<f32>(d) + load<f32>(gy + o));
    }
  }
}
