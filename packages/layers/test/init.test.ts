/**
 * torch.nn.init's formulas: gains (calculate_gain's table), fans, and the variance of the
 * samples on a 256×512 tensor (fanIn 512, fanOut 256).
 *
 * Statistical tolerances, said out loud: with n = 131,072 samples the relative standard error
 * of a sample variance is √(2/n) ≈ 0.39% for a normal and √(0.8/n) ≈ 0.25% for a uniform, so a
 * 3% tolerance is more than 7σ; the mean is checked within 6 standard errors √(var/n). The
 * generators are seeded, so these tests are deterministic anyway — the tolerance only says how
 * far a correct implementation could be.
 */
import { describe, expect, it } from "vitest";
import { Rng, Tensor, manualSeed } from "@weft/tensor";
import { init } from "../src/index.js";
import { extent, moments, sameBits } from "./helpers.js";

const { calculateGain, fans, xavierUniform, xavierNormal, kaimingUniform, kaimingNormal, uniform, zeros, ones } = init;

const weight = (): Tensor => new Tensor(new Float32Array(256 * 512), [256, 512]);
const FAN_IN = 512;
const FAN_OUT = 256;
const N = 256 * 512;

describe("calculateGain equals PyTorch's table", () => {
  it.each([
    ["linear", undefined, 1],
    ["sigmoid", undefined, 1],
    ["tanh", undefined, 5 / 3],
    ["relu", undefined, Math.SQRT2],
    ["leaky_relu", undefined, Math.sqrt(2 / (1 + 0.01 ** 2))], // PyTorch's default slope 0.01
    ["leaky_relu", 0, Math.SQRT2],
    ["leaky_relu", 0.2, Math.sqrt(2 / (1 + 0.04))],
    ["leaky_relu", Math.sqrt(5), Math.sqrt(1 / 3)], // nn.Linear's default init
    ["selu", undefined, 3 / 4],
  ] as const)("%s (param %s) → %s", (nonlinearity, param, gain) => {
    expect(calculateGain(nonlinearity, param)).toBeCloseTo(gain, 14);
  });

  it("rejects an unknown nonlinearity", () => {
    expect(() => calculateGain("swish" as never)).toThrow(/unknown nonlinearity "swish"/);
  });
});

describe("fans", () => {
  it("weight [out, in]: fanIn = in, fanOut = out", () => {
    expect(fans(weight())).toEqual([FAN_IN, FAN_OUT]);
  });
  it("more dimensions multiply in the receptive field", () => {
    expect(fans(new Tensor(new Float32Array(4 * 3 * 5), [4, 3, 5]))).toEqual([15, 20]);
  });
  it("a 1-D tensor has no fans", () => {
    expect(() => xavierUniform(new Tensor(new Float32Array(3), [3]))).toThrow(/at least 2 dimensions, got shape \[3\]/);
  });
});

/** [name, initialise, expected variance, bound of a uniform (or null for a normal)] */
const CASES: [string, (t: Tensor, rng: Rng) => Tensor, number, number | null][] = [
  ["xavierUniform", (t, r) => xavierUniform(t, 1, r), 2 / (FAN_IN + FAN_OUT), Math.sqrt(6 / (FAN_IN + FAN_OUT))],
  ["xavierUniform gain 5/3", (t, r) => xavierUniform(t, 5 / 3, r), (25 / 9) * 2 / (FAN_IN + FAN_OUT), (5 / 3) * Math.sqrt(6 / (FAN_IN + FAN_OUT))],
  ["xavierNormal", (t, r) => xavierNormal(t, 1, r), 2 / (FAN_IN + FAN_OUT), null],
  ["xavierNormal gain √2", (t, r) => xavierNormal(t, Math.SQRT2, r), 4 / (FAN_IN + FAN_OUT), null],
  ["kaimingUniform defaults (a 0, fanIn, leaky_relu → gain √2)", (t, r) => kaimingUniform(t, {}, r), 2 / FAN_IN, Math.sqrt(6 / FAN_IN)],
  ["kaimingUniform relu fanOut", (t, r) => kaimingUniform(t, { mode: "fanOut", nonlinearity: "relu" }, r), 2 / FAN_OUT, Math.sqrt(6 / FAN_OUT)],
  ["kaimingUniform a √5 (nn.Linear's)", (t, r) => kaimingUniform(t, { a: Math.sqrt(5) }, r), 1 / (3 * FAN_IN), 1 / Math.sqrt(FAN_IN)],
  ["kaimingUniform tanh", (t, r) => kaimingUniform(t, { nonlinearity: "tanh" }, r), (25 / 9) / FAN_IN, (5 / 3) * Math.sqrt(3 / FAN_IN)],
  ["kaimingNormal defaults", (t, r) => kaimingNormal(t, {}, r), 2 / FAN_IN, null],
  ["kaimingNormal leaky_relu a 0.2 fanOut", (t, r) => kaimingNormal(t, { a: 0.2, mode: "fanOut" }, r), 2 / (1 + 0.04) / FAN_OUT, null],
  ["kaimingNormal selu", (t, r) => kaimingNormal(t, { nonlinearity: "selu" }, r), (9 / 16) / FAN_IN, null],
  ["kaimingNormal linear", (t, r) => kaimingNormal(t, { nonlinearity: "linear" }, r), 1 / FAN_IN, null],
];

