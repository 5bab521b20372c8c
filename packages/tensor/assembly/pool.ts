// Max pooling over float32 planes [planes, h, w] at byte pointers, the contract of
// src/kernels/js/pool.ts: out = each window's maximum (padding never wins, NaN wins), argmax
// (int32) = its index in the plane; backward gx[plane, argmax] += gy.

export function maxPool2dForward(
  x: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oh: i32, ow: i32,
  out: usize, argmax: usize,
): void {
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const base = x + (<usize>(p * h * w) << 2);
    for (let oi = 0; oi < oh; oi++) {
      const hs = oi * sh - ph;
      const h0 = max(hs, 0), h1 = min(hs + kh, h);
      for (let oj = 0; oj < ow; oj++, o += 4) {
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
              if (v != v) break;
            }
          }
        }
        store<f32>(out + o, best);
        store<i32>(argmax + o, at);
      }
    }
  }
}

export function maxPool2dBackward(gy: usize, argmax: usize, planes: i32, hw: i32, ohw: i32, gx: usize): void {
  let o: usize = 0;
  for (let p = 0; p < planes; p++) {
    const base = gx + (<usize>(p * hw) << 2);
    for (let k = 0; k < ohw; k++, o += 4) {
      const d = base + (<usize>load<i32>(argmax + o) << 2);
      store<f32>(d, load<f32>(d) + load<f32>(gy + o));
    }
  }
}
