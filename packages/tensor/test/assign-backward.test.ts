import { describe, expect, it } from "vitest";
import { jsKernels } from "../src/kernels/js/index.js";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { add, maxPool2d, relu, Tensor } from "../src/index.js";
import { freshGradSlot } from "../src/tensor.js";
import type { Kernels, PoolGeometry } from "../src/kernels/interface.js";

// The backward kernels' `assign` mode (a gradient's first producer writes its slot whole, with no
// zero-fill pass): the bits of accumulating into a zeroed slot — −0 gradients included, which
// 0 + (−0) turns into +0 — on the js kernels and the wasm ones, whatever the slot held before;
// and the ops that use it (freshGradSlot) against a second producer that accumulates.

function values(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 31 - 1) * 3;
  }
  for (let i = 0; i < n; i += 7) x[i] = -0;
  return x;
}
const firstDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.prototype.findIndex.call(a, (v: number, i: number) => !Object.is(v, b[i]));
const garbage = (n: number) => new Float32Array(n).fill(NaN);

const BACKENDS: [string, Kernels | WasmKernels][] = [["js", jsKernels], ...(wasmSimdSupported() ? [["wasm", new WasmKernels()] as [string, WasmKernels]] : [])];

describe.each(BACKENDS)("%s backward kernels with assign", (_, k) => {
  it.each([1, 5, 8, 1003])("reluBackward: accumulating into zeros, bit for bit (n = %i)", (n) => {
    const x = values(n, n), g = values(n, n + 1);
    const want = new Float32Array(n), got = garbage(n);
    k.reluBackward(x, g, want);
    k.reluBackward(x, g, got, true);
    expect(firstDiff(got, want)).toBe(-1);
  });
  it.each([1, 6, 1003])("mulAccumulate: accumulating into zeros, bit for bit (n = %i)", (n) => {
    const a = values(n, n + 5), b = values(n, n + 6);
    const want = new Float32Array(n), got = garbage(n);
    k.mulAccumulate(a, b, want);
    k.mulAccumulate(a, b, got, true);
    expect(firstDiff(got, want)).toBe(-1);
  });
  it.each([
    ["2×2 stride 2", { h: 6, w: 6, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, oh: 3, ow: 3 }],
    ["3×3 stride 2 pad 1 (overlapping windows)", { h: 5, w: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, oh: 3, ow: 3 }],
  ] as [string, PoolGeometry][])("maxPool2dBackward %s: accumulating into zeros, bit for bit", (_n, g) => {
    const planes = 3, x = values(planes * g.h * g.w, 4), out = new Float32Array(planes * g.oh * g.ow), argmax = new Int32Array(out.length);
    jsKernels.maxPool2dForward(x, planes, g, out, argmax);
    const gy = values(out.length, 9), want = new Float32Array(x.length), got = garbage(x.length);
    k.maxPool2dBackward(gy, argmax, planes, g, want);
    k.maxPool2dBackward(gy, argmax, planes, g, got, true);
    expect(firstDiff(got, want)).toBe(-1);
  });
  it.each([[4, 3, 1], [2, 3, 10], [3, 2, 49]])("batchNormBackwardDx [n %i, c %i, inner %i]: accumulating into zeros, bit for bit", (n, c, inner) => {
    const len = n * c * inner, x = values(len, 2), dy = values(len, 3);
    const stat = (s: number) => Float64Array.from({ length: c }, (_v, i) => 0.1 * (i + s));
    const want = new Float32Array(len), got = garbage(len);
    k.batchNormBackwardDx(x, dy, n, c, inner, stat(1), stat(5), stat(2), stat(3), stat(4), want);
    k.batchNormBackwardDx(x, dy, n, c, inner, stat(1), stat(5), stat(2), stat(3), stat(4), got, true);
    expect(firstDiff(got, want)).toBe(-1);
  });
});

describe("freshGradSlot, and the ops that write their input's gradient whole", () => {
  it("is the unzeroed buffer of a non-leaf's first producer only", () => {
    const leaf = new Tensor(new Float32Array(4), [4], true);
    expect(freshGradSlot(leaf)).toBeNull();
    const mid = relu(leaf);
    const first = freshGradSlot(mid);
    expect(first).not.toBeNull();
    expect(freshGradSlot(mid)).toBeNull();
    expect(freshGradSlot(new Tensor(new Float32Array(4), [4]))).toBeNull();
  });
  it("relu and maxPool2d: the gradient of an input with a second consumer adds both contributions", () => {
    const data = values(2 * 1 * 4 * 4, 11);
    const x = new Tensor(data.slice(), [2, 1, 4, 4], true);
    const h = add(x, 0.5); // a non-leaf: relu and pool are its first producers in the backward
    const y = add(maxPool2d(relu(h), 2).sum(), h.sum());
    y.backward();
    // d/dh = [h > 0]·[winner of its window] + 1.
    const hd = Float32Array.from(data, (v) => v + 0.5);
    for (let p = 0; p < 2; p++) for (let wi = 0; wi < 2; wi++) for (let wj = 0; wj < 2; wj++) {
      let best = -1, bv = -Infinity;
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) {
        const idx = p * 16 + (2 * wi + a) * 4 + 2 * wj + b, v = Math.max(hd[idx], 0);
        if (v > bv) { bv = v; best = idx; }
      }
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) {
        const idx = p * 16 + (2 * wi + a) * 4 + 2 * wj + b;
        expect(x.grad!.data[idx]).toBe(1 + (idx === best && hd[idx] > 0 ? 1 : 0));
      }
    }
  });
});
