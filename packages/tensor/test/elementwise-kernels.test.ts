import { describe, expect, it } from "vitest";
import * as js from "../src/kernels/js/elementwise.js";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { add, sub, Tensor } from "../src/index.js";

// addArrays and moveHeads: the wasm kernels against the JS ones, bit for bit (a float32 add
// rounds alike in both; moves are copies), in place and at every tail length; and the ops
// on them (add/sub of same-shape tensors, add of a tensor broadcast along leading rows)
// against the generic broadcast loops they replace.

function values(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 31 - 1) * 10 ** ((s >>> 9) % 7 - 3);
  }
  return x;
}
const firstDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.prototype.findIndex.call(a, (v: number, i: number) => !Object.is(v, b[i]));

/** x[b, l, col + h·d + k] ↔ y[b, h, l, k], by its definition. */
function headsRef(x: Float32Array, y: Float32Array, B: number, H: number, L: number, D: number, W: number, col: number, toHeads: boolean, add: boolean): void {
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let l = 0; l < L; l++) for (let k = 0; k < D; k++) {
    const xi = b * L * W + l * W + col + h * D + k, yi = ((b * H + h) * L + l) * D + k;
    if (toHeads) y[yi] = add ? y[yi] + x[xi] : x[xi];
    else x[xi] = add ? x[xi] + y[yi] : y[yi];
  }
}

describe.runIf(wasmSimdSupported())("wasm addArrays and moveHeads", () => {
  const k = new WasmKernels();
  it.each([1, 3, 4, 5, 8, 9, 1027])("addArrays: the JS kernel's bits, both signs, and in place (n = %i)", (n) => {
    const a = values(n, n), b = values(n, n + 1);
    for (const sign of [1, -1]) {
      const want = new Float32Array(n), got = new Float32Array(n);
      js.addArrays(a, b, want, sign);
      k.addArrays(a, b, got, sign);
      expect(firstDiff(got, want)).toBe(-1);
      const inPlace = a.slice();
      k.addArrays(inPlace, b, inPlace, sign);
      expect(firstDiff(inPlace, want)).toBe(-1);
      const intoB = b.slice();
      k.addArrays(a, intoB, intoB, sign);
      expect(firstDiff(intoB, want)).toBe(-1);
    }
  });
  it.each([[2, 4, 32, 16, 192, 64], [3, 2, 5, 3, 9, 2], [1, 3, 2, 1, 3, 0], [2, 1, 3, 5, 5, 0]])(
    "moveHeads both ways, writing and adding: the definition's bits (B %i, heads %i, L %i, D %i, width %i, col %i)", (B, H, L, D, W, col) => {
      const x0 = values(B * L * W, 1), y0 = values(B * H * L * D, 2);
      for (const toHeads of [true, false]) for (const add of [false, true]) {
        const wantX = x0.slice(), wantY = y0.slice();
        headsRef(wantX, wantY, B, H, L, D, W, col, toHeads, add);
        for (const run of [js.moveHeads, (x: Float32Array, y: Float32Array, ...r: [number, number, number, number, number, number, boolean, boolean]) => k.moveHeads(x, y, ...r)]) {
          const x = x0.slice(), y = y0.slice();
          run(x, y, B, H, L, D, W, col, toHeads, add);
          expect(firstDiff(x, wantX)).toBe(-1);
          expect(firstDiff(y, wantY)).toBe(-1);
        }
      }
    });
  it("rejects mismatched sizes", () => {
    expect(() => k.addArrays(new Float32Array(3), new Float32Array(2), new Float32Array(3), 1)).toThrow(/addArrays/);
    expect(() => js.addArrays(new Float32Array(3), new Float32Array(3), new Float32Array(2), 1)).toThrow(/addArrays/);
    expect(() => k.moveHeads(new Float32Array(12), new Float32Array(12), 1, 2, 2, 3, 6, 1, true, false)).toThrow(/moveHeads: expected x of 1×2×6 with columns \[1, 7\)/);
    expect(() => js.moveHeads(new Float32Array(12), new Float32Array(11), 1, 2, 2, 3, 6, 0, true, false)).toThrow(/moveHeads/);
  });
});

describe("add and sub on addArrays, add of a row-broadcast operand", () => {
  /** add/sub through the generic broadcast loops: a mixed-dtype-free reference by definition. */
  function reference(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], sign: number) {
    const shape = aShape.length >= bShape.length ? aShape : bShape;
    const n = shape.reduce((p, d) => p * d, 1);
    const idx = (s: number[], i: number) => {
      let off = 0, stride = 1, rest = i;
      const pad = shape.length - s.length;
      const coords = shape.map(() => 0);
      for (let d = shape.length - 1; d >= 0; d--) { coords[d] = rest % shape[d]; rest = Math.floor(rest / shape[d]); }
      for (let d = s.length - 1; d >= 0; d--) { off += (s[d] === 1 ? 0 : coords[pad + d]) * stride; stride *= s[d]; }
      return off;
    };
    const out = new Float32Array(n), ga = new Float32Array(a.length), gb = new Float32Array(b.length), g = values(n, 9);
    for (let i = 0; i < n; i++) {
      out[i] = a[idx(aShape, i)] + sign * b[idx(bShape, i)];
      ga[idx(aShape, i)] += g[i];
      gb[idx(bShape, i)] += sign * g[i];
    }
    return { out, ga, gb, g, shape };
  }
  it.each([
    [[2, 3, 4], [2, 3, 4], 1], [[2, 3, 4], [2, 3, 4], -1], [[5, 3, 4], [3, 4], 1], [[3, 4], [5, 3, 4], 1], [[5, 3, 4], [1, 3, 4], 1], [[6, 4], [4], 1], [[6, 4], [], 1],
  ] as [number[], number[], number][])("%j ± %j (sign %i): the broadcast definition's values and gradients", (aShape, bShape, sign) => {
    const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
    const a = values(size(aShape), 3), b = values(size(bShape), 4);
    const ref = reference(a, aShape, b, bShape, sign);
    const ta = new Tensor(a.slice(), aShape, true), tb = new Tensor(b.slice(), bShape, true);
    const y = sign > 0 ? add(ta, tb) : sub(ta, tb);
    expect(y.shape).toEqual(ref.shape);
    expect(firstDiff(y.data, ref.out)).toBe(-1);
    y.backward(new Tensor(ref.g, ref.shape));
    expect(firstDiff(ta.grad!.data, ref.ga)).toBe(-1);
    expect(firstDiff(tb.grad!.data, ref.gb)).toBe(-1);
  });
});
