/**
 * Activation kernels over flat arrays. Forward writes into a given `out` (so layers can reuse
 * buffers); backward *accumulates* `+=` into a given gradient slot. Each backward sits under its forward.
 */
import type { FloatArray, GeluApproximation } from "../interface.js";
import { erf } from "./erf.js";

export function reluForward(x: FloatArray, out: FloatArray): void {
  // Branch-free (a sign branch mispredicts on real data: 1.2 → 5.3 GB/s, bench/src/micro.ts); NaN propagates, as in PyTorch.
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = (v + Math.abs(v)) * 0.5;
  }
}
/** d/dx relu = 1 where x > 0 (0 at x = 0, as PyTorch). */
export function reluBackward(x: FloatArray, g: FloatArray, slot: FloatArray, assign = false): void {
  if (assign) for (let i = 0; i < x.length; i++) slot[i] = x[i] > 0 ? g[i] + 0 : 0;
  else for (let i = 0; i < x.length; i++) if (x[i] > 0) slot[i] += g[i];
}

export function leakyReluForward(x: FloatArray, out: FloatArray, slope: number): void {
  for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : x[i] * slope;
}
export function leakyReluBackward(x: FloatArray, g: FloatArray, slot: FloatArray, slope: number): void {
  for (let i = 0; i < x.length; i++) slot[i] += x[i] > 0 ? g[i] : g[i] * slope;
}

/** Stable sigmoid: never exponentiates a positive number. */
export function sigmoidForward(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
}
/** From the output y: dy/dx = y(1 − y). */
export function sigmoidBackward(y: FloatArray, g: FloatArray, slot: FloatArray): void {
  for (let i = 0; i < y.length; i++) slot[i] += g[i] * y[i] * (1 - y[i]);
}

export function tanhForward(x: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.tanh(x[i]);
}
/** From the output y: dy/dx = 1 − y². */
export function tanhBackward(y: FloatArray, g: FloatArray, slot: FloatArray): void {
  for (let i = 0; i < y.length; i++) slot[i] += g[i] * (1 - y[i] * y[i]);
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327;
const SQRT_2_OVER_PI = 0.7978845608028654;
const GELU_C = 0.044715;

/** GELU, exact (x·Φ(x) via erf) or PyTorch's tanh approximation; with `deriv`, also GELU′(x) (geluBackward's factor). */
export function geluForward(x: FloatArray, out: FloatArray, approximate: GeluApproximation, deriv: FloatArray | null = null): void {
  if (deriv !== null && deriv.length !== x.length) throw new Error(`geluForward: deriv has ${deriv.length} elements, x has ${x.length}`);
  if (approximate === "tanh") {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const t = Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v));
      out[i] = 0.5 * v * (1 + t);
      if (deriv !== null) deriv[i] = geluTanhGrad(v, t);
    }
  } else {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      const cdf = 0.5 * (1 + erf(v * SQRT1_2));
      out[i] = v * cdf;
      if (deriv !== null) deriv[i] = geluGrad(v, cdf);
    }
  }
}
/** GELU′ from x and Φ(x). */
const geluGrad = (v: number, cdf: number): number => cdf + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v);
/** The tanh form's derivative from x and t = tanh(√(2/π)·(x + c·x³)). */
const geluTanhGrad = (v: number, t: number): number => 0.5 * (1 + t) + 0.5 * v * ((1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * v * v));

export function geluBackward(x: FloatArray, g: FloatArray, slot: FloatArray, approximate: GeluApproximation): void {
  if (approximate === "tanh") {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      slot[i] += g[i] * geluTanhGrad(v, Math.tanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v)));
    }
  } else {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      slot[i] += g[i] * geluGrad(v, 0.5 * (1 + erf(v * SQRT1_2)));
    }
  }
}

/** slot += a·b elementwise (a backward through a saved derivative, GELU's). */
export function mulAccumulate(a: FloatArray, b: FloatArray, slot: FloatArray, assign = false): void {
  const n = slot.length;
  if (a.length !== n || b.length !== n) throw new Error(`mulAccumulate: a, b and slot must have equal lengths, got ${a.length}, ${b.length}, ${n}`);
  if (assign) for (let i = 0; i < n; i++) slot[i] = a[i] * b[i] + 0;
  else for (let i = 0; i < n; i++) slot[i] += a[i] * b[i];
}
