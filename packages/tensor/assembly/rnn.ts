// Fused LSTM and GRU cell kernels, forward and backward, over `rows` strided float32 rows at byte
// pointers (strides in elements); the contract of src/kernels/js/rnn.ts, each element in float64
// as the JS loops compute it (sigmoid with fdlibm's exp, V8's algorithm; tanh from the same exp),
// rounded to float32 once. A `has*` flag of 0 is the zero state (its pointer is not read).
import { fdlibmExp } from "./fdlibm";

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f64 { return <f64>load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function st(p: usize, i: i32, v: f64): void { store<f32>(p + (<usize>i << 2), <f32>v); }

// @ts-ignore: decorator
@inline function sigm(v: f64): f64 {
  if (v >= 0) return 1 / (1 + fdlibmExp(-v));
  const e = fdlibmExp(v);
  return e / (1 + e);
}

// tanh in float64 from exp: (1 − e^−2|v|) / (1 + e^−2|v|) with v's sign; v itself below 1e-8, ±1 past 20.
// @ts-ignore: decorator
@inline function tanh64(v: f64): f64 {
  const a = Math.abs(v);
  if (a < 1e-8) return v;
  if (a > 20) return v > 0 ? 1 : -1;
  const t = fdlibmExp(-2 * a);
  const r = (1 - t) / (1 + t);
  return v < 0 ? -r : r;
}

export function lstmCellForward(rows: i32, H: i32, g: usize, gS: i32, cp: usize, cpS: i32, hasCp: i32, c: usize, cS: i32, h: usize, hS: i32): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * gS, c0 = r * cS, h0 = r * hS, p0 = r * cpS;
    for (let j = 0; j < H; j++) {
      const i = sigm(ld(g, g0 + j)), f = sigm(ld(g, g0 + H + j)), gg = tanh64(ld(g, g0 + 2 * H + j)), o = sigm(ld(g, g0 + 3 * H + j));
      st(g, g0 + j, i);
      st(g, g0 + H + j, f);
      st(g, g0 + 2 * H + j, gg);
      st(g, g0 + 3 * H + j, o);
      // As the JS kernel: c and h from the float64 activations, each rounded once when stored.
      const cv = (hasCp ? f * ld(cp, p0 + j) : 0) + i * gg;
      st(c, c0 + j, cv);
      st(h, h0 + j, o * tanh64(cv));
    }
  }
}

export function lstmCellBackward(
  rows: i32, H: i32, g: usize, gS: i32, cp: usize, cpS: i32, hasCp: i32, c: usize, cS: i32,
  dho: usize, dhoS: i32, hasDho: i32, dh: usize, dc: usize, dg: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * gS, c0 = r * cS, p0 = r * cpS, o0 = r * dhoS, s0 = r * H;
    for (let j = 0; j < H; j++) {
      const i = ld(g, g0 + j), f = ld(g, g0 + H + j), gg = ld(g, g0 + 2 * H + j), o = ld(g, g0 + 3 * H + j);
      const dhv = ld(dh, s0 + j) + (hasDho ? ld(dho, o0 + j) : 0);
      const tc = tanh64(ld(c, c0 + j));
      const dcv = ld(dc, s0 + j) + dhv * o * (1 - tc * tc);
      const cpv = hasCp ? ld(cp, p0 + j) : 0;
      st(dg, g0 + j, dcv * gg * i * (1 - i));
      st(dg, g0 + H + j, dcv * cpv * f * (1 - f));
      st(dg, g0 + 2 * H + j, dcv * i * (1 - gg * gg));
      st(dg, g0 + 3 * H + j, dhv * tc * o * (1 - o));
      st(dc, s0 + j, dcv * f);
    }
  }
}

export function gruCellForward(rows: i32, H: i32, gx: usize, gxS: i32, gh: usize, ghS: i32, hp: usize, hpS: i32, hasHp: i32, h: usize, hS: i32): void {
  for (let q = 0; q < rows; q++) {
    const x0 = q * gxS, g0 = q * ghS, p0 = q * hpS, h0 = q * hS;
    for (let j = 0; j < H; j++) {
      const r = sigm(ld(gx, x0 + j) + ld(gh, g0 + j));
      const z = sigm(ld(gx, x0 + H + j) + ld(gh, g0 + H + j));
      const n = tanh64(ld(gx, x0 + 2 * H + j) + r * ld(gh, g0 + 2 * H + j));
      st(gx, x0 + j, r);
      st(gx, x0 + H + j, z);
      st(gx, x0 + 2 * H + j, n);
      st(h, h0 + j, (1 - z) * n + (hasHp ? z * ld(hp, p0 + j) : 0));
    }
  }
}

export function gruCellBackward(
  rows: i32, H: i32, gx: usize, gxS: i32, gh: usize, ghS: i32, hp: usize, hpS: i32, hasHp: i32,
  dho: usize, dhoS: i32, hasDho: i32, dh: usize, dgx: usize, dgh: usize,
): void {
  for (let q = 0; q < rows; q++) {
    const x0 = q * gxS, g0 = q * ghS, p0 = q * hpS, o0 = q * dhoS, s0 = q * H, e0 = q * 3 * H;
    for (let j = 0; j < H; j++) {
      const r = ld(gx, x0 + j), z = ld(gx, x0 + H + j), n = ld(gx, x0 + 2 * H + j);
      const dhv = ld(dh, s0 + j) + (hasDho ? ld(dho, o0 + j) : 0);
      const hpv = hasHp ? ld(hp, p0 + j) : 0;
      const dn = dhv * (1 - z) * (1 - n * n);
      const dz = dhv * (hpv - n) * z * (1 - z);
      const dr = dn * ld(gh, g0 + 2 * H + j) * r * (1 - r);
      st(dgx, x0 + j, dr);
      st(dgx, x0 + H + j, dz);
      st(dgx, x0 + 2 * H + j, dn);
      st(dgh, e0 + j, dr);
      st(dgh, e0 + H + j, dz);
      st(dgh, e0 + 2 * H + j, dn * r);
      st(dh, s0 + j, dhv * z);
    }
  }
}
