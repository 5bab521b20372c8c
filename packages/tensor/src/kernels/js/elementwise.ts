/** Elementwise sums and attention's head layout moves: the portable kernels (either precision). */
import type { FloatArray } from "../interface.js";

/** out = a + b (sign ≥ 0) or a − b elementwise; out may be a or b. */
export function addArrays(a: FloatArray, b: FloatArray, out: FloatArray, sign: number): void {
  const n = out.length;
  if (a.length !== n || b.length !== n) throw new Error(`addArrays: a, b and out must have equal lengths, got ${a.length}, ${b.length}, ${n}`);
  if (sign >= 0) for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
  else for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
}

/**
 * Between x [batch, len, width]'s columns col + h·d + k and y [batch, heads, len, d] (the heads
 * of attention's projections): toHeads moves x into y, else y into x; add accumulates.
 */
export function moveHeads(
  x: FloatArray, y: FloatArray, batch: number, heads: number, len: number, d: number, width: number, col: number, toHeads: boolean, add: boolean,
): void {
  checkHeads(x, y, batch, heads, len, d, width, col);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      for (let l = 0; l < len; l++, o += d) {
        const src = (b * len + l) * width + col + h * d;
        if (toHeads) {
          if (add) for (let k = 0; k < d; k++) y[o + k] += x[src + k];
          else for (let k = 0; k < d; k++) y[o + k] = x[src + k];
        } else if (add) for (let k = 0; k < d; k++) x[src + k] += y[o + k];
        else for (let k = 0; k < d; k++) x[src + k] = y[o + k];
      }
    }
  }
}

/** Throws unless x holds [batch, len, width] with the heads' columns inside and y [batch, heads, len, d]. */
export function checkHeads(x: FloatArray, y: FloatArray, batch: number, heads: number, len: number, d: number, width: number, col: number): void {
  if (x.length !== batch * len * width || y.length !== batch * heads * len * d || col < 0 || col + heads * d > width) {
    throw new Error(`moveHeads: expected x of ${batch}×${len}×${width} with columns [${col}, ${col + heads * d}) inside and y of ${batch}×${heads}×${len}×${d}, got ${x.length} and ${y.length} elements`);
  }
}