describe.each(CASES)("%s", (_, initialise, variance, bound) => {
  const t = initialise(weight(), new Rng(17));

  it("sample variance within 3% of the formula, mean within 6 standard errors of 0", () => {
    const m = moments(t.data);
    expect(Math.abs(m.variance / variance - 1)).toBeLessThan(0.03);
    expect(Math.abs(m.mean)).toBeLessThan(6 * Math.sqrt(variance / N));
  });

  if (bound !== null) {
    it("uniform: every sample within [−bound, bound), the extremes reached", () => {
      const [min, max] = extent(t.data);
      expect(min).toBeGreaterThanOrEqual(Math.fround(-bound));
      expect(max).toBeLessThan(bound);
      expect(min).toBeLessThan(-0.999 * bound);
      expect(max).toBeGreaterThan(0.999 * bound);
    });
  } else {
    it("normal: the fraction within one std is ≈ 68.27% (±1%)", () => {
      const std = Math.sqrt(variance);
      const inside = t.data.filter((v) => Math.abs(v) < std).length / N;
      expect(Math.abs(inside - 0.6827)).toBeLessThan(0.01);
    });
  }

  it("is seeded: same seed → same values, another seed → other values", () => {
    expect(sameBits(initialise(weight(), new Rng(17)).data, t.data)).toBe(true);
    expect(sameBits(initialise(weight(), new Rng(18)).data, t.data)).toBe(false);
  });

  it("fills float64 tensors too", () => {
    const t64 = initialise(new Tensor(new Float64Array(256 * 512), [256, 512]), new Rng(3));
    expect(Math.abs(moments(t64.data).variance / variance - 1)).toBeLessThan(0.03);
  });
});

describe("the default generator", () => {
  it("manualSeed makes init without a generator reproducible", () => {
    manualSeed(123);
    const a = xavierNormal(weight()).data;
    const b = xavierNormal(weight()).data;
    manualSeed(123);
    expect(sameBits(xavierNormal(weight()).data, a)).toBe(true);
    expect(sameBits(xavierNormal(weight()).data, b)).toBe(true);
    expect(sameBits(a, b)).toBe(false); // the stream advances
  });
});

describe("uniform, zeros, ones", () => {
  it("uniform(low, high) is in range with variance (high − low)²/12", () => {
    const t = uniform(weight(), -3, 1, new Rng(5));
    const [min, max] = extent(t.data);
    expect(min).toBeGreaterThanOrEqual(-3);
    expect(max).toBeLessThan(1);
    const m = moments(t.data);
    expect(Math.abs(m.variance / (16 / 12) - 1)).toBeLessThan(0.03);
    expect(Math.abs(m.mean + 1)).toBeLessThan(6 * Math.sqrt(16 / 12 / N));
  });

  it("zeros and ones fill in place and return the tensor", () => {
    const t = new Tensor(Float32Array.from([1, 2, 3]), [3]);
    const data = t.data;
    expect(zeros(t)).toBe(t);
    expect(Array.from(t.data)).toEqual([0, 0, 0]);
    expect(ones(t)).toBe(t);
    expect(Array.from(t.data)).toEqual([1, 1, 1]);
    expect(t.data).toBe(data);
  });
});
