import { describe, expect, it } from "vitest";
import * as js from "../src/kernels/js/activation.js";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { gelu, Tensor } from "../src/index.js";
import { noGrad } from "../src/tensor.js";

// GELU's forward with its derivative (`geluForward(x, out, approximate, deriv)`) and the
// backward through it (`mulAccumulate(g, deriv, slot)`), what the gelu op runs when its input
// requires grad: the forward's output is geluForward's, and g·deriv is geluBackward's update —
// the same bits in wasm (one erfc or σ per element shared by both), and in float64 JS; float32
// JS rounds the derivative to float32 before the product, so within one more rounding.

function values(n: number, seed: number, scale = 4): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 31 - 1) * scale;
  }
  return x;
}
const firstDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.prototype.findIndex.call(a, (v: number, i: number) => !Object.is(v, b[i]));
const FORMS = ["none", "tanh"] as const;
// Lengths around the SIMD width (the tails), and specials: ±0, NaN, ±∞, huge and tiny.
const LENGTHS = [1, 2, 3, 4, 5, 7, 1003];
function inputs(n: number): Float32Array {
  const x = values(n, n);
  const sp = [0, -0, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-30, -5, 5, -12];
  for (let i = 0; i < sp.length && i < n; i++) x[(i * 37) % n] = sp[i];
  return x;
}

describe.runIf(wasmSimdSupported())("wasm geluForward with deriv, and mulAccumulate", () => {
  const k = new WasmKernels();
  describe.each(FORMS)("approximate %s", (form) => {
    it.each(LENGTHS)("out has geluForward's bits, slot + g·deriv has geluBackward's (n = %i)", (n) => {
      const x = inputs(n), g = values(n, n + 1, 1), slot0 = values(n, n + 2, 1);
      const out = new Float32Array(n), deriv = new Float32Array(n), plain = new Float32Array(n);
      k.geluForward(x, out, form, deriv);
      k.geluForward(x, plain, form);
      expect(firstDiff(out, plain)).toBe(-1);
      const viaDeriv = slot0.slice(), direct = slot0.slice();
      k.mulAccumulate(g, deriv, viaDeriv);
      k.geluBackward(x, g, direct, form);
      expect(firstDiff(viaDeriv, direct)).toBe(-1);
    });
  });
  it("rejects mismatched lengths and does nothing on empty arrays", () => {
    expect(() => k.geluForward(new Float32Array(3), new Float32Array(3), "none", new Float32Array(2))).toThrow(/geluForward: x, out and deriv/);
    expect(() => k.mulAccumulate(new Float32Array(3), new Float32Array(2), new Float32Array(3))).toThrow(/mulAccumulate/);
    k.geluForward(new Float32Array(0), new Float32Array(0), "tanh", new Float32Array(0));
    k.mulAccumulate(new Float32Array(0), new Float32Array(0), new Float32Array(0));
  });
});

describe("js geluForward with deriv, and mulAccumulate", () => {
  describe.each(FORMS)("approximate %s", (form) => {
    it("float64: out and slot + g·deriv have geluForward's and geluBackward's bits", () => {
      const n = 1003, x = Float64Array.from(inputs(n)), g = Float64Array.from(values(n, 7, 1)), slot0 = Float64Array.from(values(n, 8, 1));
      const out = new Float64Array(n), deriv = new Float64Array(n), plain = new Float64Array(n);
      js.geluForward(x, out, form, deriv);
      js.geluForward(x, plain, form);
      expect(firstDiff(out, plain)).toBe(-1);
      const viaDeriv = slot0.slice(), direct = slot0.slice();
      js.mulAccumulate(g, deriv, viaDeriv);
      js.geluBackward(x, g, direct, form);
      expect(firstDiff(viaDeriv, direct)).toBe(-1);
    });
    it("float32: out has geluForward's bits, slot + g·deriv within one float32 rounding of g·gelu′ of geluBackward's", () => {
      const n = 1003, x = values(n, 9), g = values(n, 10, 1), slot0 = values(n, 11, 1);
      const out = new Float32Array(n), deriv = new Float32Array(n), plain = new Float32Array(n);
      js.geluForward(x, out, form, deriv);
      js.geluForward(x, plain, form);
      expect(firstDiff(out, plain)).toBe(-1);
      const viaDeriv = slot0.slice(), direct = slot0.slice();
      js.mulAccumulate(g, deriv, viaDeriv);
      js.geluBackward(x, g, direct, form);
      for (let i = 0; i < n; i++) {
        const dg = direct[i] - slot0[i];
        expect(Math.abs(viaDeriv[i] - direct[i])).toBeLessThanOrEqual(2 ** -23 * (Math.abs(direct[i]) + Math.abs(dg)) + 1e-45);
      }
    });
  });
  it("rejects a deriv or operands of the wrong length", () => {
    expect(() => js.geluForward(new Float32Array(3), new Float32Array(3), "none", new Float32Array(2))).toThrow(/geluForward: deriv has 2 elements, x has 3/);
    expect(() => js.mulAccumulate(new Float32Array(3), new Float32Array(3), new Float32Array(2))).toThrow(/mulAccumulate/);
  });
});

describe("the gelu op", () => {
  it("keeps the derivative only when its input requires grad, and its gradient is geluBackward's", () => {
    const data = Float64Array.from(values(37, 3));
    const x = new Tensor(data.slice(), [37], true);
    const y = gelu(x, "none");
    expect(y.requiresGrad).toBe(true);
    y.backward(new Tensor(new Float64Array(37).fill(1), [37]));
    const want = new Float64Array(37);
    js.geluBackward(data, new Float64Array(37).fill(1), want, "none");
    expect(firstDiff(x.grad!.data, want)).toBe(-1);
    const plain = gelu(new Tensor(data.slice(), [37]), "tanh");
    expect(plain.requiresGrad).toBe(false);
    const inNoGrad = noGrad(() => gelu(new Tensor(data.slice(), [37], true)));
    expect(inNoGrad.requiresGrad).toBe(false);
    const ref = new Float64Array(37);
    js.geluForward(data, ref, "none");
    expect(firstDiff(inNoGrad.data, ref)).toBe(-1);
  });
});
