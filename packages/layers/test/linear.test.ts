/** Linear: shapes, PyTorch's default init (U(−1/√in, 1/√in) for weight and bias), seeding. */
import { describe, expect, it } from "vitest";
import { Rng, Tensor, manualSeed, tensor } from "@weft/tensor";
import { Linear } from "../src/index.js";
import { extent, moments } from "./helpers.js";

describe("Linear", () => {
  it("weight [out, in], bias [out]; forward x [N, in] → [N, out] = x·Wᵀ + b", () => {
    const l = new Linear(3, 2, { rng: new Rng(0) });
    expect(l.weight.shape).toEqual([2, 3]);
    expect(l.bias!.shape).toEqual([2]);
    l.weight.data.set([1, 2, 3, 4, 5, 6]);
    l.bias!.data.set([0.5, -1]);
    const y = l.forward(tensor([[1, 0, -1], [2, 1, 0]]));
    expect(y.shape).toEqual([2, 2]);
    expect(Array.from(y.data)).toEqual([1 - 3 + 0.5, 4 - 6 - 1, 2 + 2 + 0.5, 8 + 5 - 1]);
  });

  it("bias: false registers no bias (state dict has only weight)", () => {
    const l = new Linear(3, 2, { bias: false });
    expect(l.bias).toBeNull();
    expect(Object.keys(l.stateDict())).toEqual(["weight"]);
  });

  it.each([[0, 2], [2.5, 2], [3, -1], [3, NaN]])("rejects Linear(%s, %s)", (i, o) => {
    expect(() => new Linear(i, o)).toThrow(/must be a positive integer/);
  });

  it("rejects an input with the wrong number of features, naming the shapes", () => {
    expect(() => new Linear(3, 2).forward(tensor([[1, 2]]))).toThrow(/input has 2 features \(shape \[1, 2\]\) but the weight \[2, 3\] expects 3/);
  });

  describe("default init (PyTorch's: kaiming_uniform(a = √5) = U(−1/√in, 1/√in); bias U(−1/√in, 1/√in))", () => {
    const inF = 256;
    const bound = 1 / Math.sqrt(inF);
    const l = new Linear(inF, 512, { rng: new Rng(42) });

    it("every weight within ±1/√in, the extremes reached", () => {
      const [min, max] = extent(l.weight.data);
      expect(max).toBeLessThan(bound);
      expect(min).toBeGreaterThanOrEqual(-bound);
      expect(max).toBeGreaterThan(0.999 * bound);
      expect(min).toBeLessThan(-0.999 * bound);
    });

    it("roughly uniform: 10 equal bins each hold 10% ± 0.5% (≈ 6σ at n = 131,072), variance bound²/3 ± 3%", () => {
      const w = l.weight.data;
      const bins = new Array(10).fill(0);
      for (const v of w) bins[Math.min(9, Math.floor(((v + bound) / (2 * bound)) * 10))]++;
      for (const b of bins) expect(Math.abs(b / w.length - 0.1)).toBeLessThan(0.005);
      expect(Math.abs(moments(w).variance / (bound * bound / 3) - 1)).toBeLessThan(0.03);
    });

    it("bias within ±1/√in and roughly uniform (variance bound²/3 ± 5% over 20,000 values)", () => {
      const lb = new Linear(4, 20_000, { rng: new Rng(1) });
      const b = lb.bias!.data;
      const [min, max] = extent(b);
      expect(max).toBeLessThan(0.5);
      expect(min).toBeGreaterThanOrEqual(-0.5);
      expect(Math.abs(moments(b).variance / (0.25 / 3) - 1)).toBeLessThan(0.05);
      expect(Math.abs(moments(b).mean)).toBeLessThan(0.02);
    });

    it("with a small inFeatures the bound is 1/√in too (not 1/√out)", () => {
      const s = new Linear(4, 1000, { rng: new Rng(2) });
      const [min, max] = extent(s.weight.data);
      expect(Math.max(-min, max)).toBeLessThanOrEqual(0.5);
      expect(Math.max(-min, max)).toBeGreaterThan(0.49);
    });
  });

  it("seeded by rng: same seed → same weights and bias; another seed → others", () => {
    const a = new Linear(5, 4, { rng: new Rng(9) });
    const b = new Linear(5, 4, { rng: new Rng(9) });
    const c = new Linear(5, 4, { rng: new Rng(10) });
    expect(b.weight.data).toEqual(a.weight.data);
    expect(b.bias!.data).toEqual(a.bias!.data);
    expect(c.weight.data).not.toEqual(a.weight.data);
  });

  it("weight then bias come from the same stream, in that order", () => {
    const rng = new Rng(9);
    const l = new Linear(5, 4, { rng });
    const expected = new Float32Array(24);
    new Rng(9).fillUniform(expected, -1 / Math.sqrt(5), 1 / Math.sqrt(5));
    expect(Array.from(l.weight.data)).toEqual(Array.from(expected.subarray(0, 20)));
    expect(Array.from(l.bias!.data)).toEqual(Array.from(expected.subarray(20)));
  });

  it("manualSeed makes the default (no rng given) reproducible, as torch.manual_seed", () => {
    manualSeed(7);
    const a1 = new Linear(6, 3);
    const a2 = new Linear(6, 3);
    manualSeed(7);
    const b1 = new Linear(6, 3);
    const b2 = new Linear(6, 3);
    expect(b1.weight.data).toEqual(a1.weight.data);
    expect(b2.bias!.data).toEqual(a2.bias!.data);
    expect(a2.weight.data).not.toEqual(a1.weight.data);
  });

  it("parameters are float32 Parameters that require grad", () => {
    const l = new Linear(2, 2);
    expect(l.weight.dtype).toBe("float32");
    expect(l.weight.requiresGrad).toBe(true);
    expect(l.weight).toBeInstanceOf(Tensor);
  });
});
