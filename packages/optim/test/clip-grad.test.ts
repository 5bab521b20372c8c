import { Tensor } from "@weft/tensor";
import { describe, expect, test } from "vitest";
import { clipGradNorm, clipGradNormFlat, clipGradValue, combineGradNormPartials, gradNormPartial, type ParamLike } from "../src/index.js";
import { param, randomArray, rng, sameBits } from "./helpers.js";

// Expected values by hand from torch.nn.utils.clip_grad_norm_ (torch/nn/utils/clip_grad.py):
// total = ‖(‖g₁‖ₚ, …, ‖gₖ‖ₚ)‖ₚ, coef = clamp(maxNorm / (total + 1e-6), max=1), g ← g·coef.
const withGrad = (g: number[]) => {
  const p = param(g.map(() => 0));
  p.grad.data.set(g);
  return p;
};

describe("clipGradNorm", () => {
  test("L2: grads (3, 4) and (12) have norm 13; maxNorm 6.5 scales each by 6.5/(13 + 1e-6)", () => {
    const a = withGrad([3, 4]);
    const b = withGrad([12]);
    expect(clipGradNorm([a, b], 6.5)).toBe(13);
    const coef = 6.5 / (13 + 1e-6);
    expect(Array.from(a.grad.data)).toEqual([Math.fround(3 * coef), Math.fround(4 * coef)]);
    expect(Array.from(b.grad.data)).toEqual([Math.fround(12 * coef)]);
    // The result has (very nearly) the norm asked for.
    expect(Math.hypot(...Array.from(a.grad.data), ...Array.from(b.grad.data))).toBeCloseTo(6.5, 5);
  });

  test("under the limit the gradients keep their bits; at exactly the norm they shrink by 13/(13 + 1e-6), as in PyTorch", () => {
    const a = withGrad([3, 4, 12]);
    const before = a.grad.data.slice();
    expect(clipGradNorm(a, 20)).toBe(13);
    expect(sameBits(a.grad.data, before)).toBe(true);
    expect(clipGradNorm(a, 13)).toBe(13);
    expect(a.grad.data[2]).toBe(Math.fround(12 * (13 / (13 + 1e-6))));
    expect(a.grad.data[2]).toBeLessThan(12);
  });

  test("L1 and a general p: (3, −4), (12) → 19 and (27 + 64 + 1728)^(1/3)", () => {
    expect(clipGradNorm([withGrad([3, -4]), withGrad([12])], Infinity, { normType: 1 })).toBe(19);
    expect(clipGradNorm([withGrad([3, -4]), withGrad([12])], Infinity, { normType: 3 })).toBeCloseTo(1819 ** (1 / 3), 12);
  });

  test("normType Infinity: the largest |g| over all gradients, here 13 of −13", () => {
    const a = withGrad([3, -13]);
    const b = withGrad([12]);
    expect(clipGradNorm([a, b], 1, { normType: Infinity })).toBe(13);
    const coef = 1 / (13 + 1e-6);
    expect(Array.from(a.grad.data)).toEqual([Math.fround(3 * coef), Math.fround(-13 * coef)]);
  });

  test("accepts gradients directly, a single one, a generator, and weft Tensors; skips null grads", () => {
    expect(clipGradNorm(Float32Array.of(3, 4), 100)).toBe(5);
    expect(clipGradNorm([Float32Array.of(3), Float64Array.of(4)], 100)).toBe(5);
    function* gen() {
      yield withGrad([6]);
      yield { data: new Float32Array(2), grad: null } as ParamLike;
      yield withGrad([8]);
    }
    expect(clipGradNorm(gen(), 100)).toBe(10);
    const t = new Tensor(new Float32Array(2), [2], true);
    t.grad = new Tensor(Float32Array.of(30, 40), [2]);
    const untouched = new Tensor(new Float32Array(1), [1], true); // grad null
    expect(clipGradNorm([t, untouched], 5)).toBe(50);
    expect(t.grad.data[0]).toBeCloseTo(3, 5);
  });

  test("no gradients at all: norm 0 and nothing to do", () => {
    expect(clipGradNorm([], 1)).toBe(0);
    expect(clipGradNorm([{ data: new Float32Array(1), grad: null }], 1)).toBe(0);
  });

  test("float64 accumulation: 2²⁴ + 1 ones has the exact norm √(2²⁴ + 1) (float32 sums stall at 2²⁴)", () => {
    const g = new Float32Array(2 ** 24 + 1).fill(1);
    expect(clipGradNorm(g, Infinity)).toBe(Math.sqrt(2 ** 24 + 1));
  });

  test("big gradients do not overflow: (3e30, 4e30) has norm 5e30", () => {
    const g = Float32Array.of(3e30, 4e30);
    expect(clipGradNorm(g, 1) / 5e30).toBeCloseTo(1, 6);
    expect(Math.hypot(...Array.from(g))).toBeCloseTo(1, 5);
  });

  test("a non-finite norm: errorIfNonfinite throws (gradients untouched); otherwise scaled as PyTorch does (NaN → NaN, ∞ → 0)", () => {
    const a = withGrad([1, Number.NaN]);
    expect(() => clipGradNorm(a, 1, { errorIfNonfinite: true })).toThrow("clipGradNorm: the total norm of order 2 for gradients is non-finite (NaN)");
    expect(a.grad.data[0]).toBe(1);
    expect(Number.isNaN(clipGradNorm(a, 1))).toBe(true);
    expect(Number.isNaN(a.grad.data[0])).toBe(true);
    const b = withGrad([1, Number.POSITIVE_INFINITY]);
    expect(() => clipGradNorm(b, 1, { normType: Infinity, errorIfNonfinite: true })).toThrow("of order Infinity");
    expect(clipGradNorm(b, 1)).toBe(Infinity);
    expect(b.grad.data[0]).toBe(0);
  });

  test.each([
    [() => clipGradNorm(Float32Array.of(1), -1), "clipGradNorm: maxNorm must be >= 0, got -1"],
    [() => clipGradNorm(Float32Array.of(1), undefined as never), "clipGradNorm: maxNorm is required"],
    [() => clipGradNorm(Float32Array.of(1), 1, { normType: 0 }), "clipGradNorm: normType must be > 0 or Infinity, got 0"],
    [() => clipGradNorm(Float32Array.of(1), 1, { norm_type: 1 } as object), 'clipGradNorm: unknown option "norm_type"'],
    [() => clipGradNorm([1, 2] as never, 1), "clipGradNorm: expected gradients (Float32Array), parameters ({ data, grad }) or a list of them; item 0 is neither"],
    [() => clipGradNormFlat([1] as never, 1), "clipGradNormFlat: grads must be a Float32Array (or Float64Array)"],
    [() => clipGradValue(Float32Array.of(1), Number.NaN), "clipGradValue: clipValue must be a finite number, got NaN"],
  ])("%#: a clear error", (call, message) => {
    expect(call).toThrow(message);
  });
});

