import { describe, expect, it } from "vitest";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { layerNormBackward, layerNormForward } from "../src/kernels/js/layer-norm.js";

// LayerNorm's kernels for float32 x: [rows, D] in wasm (assembly/layer-norm.ts) against the JS
// reference kernels (src/kernels/js/layer-norm.ts, which @weft/norm's LayerNorm runs): the same
// float64 arithmetic in the same order (each row sum as the same four partial sums), so the same bits (Object.is, tolerance 0) for out, mean,
// invstd and the accumulated gradients gx, gw, gb; and out against a float64 reference within float32 rounding
// (2⁻²³ relative + 1e-6·|γ| absolute, the float64 statistics being exact to ~1e-15).

function values(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = offset + (s / 2 ** 31 - 1) * scale * 10 ** ((s >>> 9) % 3 - 1);
  }
  return x;
}
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));

/** The reference forward (as @weft/norm's LayerNorm runs it on the js backend), over x: [xd.length / D, D]. */
function jsForward(xd: Float32Array, D: number, eps: number, w: Float32Array | null, beta: Float32Array | null, out: Float32Array, mean: Float64Array, invstd: Float64Array): void {
  layerNormForward(xd, xd.length / D, D, eps, w, beta, out, mean, invstd);
}

/** The reference backward. */
function jsBackward(xd: Float32Array, g: Float32Array, D: number, mean: Float64Array, invstd: Float64Array, w: Float32Array | null, gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null): void {
  layerNormBackward(xd, g, xd.length / D, D, mean, invstd, w, gx, gw, gb);
}

describe.runIf(wasmSimdSupported())("wasm layerNorm", () => {
  const k = new WasmKernels();

  // rows, D, x scale, x offset, affine: "both" | "weight" | "none"
  const cases: [number, number, number, number, string][] = [
    [1, 1, 1, 0, "both"], [1, 8, 2, 0.5, "both"], [7, 1, 1, 3, "weight"], [4, 13, 3, -2, "both"], [33, 7, 1, 0, "none"],
    [128, 256, 2, 0.25, "both"], [5, 768, 1e4, 1e5, "weight"], [3, 5, 1e-20, 0, "both"], [6, 30, 1, 0, "none"],
  ];
  it.each(cases)("rows = %i, D = %i, |x| ≤ %f + %f, affine: %s: forward and backward give the JS loops' bits", (rows, D, scale, offset, affine) => {
    const n = rows * D;
    const x = values(n, rows * 7 + D, scale, offset), dy = values(n, rows + 3 * D);
    const w = affine !== "none" ? values(D, 9, 1, 1) : null, b = affine === "both" ? values(D, 10) : null;
    const eps = 1e-5;
    const want = new Float32Array(n), wm = new Float64Array(rows), wi = new Float64Array(rows);
    const got = new Float32Array(n).fill(3), gm = new Float64Array(rows), gi = new Float64Array(rows);
    jsForward(x, D, eps, w, b, want, wm, wi);
    k.layerNormForward(x, rows, D, eps, w, b, got, gm, gi);
    expect(same(gm, wm) && same(gi, wi)).toBe(true);
    expect(same(got, want)).toBe(true);
    // float64 reference of the output.
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * D, (r + 1) * D), Number);
      const m = row.reduce((a, v) => a + v, 0) / D;
      const v = row.reduce((a, e) => a + (e - m) ** 2, 0) / D;
      for (let j = 0; j < D; j++) {
        const ref = ((row[j] - m) / Math.sqrt(v + eps)) * (w ? w[j] : 1) + (b ? b[j] : 0);
        expect(Math.abs(got[r * D + j] - ref)).toBeLessThanOrEqual(2 ** -23 * Math.abs(ref) + 1e-6 * Math.abs(w ? w[j] : 1));
      }
    }
    // Backward, accumulating onto non-zero slots, with every combination of slots present.
    for (const [hasX, hasW, hasB] of [[true, true, true], [true, false, false], [false, true, true], [false, false, true]]) {
      const sx = values(n, 41, 0.1), sw = values(D, 42, 0.1), sb = values(D, 43, 0.1);
      const wx = hasX ? sx.slice() : null, ww = hasW && w ? sw.slice() : null, wb = hasB && b ? sb.slice() : null;
      const kx = hasX ? sx.slice() : null, kw = hasW && w ? sw.slice() : null, kb = hasB && b ? sb.slice() : null;
      jsBackward(x, dy, D, wm, wi, w, wx, ww, wb);
      k.layerNormBackward(x, dy, rows, D, gm, gi, w, kx, kw, kb);
      if (wx) expect(same(kx!, wx)).toBe(true);
      if (ww) expect(same(kw!, ww)).toBe(true);
      if (wb) expect(same(kb!, wb)).toBe(true);
    }
  });

  it("without bias the output has no −0 (the JS loop's \"+ 0\"), and ±∞/NaN inputs give the JS loop's results", () => {
    const x = new Float32Array([1, 1, 1, 1, 2, 0, -0, 5, 1, Infinity, 2, 3, NaN, 1, 2, 3]);
    const w = new Float32Array([-1, 1, 2, 0]);
    const want = new Float32Array(16), wm = new Float64Array(4), wi = new Float64Array(4);
    const got = new Float32Array(16), gm = new Float64Array(4), gi = new Float64Array(4);
    jsForward(x, 4, 0, w, null, want, wm, wi);
    k.layerNormForward(x, 4, 4, 0, w, null, got, gm, gi);
    expect(same(got, want) && same(gm, wm) && same(gi, wi)).toBe(true);
    expect(got.some((v) => Object.is(v, -0))).toBe(false);
  });

  it("operands in the kernels' memory run in place (pointer level)", () => {
    const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer; grow(n: number): number } } }).WebAssembly;
    const memory = new WA.Memory({ initial: 1 });
    const kk = new WasmKernels({ memory, scratchOffset: 0, scratchBytes: 0 });
    const rows = 6, D = 10, n = rows * D;
    const x = values(n, 1, 2, 1), w = values(D, 2, 1, 1), b = values(D, 3), dy = values(n, 4);
    const want = new Float32Array(n), wm = new Float64Array(rows), wi = new Float64Array(rows), wx = new Float32Array(n), ww = new Float32Array(D), wb = new Float32Array(D);
    jsForward(x, D, 1e-5, w, b, want, wm, wi);
    jsBackward(x, dy, D, wm, wi, w, wx, ww, wb);
    const f32 = new Float32Array(memory.buffer), f64 = new Float64Array(memory.buffer);
    const X = 0, W = 1024, B = 2048, Y = 3072, M = 4096, I = 5120, G = 6144, GX = 8192, GW = 10240, GB = 11264;
    f32.set(x, X / 4); f32.set(w, W / 4); f32.set(b, B / 4); f32.set(dy, G / 4);
    kk.layerNormForwardPtr(X, rows, D, 1e-5, W, B, Y, M, I);
    kk.layerNormBackwardPtr(X, G, rows, D, M, I, W, GX, GW, GB);
    expect(same(f32.subarray(Y / 4, Y / 4 + n), want)).toBe(true);
    expect(same(f64.subarray(M / 8, M / 8 + rows), wm) && same(f64.subarray(I / 8, I / 8 + rows), wi)).toBe(true);
    expect(same(f32.subarray(GX / 4, GX / 4 + n), wx)).toBe(true);
    expect(same(f32.subarray(GW / 4, GW / 4 + D), ww) && same(f32.subarray(GB / 4, GB / 4 + D), wb)).toBe(true);
  });
});
