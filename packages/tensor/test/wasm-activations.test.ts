import { describe, expect, it } from "vitest";
import * as js from "../src/kernels/js/activation.js";
import { erf } from "../src/kernels/js/erf.js";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";

// The wasm sigmoid, tanh, leakyRelu and GELU kernels (assembly/activation.ts) against the JS
// ones (src/kernels/js/activation.ts).
// - "exact" (sigmoid, leakyRelu, tanh's backward): the same bits (compared with Object.is, so ±0
//   and NaN count), since both compute in float64 with the same operations — exp is fdlibm's,
//   the algorithm of V8's Math — and round once. Against a float64 reference (the same formulas
//   on the float32 inputs): within one float32 rounding, 2⁻²⁴ relative (+ 1e-45 absolute), for
//   the forward; the backward's accumulated slot within 2⁻²³ relative of |slot| + |g·f′|.
// - "approx" (tanh's forward, GELU both ways): float32 SIMD approximations (assembly/fast-math.ts).
//   Bound, against the JS kernels and the float64 reference alike: 4e-6 relative + 1e-6 absolute
//   for f (measured worst: 7.5e-7 relative, GELU near x = −4.2 where erfc is small; tanh 1.3e-7),
//   4e-6·|g| absolute more for f′ (measured worst 2e-6 absolute, GELU-tanh′ near its zero at
//   x ≈ −0.75) — 25× inside the golden tolerances (rtol 1e-4, atol 1e-5). NaN, ±∞ and ±0 inputs
//   give what the JS kernels give (NaN where they do, ±1 for tanh(±∞)).

function values(n: number, seed: number, scale = 1): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 31 - 1) * scale * 10 ** ((s >>> 9) % 5 - 2);
  }
  return x;
}
function withSpecials(n: number, seed: number): Float32Array {
  const x = values(n, seed, 4);
  const sp = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 1e-30, 0.5493, 0.2554, 1, -1, 2.9999, 3, -3, 6, -6, 22, -22, 9.5, -9.5, 40, -40, 90, -90];
  for (let i = 0; i < sp.length && 3 + i < n; i++) x[3 + i] = sp[i];
  return x;
}
const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const firstDiff = (a: Float32Array, b: Float32Array) => a.findIndex((v, i) => !Object.is(v, b[i]));

const SQRT_2_OVER_PI = 0.7978845608028654, C = 0.044715;
/** float64 references: [f(x), f′ as used by backward (from y for sigmoid/tanh)]. */
const refs: Record<string, { f: (x: number) => number; d: (x: number, y: number) => number }> = {
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)), d: (_x, y) => y * (1 - y) },
  tanh: { f: Math.tanh, d: (_x, y) => 1 - y * y },
  leakyRelu: { f: (x) => (x > 0 ? x : 0.1 * x), d: (x) => (x > 0 ? 1 : 0.1) },
  geluNone: { f: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)), d: (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + x * Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI) },
  geluTanh: {
    f: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + C * x ** 3))),
    d: (x) => {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + C * x ** 3));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * C * x * x);
    },
  },
};

type Fwd = (x: Float32Array, out: Float32Array) => void;
type Bwd = (xOrY: Float32Array, g: Float32Array, slot: Float32Array) => void;
interface Case { js: [Fwd, Bwd]; wasm: [Fwd, Bwd]; fromOutput: boolean; approxForward?: true; approxBackward?: true }

/** Elements outside the "approx" bound for f (values; NaN/∞ must match exactly); −1 when none. */
function firstOutsideF(got: Float32Array, want: Float32Array): number {
  return got.findIndex((v, i) => (Number.isFinite(want[i]) ? !(Math.abs(v - want[i]) <= 4e-6 * Math.abs(want[i]) + 1e-6) : !Object.is(v, want[i])));
}
/** The same for an accumulated slot: slot0 + g·f′ against `want`. */
function firstOutsideSlot(got: Float32Array, want: Float32Array, g: Float32Array, slot0: Float32Array): number {
  return got.findIndex((v, i) => (Number.isFinite(want[i])
    ? !(Math.abs(v - want[i]) <= 2 ** -23 * Math.abs(slot0[i]) + 4e-6 * (Math.abs(want[i] - slot0[i]) + Math.abs(g[i])) + 1e-6)
    : !Object.is(v, want[i])));
}

