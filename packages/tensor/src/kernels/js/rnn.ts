/**
 * Fused LSTM and GRU cell kernels: one pass over a step's gates, forward and backward, for the
 * `rows` rows of one time step. Rows are strided (`*Stride`: elements between consecutive rows),
 * so a step reads and writes its rows in place in a whole sequence's `[B, T, ·]` or `[T, B, ·]`
 * buffer; a state argument of `null` is the zero state. The gate order is PyTorch's: LSTM
 * `i, f, g, o`, GRU `r, z, n`, each a block of `hidden` columns.
 */
import type { FloatArray } from "../interface.js";

/** Stable sigmoid: never exponentiates a positive number. */
function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/**
 * LSTM step. `gates` holds the pre-activations `x·W_ihᵀ + h·W_hhᵀ + b_ih + b_hh` and is
 * overwritten with σ(i), σ(f), tanh(g), σ(o) (what the backward reads);
 * `c = σ(f)·cPrev + σ(i)·tanh(g)`, `h = σ(o)·tanh(c)`.
 */
export function lstmCellForward(
  rows: number, hidden: number, gates: FloatArray, gOff: number, gStride: number,
  cPrev: FloatArray | null, cpOff: number, cpStride: number,
  c: FloatArray, cOff: number, cStride: number, h: FloatArray, hOff: number, hStride: number,
): void {
  const H = hidden;
  for (let r = 0; r < rows; r++) {
    const g0 = gOff + r * gStride, c0 = cOff + r * cStride, h0 = hOff + r * hStride, p0 = cpOff + r * cpStride;
    for (let j = 0; j < H; j++) {
      const i = sigmoid(gates[g0 + j]);
      const f = sigmoid(gates[g0 + H + j]);
      const g = Math.tanh(gates[g0 + 2 * H + j]);
      const o = sigmoid(gates[g0 + 3 * H + j]);
      gates[g0 + j] = i;
      gates[g0 + H + j] = f;
      gates[g0 + 2 * H + j] = g;
      gates[g0 + 3 * H + j] = o;
      const cv = (cPrev === null ? 0 : f * cPrev[p0 + j]) + i * g;
      c[c0 + j] = cv;
      h[h0 + j] = o * Math.tanh(cv);
    }
  }
}

/**
 * LSTM step backward from the forward's activated `gates`, `cPrev` and `c`. The gradient of `h`
 * is `dhOut` (the output's, strided; null = 0) plus `dh` (the recurrent part, `[rows, hidden]`);
 * `dc` (`[rows, hidden]`) holds the gradient of `c` on entry and that of `cPrev` on exit.
 * Writes the pre-activation gradients into `dGates` (laid out as `gates`: same offset and stride; overwritten).
 */
export function lstmCellBackward(
  rows: number, hidden: number, gates: FloatArray, gOff: number, gStride: number,
  cPrev: FloatArray | null, cpOff: number, cpStride: number, c: FloatArray, cOff: number, cStride: number,
  dhOut: FloatArray | null, dhoOff: number, dhoStride: number, dh: FloatArray, dc: FloatArray, dGates: FloatArray,
): void {
  const H = hidden;
  for (let r = 0; r < rows; r++) {
    const g0 = gOff + r * gStride, c0 = cOff + r * cStride, p0 = cpOff + r * cpStride, d0 = g0;
    const o0 = dhoOff + r * dhoStride, s0 = r * H;
    for (let j = 0; j < H; j++) {
      const i = gates[g0 + j], f = gates[g0 + H + j], g = gates[g0 + 2 * H + j], o = gates[g0 + 3 * H + j];
      const dhv = dh[s0 + j] + (dhOut === null ? 0 : dhOut[o0 + j]);
      const tc = Math.tanh(c[c0 + j]);
      const dcv = dc[s0 + j] + dhv * o * (1 - tc * tc);
      const cp = cPrev === null ? 0 : cPrev[p0 + j];
      dGates[d0 + j] = dcv * g * i * (1 - i);
      dGates[d0 + H + j] = dcv * cp * f * (1 - f);
      dGates[d0 + 2 * H + j] = dcv * i * (1 - g * g);
      dGates[d0 + 3 * H + j] = dhv * tc * o * (1 - o);
      dc[s0 + j] = dcv * f;
    }
  }
}

