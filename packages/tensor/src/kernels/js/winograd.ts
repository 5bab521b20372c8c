/**
 * Winograd F(2×2, 3×3) transforms for 3×3, stride-1, padding-1 convolutions (Lavin & Gray 2016):
 * the portable kernels (either precision). For float32 every add is rounded to float32 as it is
 * made (Math.fround), so the wasm kernels (assembly/winograd.ts) give the same bits; float64
 * (gradient checks) keeps float64.
 *
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
 *   Aᵀ = [1 1 1 0; 0 1 −1 −1]
 */
import type { FloatArray } from "../interface.js";

const same = (v: number): number => v;

/** See Kernels.winogradWeights. */
export function winogradWeights(w: FloatArray, cOut: number, cIn: number, flip: boolean, u: FloatArray): void {
  checkLength("winogradWeights", "weight", w, cOut * cIn * 9);
  checkLength("winogradWeights", "u", u, 16 * cOut * cIn);
  const plane = cOut * cIn;
  for (let o = 0; o < cOut; o++) {
    for (let i = 0; i < cIn; i++) {
      const g = (o * cIn + i) * 9, dst = flip ? i * cOut + o : o * cIn + i;
      const k = (r: number, c: number): number => w[g + (flip ? (2 - r) * 3 + 2 - c : r * 3 + c)];
      const row = (kr: number, t0: number, t1: number, t2: number): void => {
        u[(kr * 4) * plane + dst] = t0;
        u[(kr * 4 + 1) * plane + dst] = (t0 + t1 + t2) * 0.5;
        u[(kr * 4 + 2) * plane + dst] = (t0 - t1 + t2) * 0.5;
        u[(kr * 4 + 3) * plane + dst] = t2;
      };
      const a0 = k(0, 0), b0 = k(1, 0), d0 = k(2, 0), a1 = k(0, 1), b1 = k(1, 1), d1 = k(2, 1), a2 = k(0, 2), b2 = k(1, 2), d2 = k(2, 2);
      row(0, a0, a1, a2);
      row(1, (a0 + b0 + d0) * 0.5, (a1 + b1 + d1) * 0.5, (a2 + b2 + d2) * 0.5);
      row(2, (a0 - b0 + d0) * 0.5, (a1 - b1 + d1) * 0.5, (a2 - b2 + d2) * 0.5);
      row(3, d0, d1, d2);
    }
  }
}

/** See Kernels.winogradInput. */
export function winogradInput(x: FloatArray, n: number, c: number, h: number, w: number, v: FloatArray): void {
  const th = (h + 1) >> 1, tw = (w + 1) >> 1, tiles = th * tw, T = n * tiles, st = c * T;
  checkLength("winogradInput", "x", x, n * c * h * w);
  checkLength("winogradInput", "v", v, 16 * st);
  const f = x instanceof Float32Array ? Math.fround : same;
  const at = (base: number, r: number, q: number): number => (r >= 0 && r < h && q >= 0 && q < w ? x[base + r * w + q] : 0);
  for (let s = 0; s < n; s++) {
    for (let ci = 0; ci < c; ci++) {
      const base = (s * c + ci) * h * w;
      let o = ci * T + s * tiles;
      for (let ti = 0; ti < th; ti++) {
        for (let tj = 0; tj < tw; tj++, o++) {
          const r0 = 2 * ti - 1, q0 = 2 * tj - 1;
          for (let j = 0; j < 4; j++) {
            // Column j of Bᵀ·d.
            const d0 = at(base, r0, q0 + j), d1 = at(base, r0 + 1, q0 + j), d2 = at(base, r0 + 2, q0 + j), d3 = at(base, r0 + 3, q0 + j);
            cols[j] = f(d0 - d2); cols[4 + j] = f(d1 + d2); cols[8 + j] = f(d2 - d1); cols[12 + j] = f(d1 - d3);
          }
          for (let i = 0; i < 4; i++) {
            const t0 = cols[4 * i], t1 = cols[4 * i + 1], t2 = cols[4 * i + 2], t3 = cols[4 * i + 3];
            v[(4 * i) * st + o] = t0 - t2;
            v[(4 * i + 1) * st + o] = t1 + t2;
            v[(4 * i + 2) * st + o] = t2 - t1;
            v[(4 * i + 3) * st + o] = t1 - t3;
          }
        }
      }
    }
  }
}
/** One tile's 16 values (Bᵀ·d in winogradInput, M in winogradOutput), reused: no allocation per tile. */
const cols = new Float64Array(16);

/** See Kernels.winogradOutput. */
export function winogradOutput(m: FloatArray, n: number, c: number, h: number, w: number, y: FloatArray, accumulate: boolean): void {
  const th = (h + 1) >> 1, tw = (w + 1) >> 1, tiles = th * tw, T = n * tiles, st = c * T;
  checkLength("winogradOutput", "m", m, 16 * st);
  checkLength("winogradOutput", "y", y, n * c * h * w);
  const f = y instanceof Float32Array ? Math.fround : same;
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < c; o++) {
      const dst = (s * c + o) * h * w;
      let p = o * T + s * tiles;
      for (let ti = 0; ti < th; ti++) {
        for (let tj = 0; tj < tw; tj++, p++) {
          for (let k = 0; k < 16; k++) cols[k] = m[k * st + p];
          const e = cols;
          const u0 = f(f(e[0] + e[4]) + e[8]), u1 = f(f(e[1] + e[5]) + e[9]), u2 = f(f(e[2] + e[6]) + e[10]), u3 = f(f(e[3] + e[7]) + e[11]);
          const l0 = f(f(e[4] - e[8]) - e[12]), l1 = f(f(e[5] - e[9]) - e[13]), l2 = f(f(e[6] - e[10]) - e[14]), l3 = f(f(e[7] - e[11]) - e[15]);
          const y00 = f(f(u0 + u1) + u2), y01 = f(f(u1 - u2) - u3), y10 = f(f(l0 + l1) + l2), y11 = f(f(l1 - l2) - l3);
          const r = 2 * ti, q = 2 * tj, o0 = dst + r * w + q, o1 = o0 + w;
          y[o0] = accumulate ? y[o0] + y00 : y00;
          if (q + 1 < w) y[o0 + 1] = accumulate ? y[o0 + 1] + y01 : y01;
          if (r + 1 < h) {
            y[o1] = accumulate ? y[o1] + y10 : y10;
            if (q + 1 < w) y[o1 + 1] = accumulate ? y[o1 + 1] + y11 : y11;
          }
        }
      }
    }
  }
}

function checkLength(op: string, name: string, a: FloatArray, n: number): void {
  if (a.length < n) throw new Error(`${op}: ${name} needs ${n} elements, got ${a.length}`);
}
