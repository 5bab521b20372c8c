/** BatchNorm1d behaviour beyond the golden cases: running statistics, modes, layouts, errors. */
import { describe, expect, it } from "vitest";
import { Rng, Tensor, noGrad } from "@weft/tensor";
import { BatchNorm1d } from "../src/index.js";
import { expectClose, randomTensor } from "./helpers.js";

const rng = new Rng(11);
const tight = { rtol: 1e-5, atol: 1e-6 };

/** Per-feature mean and unbiased variance of x: [N, C], in float64. */
function columnStats(x: Tensor): { mean: number[]; unbiased: number[] } {
  const [n, c] = x.shape;
  const mean = Array.from({ length: c }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x.data[i * c + j];
    return s / n;
  });
  const unbiased = mean.map((m, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (x.data[i * c + j] - m) ** 2;
    return s / (n - 1);
  });
  return { mean, unbiased };
}

describe("BatchNorm1d", () => {
  it("registers PyTorch's state-dict keys in PyTorch's order, with PyTorch's initial values", () => {
    const bn = new BatchNorm1d(3);
    const sd = bn.stateDict();
    expect(Object.keys(sd)).toEqual(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    expect(Array.from(sd.weight.data)).toEqual([1, 1, 1]);
    expect(Array.from(sd.bias.data)).toEqual([0, 0, 0]);
    expect(Array.from(sd.running_mean.data)).toEqual([0, 0, 0]);
    expect(Array.from(sd.running_var.data)).toEqual([1, 1, 1]);
    expect(sd.num_batches_tracked.shape).toEqual([]);
    expect(Array.from(sd.num_batches_tracked.data)).toEqual([0]);
    expect(bn.parameters().length).toBe(2);
    expect(Object.keys(new BatchNorm1d(3, { affine: false, trackRunningStats: false }).stateDict())).toEqual([]);
  });

  it("normalises each feature to mean 0, variance 1 in training, and tracks the statistics", () => {
    const bn = new BatchNorm1d(4, { momentum: 0.3 });
    const x = randomTensor(rng, [16, 4], { mean: 3, std: 2 });
    const y = bn.forward(x);
    const ys = columnStats(y);
    for (let c = 0; c < 4; c++) {
      expect(Math.abs(ys.mean[c])).toBeLessThan(1e-6);
      expect(ys.unbiased[c] * (15 / 16)).toBeCloseTo(1, 4);
    }
    const xs = columnStats(x);
    expectClose("running_mean", bn.runningMean!.data, xs.mean.map((m) => 0.3 * m), tight);
    expectClose("running_var", bn.runningVar!.data, xs.unbiased.map((v) => 0.7 + 0.3 * v), tight);
    expect(bn.numBatchesTracked!.data[0]).toBe(1);
  });

  it("momentum null is the cumulative moving average", () => {
    const bn = new BatchNorm1d(2, { momentum: null });
    const batches = [0, 1, 2].map(() => randomTensor(rng, [5, 2], { mean: 1, std: 3 }));
    for (const b of batches) bn.forward(b);
    const stats = batches.map(columnStats);
    const avg = (f: (s: ReturnType<typeof columnStats>) => number[]) => [0, 1].map((c) => stats.reduce((a, s) => a + f(s)[c], 0) / 3);
    expect(bn.numBatchesTracked!.data[0]).toBe(3);
    expectClose("running_mean", bn.runningMean!.data, avg((s) => s.mean), tight);
    // The first batch has factor 1/1, so the initial running values drop out: a plain average.
    expectClose("running_var", bn.runningVar!.data, avg((s) => s.unbiased), tight);
  });

  it("eval uses the running statistics and leaves them alone; gradients still flow", () => {
    const bn = new BatchNorm1d(2);
    bn.runningMean!.data.set([1, -2]);
    bn.runningVar!.data.set([4, 0.25]);
    bn.weight!.data.set([2, 3]);
    bn.bias!.data.set([0.5, -0.5]);
    bn.eval();
    const x = new Tensor(new Float32Array([3, -2, 1, -1]), [2, 2], true);
    const y = bn.forward(x);
    const s0 = 2 / Math.sqrt(4 + 1e-5);
    const s1 = 3 / Math.sqrt(0.25 + 1e-5);
    expectClose("y", y.data, [2 * s0 + 0.5, 0 * s1 - 0.5, 0 * s0 + 0.5, 1 * s1 - 0.5], tight);
    expect(Array.from(bn.runningMean!.data)).toEqual([1, -2]);
    expect(bn.numBatchesTracked!.data[0]).toBe(0);
    y.backward([1, 1, 1, 1]);
    expectClose("dx", x.grad!.data, [s0, s1, s0, s1], tight);
    expectClose("dbias", bn.bias!.grad!.data, [2, 2], tight);
  });

  it("a single row is fine in eval with running statistics", () => {
    const bn = new BatchNorm1d(3).eval();
    expect(bn.forward(new Tensor(new Float32Array([1, 2, 3]), [1, 3])).shape).toEqual([1, 3]);
  });

  it("without running statistics, eval normalises with the batch statistics", () => {
    const bn = new BatchNorm1d(3, { trackRunningStats: false });
    const x = randomTensor(rng, [6, 3]);
    const train = bn.forward(x);
    const evalOut = bn.eval().forward(x);
    expect(Array.from(evalOut.data)).toEqual(Array.from(train.data));
    expect(bn.runningMean).toBeNull();
  });

  it("[N, C, L] takes statistics over N and L, like [N·L, C]", () => {
    const [n, c, l] = [3, 2, 4];
    const x = randomTensor(rng, [n, c, l], { mean: 1, std: 2 });
    const flat = new Float32Array(n * l * c); // [N·L, C]
    for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) for (let k = 0; k < l; k++) flat[(i * l + k) * c + j] = x.data[(i * c + j) * l + k];
    const a = new BatchNorm1d(c);
    const b = new BatchNorm1d(c);
    const y3 = a.forward(x);
    const y2 = b.forward(new Tensor(flat, [n * l, c]));
    for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) for (let k = 0; k < l; k++) {
      expect(y3.data[(i * c + j) * l + k]).toBeCloseTo(y2.data[(i * l + k) * c + j], 6);
    }
    expectClose("running_var", a.runningVar!.data, b.runningVar!.data, tight);
  });

  it("computes in the input's precision: float64 in, float64 out", () => {
    const y = new BatchNorm1d(2).forward(randomTensor(rng, [4, 2], { float64: true }));
    expect(y.dtype).toBe("float64");
  });

  it("follows its parameters into flat (shared) storage", () => {
    const bn = new BatchNorm1d(2);
    const flat = bn.flatten();
    flat.params.set([2, 3, 1, -1]); // weight, bias
    const x = new Tensor(new Float32Array([0, 0, 2, 4]), [2, 2]);
    const y = bn.forward(x);
    expectClose("y", y.data, [-2 + 1, -3 - 1, 2 + 1, 3 - 1], { rtol: 1e-4, atol: 1e-4 });
    y.backward([1, 0, 0, 1]);
    expect(bn.weight!.grad!.data.buffer).toBe(flat.grads.buffer);
    expectClose("grads", flat.grads, [-1, 1, 1, 1], { rtol: 1e-4, atol: 1e-4 });
  });

  it("records no graph under noGrad", () => {
    const y = noGrad(() => new BatchNorm1d(2).forward(randomTensor(rng, [3, 2], { requiresGrad: true })));
    expect(y.requiresGrad).toBe(false);
  });

  describe("errors", () => {
    it("a single value per channel in training, with PyTorch's message", () => {
      const bn = new BatchNorm1d(4);
      expect(() => bn.forward(new Tensor(new Float32Array(4), [1, 4]))).toThrow(
        "Expected more than 1 value per channel when training, got input size [1, 4]",
      );
      expect(bn.numBatchesTracked!.data[0]).toBe(0);
      expect(() => bn.forward(new Tensor(new Float32Array(4), [1, 4, 1]))).toThrow("got input size [1, 4, 1]");
    });

    it("a wrong input width, naming the expected shape", () => {
      const bn = new BatchNorm1d(4);
      expect(() => bn.forward(new Tensor(new Float32Array(15), [5, 3]))).toThrow("BatchNorm1d(4): expected input of shape [N, 4] (or [N, 4, L]): dimension 1 must be numFeatures = 4, got [5, 3]");
    });

    it("a 1-D or 4-D input", () => {
      const bn = new BatchNorm1d(4);
      expect(() => bn.forward(new Tensor(new Float32Array(4), [4]))).toThrow("expected 2D or 3D input");
      expect(() => bn.forward(new Tensor(new Float32Array(16), [2, 4, 1, 2]))).toThrow("got 4D input of shape [2, 4, 1, 2]");
    });

    it("bad options", () => {
      expect(() => new BatchNorm1d(0)).toThrow("numFeatures must be a positive integer");
      expect(() => new BatchNorm1d(2.5)).toThrow("numFeatures must be a positive integer");
      expect(() => new BatchNorm1d(2, { eps: -1 })).toThrow("eps must be");
      expect(() => new BatchNorm1d(2, { momentum: Number.NaN })).toThrow("momentum must be");
    });
  });
});