describe.runIf(wasmSimdSupported())("wasm activations", () => {
  const k = new WasmKernels();
  const cases: Record<string, Case> = {
    sigmoid: { js: [js.sigmoidForward, js.sigmoidBackward], wasm: [(x, o) => k.sigmoidForward(x, o), (y, g, s) => k.sigmoidBackward(y, g, s)], fromOutput: true },
    tanh: { js: [js.tanhForward, js.tanhBackward], wasm: [(x, o) => k.tanhForward(x, o), (y, g, s) => k.tanhBackward(y, g, s)], fromOutput: true, approxForward: true },
    leakyRelu: {
      js: [(x, o) => js.leakyReluForward(x, o, 0.1), (x, g, s) => js.leakyReluBackward(x, g, s, 0.1)],
      wasm: [(x, o) => k.leakyReluForward(x, o, 0.1), (x, g, s) => k.leakyReluBackward(x, g, s, 0.1)], fromOutput: false,
    },
    geluNone: {
      js: [(x, o) => js.geluForward(x, o, "none"), (x, g, s) => js.geluBackward(x, g, s, "none")],
      wasm: [(x, o) => k.geluForward(x, o, "none"), (x, g, s) => k.geluBackward(x, g, s, "none")], fromOutput: false, approxForward: true, approxBackward: true,
    },
    geluTanh: {
      js: [(x, o) => js.geluForward(x, o, "tanh"), (x, g, s) => js.geluBackward(x, g, s, "tanh")],
      wasm: [(x, o) => k.geluForward(x, o, "tanh"), (x, g, s) => k.geluBackward(x, g, s, "tanh")], fromOutput: false, approxForward: true, approxBackward: true,
    },
  };

  describe.each(Object.keys(cases))("%s", (name) => {
    const c = cases[name];
    const kind = `${c.approxForward ? "within the bound of" : "the bits of"} the JS kernel forward, ${c.approxBackward ? "within the bound" : "its bits"} backward`;
    /** Forward and backward on x (from the JS forward's output for sigmoid/tanh), checked as `kind` says. */
    const compare = (x: Float32Array, g: Float32Array, slot0: Float32Array) => {
      const want = new Float32Array(x.length), got = new Float32Array(x.length);
      c.js[0](x, want);
      c.wasm[0](x, got);
      expect(c.approxForward ? firstOutsideF(got, want) : firstDiff(got, want)).toBe(-1);
      const src = c.fromOutput ? want : x;
      const wantSlot = slot0.slice(), gotSlot = slot0.slice();
      c.js[1](src, g, wantSlot);
      c.wasm[1](src, g, gotSlot);
      expect(c.approxBackward ? firstOutsideSlot(gotSlot, wantSlot, g, slot0) : firstDiff(gotSlot, wantSlot)).toBe(-1);
    };

    it.each([1, 2, 3, 4, 5, 7, 8, 9, 1003, 4099])(`forward and backward: ${kind} (n = %i)`, (n) => {
      const x = withSpecials(n + 30, n), g = values(n + 30, n + 1), slot0 = values(n + 30, n + 2);
      slot0[0] = -0;
      compare(x.subarray(0, n), g.subarray(0, n), slot0.subarray(0, n));
      compare(x, g, slot0);
    });

    it(`${kind} on a dense sweep of [−12, 12] and tiny inputs`, () => {
      const n = 200003;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = i % 7 === 0 ? (i - n / 2) * 1e-9 : -12 + (24 * i) / n;
      compare(x, values(n, 5), new Float32Array(n));
    });

    it(`matches a float64 reference ${c.approxForward ? "within the approximation bound" : "within float32 rounding"}`, () => {
      const n = 5001, x = values(n, 17, 3), g = values(n, 18), slot0 = values(n, 19);
      const y = new Float32Array(n);
      c.wasm[0](x, y);
      const slot = slot0.slice();
      c.wasm[1](c.fromOutput ? y : x, g, slot);
      const r = refs[name];
      for (let i = 0; i < n; i++) {
        const fy = r.f(x[i]);
        const fTol = c.approxForward ? 4e-6 * Math.abs(fy) + 1e-6 : 2 ** -24 * Math.abs(fy) + 1e-45;
        expect(Math.abs(y[i] - fy)).toBeLessThanOrEqual(fTol);
        const dg = g[i] * r.d(x[i], c.fromOutput ? y[i] : fy);
        const dTol = c.approxBackward
          ? 2 ** -23 * Math.abs(slot0[i]) + 4e-6 * (Math.abs(dg) + Math.abs(g[i])) + 1e-6
          : 2 ** -23 * (Math.abs(slot0[i]) + Math.abs(dg)) + 1e-45;
        expect(Math.abs(slot[i] - (slot0[i] + dg))).toBeLessThanOrEqual(dTol);
      }
    });

    it("is deterministic, and in place (out = x) gives the same", () => {
      const x = withSpecials(1027, 3), a = new Float32Array(1027), b = new Float32Array(1027);
      c.wasm[0](x, a);
      c.wasm[0](x, b);
      expect(same(a, b)).toBe(true);
      const inPlace = x.slice();
      c.wasm[0](inPlace, inPlace);
      expect(same(inPlace, a)).toBe(true);
    });
  });

  it("rejects mismatched lengths and accepts empty arrays", () => {
    expect(() => k.geluForward(new Float32Array(3), new Float32Array(2), "none")).toThrow(/geluForward/);
    expect(() => k.tanhBackward(new Float32Array(3), new Float32Array(3), new Float32Array(2))).toThrow(/tanhBackward/);
    k.sigmoidForward(new Float32Array(0), new Float32Array(0));
  });
});
