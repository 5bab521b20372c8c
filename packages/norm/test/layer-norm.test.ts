/** LayerNorm behaviour beyond the golden cases: shapes, options, errors. */
import { describe, expect, it } from "vitest";
import { Rng, Tensor } from "@weft/tensor";
import { LayerNorm } from "../src/index.js";
import { expectClose, randomTensor } from "./helpers.js";

const rng = new Rng(5);

describe("LayerNorm", () => {
  it("has weight (ones) and bias (zeros) of normalizedShape and no buffers", () => {
    const ln = new LayerNorm([2, 3]);
    const sd = ln.stateDict();
    expect(Object.keys(sd)).toEqual(["weight", "bias"]);
    expect(sd.weight.shape).toEqual([2, 3]);
    expect(Array.from(sd.weight.data)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(sd.bias.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(ln.normalizedShape).toEqual([2, 3]);
    expect(new LayerNorm(4).normalizedShape).toEqual([4]);
    expect(Object.keys(new LayerNorm(4, { elementwiseAffine: false }).stateDict())).toEqual([]);
    expect(Object.keys(new LayerNorm(4, { bias: false }).stateDict())).toEqual(["weight"]);
  });

  it("normalises every sample over its trailing dims, the same in train and eval", () => {
    const ln = new LayerNorm([2, 3]);
    const x = randomTensor(rng, [4, 2, 3], { mean: 5, std: 3 });
    const y = ln.forward(x);
    for (let r = 0; r < 4; r++) {
      const row = Array.from(y.data.subarray(r * 6, r * 6 + 6));
      const m = row.reduce((a, b) => a + b, 0) / 6;
      const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 6;
      expect(Math.abs(m)).toBeLessThan(1e-6);
      expect(v).toBeCloseTo(1, 4);
    }
    expect(Array.from(ln.eval().forward(x).data)).toEqual(Array.from(y.data));
  });

  it("applies weight and bias per element", () => {
    const ln = new LayerNorm(2);
    ln.weight!.data.set([2, 3]);
    ln.bias!.data.set([1, -1]);
    const y = ln.forward(new Tensor(new Float32Array([0, 2]), [1, 2]));
    const s = 1 / Math.sqrt(1 + 1e-5);
    expectClose("y", y.data, [-2 * s + 1, 3 * s - 1], { rtol: 1e-6, atol: 1e-6 });
  });

  it("keeps float64 in float64", () => {
    expect(new LayerNorm(3).forward(randomTensor(rng, [2, 3], { float64: true })).dtype).toBe("float64");
  });

  it("errors on a trailing shape that is not normalizedShape, and on bad options", () => {
    expect(() => new LayerNorm([2, 3]).forward(new Tensor(new Float32Array(12), [2, 3, 2]))).toThrow(
      "LayerNorm: expected input of shape [*, 2, 3] (trailing dims = normalizedShape), got [2, 3, 2]",
    );
    expect(() => new LayerNorm(4).forward(new Tensor(new Float32Array(3), [3]))).toThrow("got [3]");
    expect(() => new LayerNorm([])).toThrow("normalizedShape must be");
    expect(() => new LayerNorm(0)).toThrow("normalizedShape must be");
  });
});
