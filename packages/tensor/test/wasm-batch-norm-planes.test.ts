import { describe, expect, it } from "vitest";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import * as js from "../src/kernels/js/batch-norm.js";

// BatchNorm's wasm kernels over x: [n, C, inner > 1] (BatchNorm2d's planes, assembly/
// batch-norm-planes.ts) against the JS reference kernels: the forward and dx are elementwise in
// float64 as the JS loops, so the same bits (Object.is); the statistics and backward sums add a
// plane's values in another order (two f64x2 lane pairs, then across), so rtol 1e-12 (float64
// rounding of sums of float32 values). Inner sizes with and without a tail of < 4 values.

function values(n: number, seed: number, offset = 0): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = offset + (s / 2 ** 31 - 1) * 10 ** ((s >>> 9) % 3 - 1);
  }
  return x;
}
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));
const allClose = (a: ArrayLike<number>, b: ArrayLike<number>, rtol: number) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Math.abs(v - b[i]) <= rtol * Math.abs(b[i]) + 1e-300);

describe.runIf(wasmSimdSupported())("wasm batchNorm over planes (inner > 1)", () => {
  const k = new WasmKernels();

  it.each([[2, 3, 4], [3, 5, 49], [4, 2, 7], [1, 4, 2], [8, 32, 196]])("n = %i, C = %i, inner = %i", (n, C, inner) => {
    const len = n * C * inner;
    const x = values(len, n * 7 + C + inner, 0.5), dy = values(len, n + 3 * C + inner);
    const mean = new Float64Array(C), v = new Float64Array(C), wm = new Float64Array(C), wv = new Float64Array(C);
    js.batchNormMeanVar(x, n, C, inner, mean, v);
    k.batchNormMeanVar(x, n, C, inner, wm, wv);
    expect(allClose(wm, mean, 1e-12) && allClose(wv, v, 1e-12)).toBe(true);

    const s = new Float64Array(C).fill(0.25), s2 = new Float64Array(C).fill(-1), ws = s.slice(), ws2 = s2.slice();
    js.batchNormSums(x, n, C, inner, s, s2);
    k.batchNormSums(x, n, C, inner, ws, ws2);
    expect(allClose(ws, s, 1e-12) && allClose(ws2, s2, 1e-12)).toBe(true);

    const invstd = Float64Array.from(v, (q) => 1 / Math.sqrt(q + 1e-5));
    const scale = Float64Array.from(invstd, (q, c) => q * (1 + 0.1 * c)), shift = Float64Array.from({ length: C }, (_, c) => 0.3 - 0.05 * c);
    const out = new Float32Array(len), wout = new Float32Array(len);
    js.batchNormForward(x, n, C, inner, mean, scale, shift, out);
    k.batchNormForward(x, n, C, inner, mean, scale, shift, wout);
    expect(same(wout, out)).toBe(true);

    const sums = new Float64Array(2 * C), wsums = new Float64Array(2 * C);
    js.batchNormBackwardSums(x, dy, n, C, inner, mean, invstd, sums);
    k.batchNormBackwardSums(x, dy, n, C, inner, mean, invstd, wsums);
    expect(allClose(wsums, sums, 1e-12)).toBe(true);

    const count = n * inner;
    const meanDy = Float64Array.from({ length: C }, (_, c) => sums[c] / count), meanDyXhat = Float64Array.from({ length: C }, (_, c) => sums[C + c] / count);
    const gx = values(len, 99), wgx = gx.slice();
    js.batchNormBackwardDx(x, dy, n, C, inner, mean, invstd, scale, meanDy, meanDyXhat, gx);
    k.batchNormBackwardDx(x, dy, n, C, inner, mean, invstd, scale, meanDy, meanDyXhat, wgx);
    expect(same(wgx, gx)).toBe(true);
  });
});
