import { describe, expect, it } from "vitest";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import * as js from "../src/kernels/js/batch-norm.js";

// BatchNorm1d's kernels for float32 x: [n, C] in wasm against the JS reference kernels
// (src/kernels/js/batch-norm.ts, inner = 1, which @weft/norm's BatchNorm1d and SyncBatchNorm
// run): same arithmetic in the same order, so the same bits (Object.is); and against float64
// references, rtol 1e-12 for the float64 statistics and sums, float32 rounding (2^-23 relative,
// 1e-30 absolute) for outputs.

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
const close = (got: number, want: number, rtol: number, atol = 0) => Math.abs(got - want) <= atol + rtol * Math.abs(want);

describe.runIf(wasmSimdSupported())("wasm batchNorm", () => {
  const k = new WasmKernels();

  it.each([[2, 1], [3, 5], [128, 256], [17, 7], [5, 33]])("n = %i, C = %i: statistics, forward and backward give the JS loops' bits", (n, C) => {
    const x = values(n * C, n * 7 + C, 0.5), dy = values(n * C, n + 3 * C);
    // Statistics, two passes (BatchNorm1d.batchStats).
    const mean = new Float64Array(C), v = new Float64Array(C);
    js.batchNormMeanVar(x, n, C, 1, mean, v);
    const gm = new Float64Array(C), gv = new Float64Array(C);
    k.batchNormMeanVar(x, n, C, 1, gm, gv);
    expect(same(gm, mean) && same(gv, v)).toBe(true);
    for (let c = 0; c < C; c++) {
      let m = 0, q = 0;
      for (let i = 0; i < n; i++) m += x[i * C + c];
      m /= n;
      for (let i = 0; i < n; i++) q += (x[i * C + c] - m) ** 2;
      expect(close(gv[c], q / n, 1e-12, 1e-300)).toBe(true);
    }
    // SyncBatchNorm's local sums, accumulated onto what is there.
    const s1 = new Float64Array(C).fill(0.25), s2 = new Float64Array(C).fill(0.5), g1 = s1.slice(), g2 = s2.slice();
    js.batchNormSums(x, n, C, 1, s1, s2);
    k.batchNormSums(x, n, C, 1, g1, g2);
    expect(same(g1, s1) && same(g2, s2)).toBe(true);
    // Forward.
    const invstd = v.map((e) => 1 / Math.sqrt(e + 1e-5));
    const gamma = values(C, 9), beta = values(C, 10);
    const scale = invstd.map((e, c) => e * gamma[c]), shift = Float64Array.from(beta);
    const y = new Float32Array(n * C), gy = new Float32Array(n * C);
    js.batchNormForward(x, n, C, 1, mean, scale, shift, y);
    k.batchNormForward(x, n, C, 1, mean, scale, shift, gy);
    expect(same(gy, y)).toBe(true);
    // Backward sums and dx.
    const sums = new Float64Array(2 * C);
    js.batchNormBackwardSums(x, dy, n, C, 1, mean, invstd, sums);
    const gsums = new Float64Array(2 * C);
    k.batchNormBackwardSums(x, dy, n, C, 1, mean, invstd, gsums);
    expect(same(gsums, sums)).toBe(true);
    const kk = scale, meanDy = sums.subarray(0, C).map((e) => e / n), meanDyXhat = sums.subarray(C).map((e) => e / n);
    const gx0 = values(n * C, 77), gx = gx0.slice(), wgx = gx0.slice();
    js.batchNormBackwardDx(x, dy, n, C, 1, mean, invstd, kk, Float64Array.from(meanDy), Float64Array.from(meanDyXhat), wgx);
    k.batchNormBackwardDx(x, dy, n, C, 1, mean, invstd, kk, Float64Array.from(meanDy), Float64Array.from(meanDyXhat), gx);
    expect(same(gx, wgx)).toBe(true);
    for (let e = 0; e < n * C; e++) {
      const c = e % C;
      const ref = gx0[e] + kk[c] * (dy[e] - meanDy[c] - (x[e] - mean[c]) * invstd[c] * meanDyXhat[c]);
      expect(close(gx[e], ref, 2 ** -23, 1e-30)).toBe(true);
    }
  });

  it("is deterministic", () => {
    const n = 11, C = 9, x = values(n * C, 1), dy = values(n * C, 2);
    const run = () => {
      const m = new Float64Array(C), v = new Float64Array(C), sums = new Float64Array(2 * C);
      k.batchNormMeanVar(x, n, C, 1, m, v);
      const inv = v.map((e) => 1 / Math.sqrt(e + 1e-5));
      const y = new Float32Array(n * C);
      k.batchNormForward(x, n, C, 1, m, inv, new Float64Array(C), y);
      k.batchNormBackwardSums(x, dy, n, C, 1, m, inv, sums);
      return [...m, ...v, ...y, ...sums];
    };
    expect(same(run(), run())).toBe(true);
  });
});