/**
 * GRU step. `gx` holds `x·W_ihᵀ + b_ih` and is overwritten with r, z, n (what the backward
 * reads); `gh` holds `hPrev·W_hhᵀ + b_hh` (its n block is read by the backward):
 * `r = σ(gx_r + gh_r)`, `z = σ(gx_z + gh_z)`, `n = tanh(gx_n + r·gh_n)`, `h = (1 − z)·n + z·hPrev`.
 */
export function gruCellForward(
  rows: number, hidden: number, gx: FloatArray, gxOff: number, gxStride: number, gh: FloatArray, ghOff: number, ghStride: number,
  hPrev: FloatArray | null, hpOff: number, hpStride: number, h: FloatArray, hOff: number, hStride: number,
): void {
  const H = hidden;
  for (let q = 0; q < rows; q++) {
    const x0 = gxOff + q * gxStride, g0 = ghOff + q * ghStride, p0 = hpOff + q * hpStride, h0 = hOff + q * hStride;
    for (let j = 0; j < H; j++) {
      const r = sigmoid(gx[x0 + j] + gh[g0 + j]);
      const z = sigmoid(gx[x0 + H + j] + gh[g0 + H + j]);
      const n = Math.tanh(gx[x0 + 2 * H + j] + r * gh[g0 + 2 * H + j]);
      gx[x0 + j] = r;
      gx[x0 + H + j] = z;
      gx[x0 + 2 * H + j] = n;
      h[h0 + j] = (1 - z) * n + (hPrev === null ? 0 : z * hPrev[p0 + j]);
    }
  }
}

/**
 * GRU step backward from the forward's r, z, n (`gx`), `gh` and `hPrev`. The gradient of `h` is
 * `dhOut` (strided; null = 0) plus `dh` (`[rows, hidden]`), which is overwritten with the direct
 * part of `hPrev`'s gradient (`z·dh`; the caller adds `dGh·W_hh`). Writes the gradients of `gx`
 * (`dGx`, laid out as `gx`) and of `gh` (`dGh`, `[rows, 3·hidden]`), both overwritten.
 */
export function gruCellBackward(
  rows: number, hidden: number, gx: FloatArray, gxOff: number, gxStride: number, gh: FloatArray, ghOff: number, ghStride: number,
  hPrev: FloatArray | null, hpOff: number, hpStride: number, dhOut: FloatArray | null, dhoOff: number, dhoStride: number,
  dh: FloatArray, dGx: FloatArray, dGh: FloatArray,
): void {
  const H = hidden;
  for (let q = 0; q < rows; q++) {
    const x0 = gxOff + q * gxStride, g0 = ghOff + q * ghStride, p0 = hpOff + q * hpStride;
    const o0 = dhoOff + q * dhoStride, d0 = x0, s0 = q * H, e0 = q * 3 * H;
    for (let j = 0; j < H; j++) {
      const r = gx[x0 + j], z = gx[x0 + H + j], n = gx[x0 + 2 * H + j];
      const dhv = dh[s0 + j] + (dhOut === null ? 0 : dhOut[o0 + j]);
      const hp = hPrev === null ? 0 : hPrev[p0 + j];
      const dn = dhv * (1 - z) * (1 - n * n);
      const dz = dhv * (hp - n) * z * (1 - z);
      const dr = dn * gh[g0 + 2 * H + j] * r * (1 - r);
      dGx[d0 + j] = dr;
      dGx[d0 + H + j] = dz;
      dGx[d0 + 2 * H + j] = dn;
      dGh[e0 + j] = dr;
      dGh[e0 + H + j] = dz;
      dGh[e0 + 2 * H + j] = dn * r;
      dh[s0 + j] = dhv * z;
    }
  }
}
