/**
 * Dropout: inverted (survivors × 1/(1 − p)), seeded, identity in eval. Statistical tolerances:
 * over n = 200,000 elements the dropped fraction has standard error √(p(1−p)/n) ≤ 0.0011, so
 * 0.01 is > 9σ; the mean of dropout(ones) has standard error √(p/((1−p)n)) and is checked within
 * 6 of them. The generators are seeded, so the tests are deterministic anyway.
 */
import { describe, expect, it } from "vitest";
import { Rng, Tensor, manualSeed, randn, tensor } from "@weft/tensor";
import { Dropout, Linear, Sequential } from "../src/index.js";
import { moments, sameBits } from "./helpers.js";

const N = 200_000;
const ones = (): Tensor => new Tensor(new Float32Array(N).fill(1), [N / 1000, 1000]);

describe("Dropout", () => {
  it("is the identity in eval mode (the same tensor, no copy)", () => {
    const d = new Dropout(0.5).eval();
    const x = randn([4, 5], new Rng(1));
    expect(d.forward(x)).toBe(x);
  });

  it("eval inside a model: the output equals the model without dropout", () => {
    const rng = new Rng(4);
    const l = new Linear(3, 2, { rng });
    const m = new Sequential(new Dropout(0.9), l).eval();
    const x = tensor([[1, 2, 3]]);
    expect(Array.from(m.forward(x).data)).toEqual(Array.from(l.forward(x).data));
  });

  it.each([0.1, 0.3, 0.5, 0.8])("p = %s: zeroes ≈ p of the elements, scales survivors by 1/(1 − p), keeps the expected value", (p) => {
    const d = new Dropout(p, { rng: new Rng(3) });
    const x = randn([200, 1000], new Rng(2));
    const y = d.forward(x);
    let zeros = 0;
    let wrongScale = 0;
    for (let i = 0; i < N; i++) {
      if (y.data[i] === 0) zeros++;
      else if (y.data[i] !== Math.fround(x.data[i] * (1 / (1 - p)))) wrongScale++;
    }
    expect(wrongScale).toBe(0);
    expect(Math.abs(zeros / N - p)).toBeLessThan(0.01);
    const stdError = Math.sqrt(p / ((1 - p) * N));
    expect(Math.abs(moments(d.forward(ones()).data).mean - 1)).toBeLessThan(6 * stdError);
  });

  it("the mask is drawn from its generator: element i survives iff rng.uniform() ≥ p", () => {
    const d = new Dropout(0.4, { rng: new Rng(8) });
    const y = d.forward(new Tensor(new Float32Array(50).fill(1), [50]));
    const ref = new Rng(8);
    for (let i = 0; i < 50; i++) expect(y.data[i] !== 0).toBe(ref.uniform() >= 0.4);
  });

  it("same seed → same mask; the next call draws a new mask", () => {
    const a = new Dropout(0.5, { rng: new Rng(11) });
    const b = new Dropout(0.5, { rng: new Rng(11) });
    const first = a.forward(ones()).data;
    expect(sameBits(b.forward(ones()).data, first)).toBe(true);
    expect(sameBits(a.forward(ones()).data, first)).toBe(false);
  });

  it("without a generator it draws from the default one (manualSeed before building makes it reproducible)", () => {
    manualSeed(5);
    const a = new Dropout(0.5).forward(ones()).data;
    manualSeed(5);
    expect(sameBits(new Dropout(0.5).forward(ones()).data, a)).toBe(true);
  });

  it("backward: survivors get g/(1 − p), dropped elements 0 (the same mask as forward)", () => {
    const d = new Dropout(0.25, { rng: new Rng(6) });
    const x = randn([10, 10], new Rng(1), { requiresGrad: true });
    const y = d.forward(x);
    const g = randn([10, 10], new Rng(2));
    y.backward(g);
    for (let i = 0; i < 100; i++) {
      expect(x.grad!.data[i]).toBe(y.data[i] === 0 ? 0 : Math.fround(g.data[i] / 0.75));
    }
  });

  it("p = 0 is the identity, in training too", () => {
    const x = randn([3, 3], new Rng(1));
    expect(new Dropout(0).forward(x)).toBe(x);
  });

  it("p = 1 zeroes everything, with a zero (finite) gradient", () => {
    const x = randn([3, 4], new Rng(1), { requiresGrad: true });
    const y = new Dropout(1).forward(x);
    expect(Array.from(y.data).every((v) => v === 0)).toBe(true);
    y.backward(new Float32Array(12).fill(1));
    expect(Array.from(x.grad!.data).every((v) => v === 0)).toBe(true);
  });

  it("keeps the input's dtype (float64 for gradcheck)", () => {
    const x = randn([4], new Rng(1), { dtype: "float64" });
    expect(new Dropout(0.5).forward(x).dtype).toBe("float64");
    expect(new Dropout(0.5).forward(randn([4], new Rng(1))).dtype).toBe("float32");
  });

  it("keeps the shape", () => {
    expect(new Dropout(0.5).forward(randn([2, 3, 4], new Rng(1))).shape).toEqual([2, 3, 4]);
  });

  it.each([-0.1, 1.5, NaN])("rejects p = %s", (p) => {
    expect(() => new Dropout(p)).toThrow(/p must be in \[0, 1\]/);
  });
});
