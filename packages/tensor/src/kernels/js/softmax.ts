/**
 * Softmax and log-softmax over the middle axis of an [outer, dim, inner] layout: the reference
 * kernels (the wasm ones, for inner = 1, give the same bits).
 */
import type { FloatArray } from "../interface.js";

/**
 * Softmax over the middle axis of an [outer, dim, inner] layout, stable (subtracts the max).
 * With `log`, writes log-softmax = x − max − log Σ exp(x − max).
 */
export function softmaxForward(x: FloatArray, out: FloatArray, outer: number, dim: number, inner: number, log: boolean): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * dim * inner + j;
      let max = -Infinity;
      for (let k = 0; k < dim; k++) max = Math.max(max, x[base + k * inner]);
      let sum = 0;
      for (let k = 0; k < dim; k++) sum += Math.exp(x[base + k * inner] - max);
      if (log) {
        const lse = Math.log(sum);
        for (let k = 0; k < dim; k++) out[base + k * inner] = x[base + k * inner] - max - lse;
      } else {
        const inv = 1 / sum;
        for (let k = 0; k < dim; k++) out[base + k * inner] = Math.exp(x[base + k * inner] - max) * inv;
      }
    }
  }
}
/**
 * From the output y. softmax: dx = y ⊙ (g − Σ g·y); log-softmax: dx = g − softmax · Σ g.
 */
export function softmaxBackward(y: FloatArray, g: FloatArray, slot: FloatArray, outer: number, dim: number, inner: number, log: boolean): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      const base = o * dim * inner + j;
      let s = 0;
      if (log) {
        for (let k = 0; k < dim; k++) s += g[base + k * inner];
        for (let k = 0; k < dim; k++) slot[base + k * inner] += g[base + k * inner] - Math.exp(y[base + k * inner]) * s;
      } else {
        for (let k = 0; k < dim; k++) s += g[base + k * inner] * y[base + k * inner];
        for (let k = 0; k < dim; k++) slot[base + k * inner] += y[base + k * inner] * (g[base + k * inner] - s);
      }
    }
  }
}