describe("clipGradNormFlat and the shard partials", () => {
  test("the flat form equals the list form over the same values, bit for bit", () => {
    const next = rng(7);
    const sizes = [5, 1, 12, 7];
    const parts = sizes.map((n) => randomArray(next, n));
    const flat = new Float32Array(25);
    let o = 0;
    for (const p of parts) {
      flat.set(p, o);
      o += p.length;
    }
    for (const normType of [2, 1, 3, Infinity]) {
      const list = parts.map((p) => p.slice());
      const f = flat.slice();
      const a = clipGradNorm(list, 0.5, { normType });
      const b = clipGradNormFlat(f, 0.5, { normType });
      expect(b, `normType ${normType}`).toBeCloseTo(a, 12);
      const joined = new Float32Array(25);
      let k = 0;
      for (const p of list) {
        joined.set(p, k);
        k += p.length;
      }
      expect(joined).toEqual(f);
    }
  });

  test("shards: partials summed (or maxed) in rank order give the whole norm; totalNorm scales each shard alike", () => {
    const g = Float32Array.of(3, 4, 12, 0, -84); // ‖g‖₂ = √(9 + 16 + 144 + 7056) = 85
    const shards = [g.subarray(0, 2), g.subarray(2, 4), g.subarray(4)];
    expect(shards.map((s) => gradNormPartial(s))).toEqual([25, 144, 7056]);
    const total = combineGradNormPartials(shards.map((s) => gradNormPartial(s)));
    expect(total).toBe(85);
    expect(combineGradNormPartials(shards.map((s) => gradNormPartial(s, Infinity)), Infinity)).toBe(84);
    const whole = g.slice();
    clipGradNormFlat(whole, 17);
    for (const s of shards) expect(clipGradNormFlat(s, 17, { totalNorm: total })).toBe(85);
    expect(sameBits(g, whole)).toBe(true);
  });
});

describe("clipGradValue", () => {
  test("clamps each element to [−c, c] in place; NaN stays NaN; null grads skipped", () => {
    const a = withGrad([-3, -0.5, 0, 0.25, 2, Number.NaN]);
    clipGradValue([a, { data: new Float32Array(1), grad: null }], 1);
    expect(Array.from(a.grad.data)).toEqual([-1, -0.5, 0, 0.25, 1, Number.NaN]);
    const g = Float32Array.of(5, -5);
    clipGradValue(g, 0);
    expect(Array.from(g)).toEqual([0, -0]);
  });
});
