import { describe, expect, it } from "vitest";
import { Rng, Tensor, randn } from "@weft/tensor";
import { AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, Dropout2d, Flatten, MaxPool2d, Sequential, Unflatten } from "../src/index.js";

// The convolutional layers' construction (PyTorch's shapes, keys and init bounds), options and
// errors; their numerics are the golden conv.json module cases (test/golden) and the ops' gradchecks.

describe("Conv1d / Conv2d", () => {
  it("has PyTorch's state-dict keys, layouts and init bounds (±1/√fanIn)", () => {
    const conv = new Conv2d(4, 6, [3, 2], { groups: 2, rng: new Rng(1) });
    const state = conv.stateDict();
    expect(Object.keys(state)).toEqual(["weight", "bias"]);
    expect(state.weight.shape).toEqual([6, 2, 3, 2]);
    expect(state.bias.shape).toEqual([6]);
    const bound = 1 / Math.sqrt(2 * 3 * 2);
    for (const t of [conv.weight, conv.bias!]) {
      const v = Array.from(t.data);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(bound * 0.5);
    }
    const c1 = new Conv1d(3, 5, 4, { bias: false, rng: new Rng(2) });
    expect(Object.keys(c1.stateDict())).toEqual(["weight"]);
    expect(c1.weight.shape).toEqual([5, 3, 4]);
  });

  it("forwards with its options", () => {
    const rng = new Rng(3);
    expect(new Conv2d(1, 8, 3, { padding: 1, rng }).forward(randn([2, 1, 28, 28], rng)).shape).toEqual([2, 8, 28, 28]);
    expect(new Conv2d(3, 4, 3, { stride: 2, rng }).forward(randn([2, 3, 9, 9], rng)).shape).toEqual([2, 4, 4, 4]);
    expect(new Conv1d(2, 4, 5, { padding: "same", dilation: 2, rng }).forward(randn([3, 2, 11], rng)).shape).toEqual([3, 4, 11]);
    expect(new Conv1d(2, 4, [3], { stride: [2], rng }).forward(randn([3, 2, 11], rng)).shape).toEqual([3, 4, 5]);
  });

  it("refuses bad options", () => {
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/groups = 2 must divide inChannels \(3\)/);
    expect(() => new Conv2d(0, 4, 3)).toThrow(/inChannels must be a positive integer/);
    expect(() => new Conv2d(3, 4, [3])).toThrow(/kernelSize must be a positive integer or a list of 2/);
    expect(() => new Conv1d(3, 4, 3, { stride: [1, 1] })).toThrow(/Conv1d: stride must be a number or a list of 1/);
  });
});

describe("pooling, Flatten", () => {
  it("pool and flatten as PyTorch's modules, without parameters", () => {
    const rng = new Rng(4);
    const net = new Sequential(new MaxPool2d(2), new AvgPool2d(3, { stride: 1, padding: 1 }), new AdaptiveAvgPool2d([2, null]), new Flatten());
    expect(net.stateDict()).toEqual({});
    expect(net.forward(randn([2, 3, 8, 6], rng)).shape).toEqual([2, 3 * 2 * 3]);
    expect(new Flatten(0, 1).forward(randn([2, 3, 4], rng)).shape).toEqual([6, 4]);
    const flat = randn([2, 784], rng);
    const images = new Unflatten(1, [1, 28, 28]).forward(flat);
    expect(images.shape).toEqual([2, 1, 28, 28]);
    expect(images.data).toBe(flat.data); // a view
    expect(() => new Unflatten(1, [])).toThrow(/unflattenedSize must be a non-empty list/);
  });
});

describe("Dropout2d", () => {
  it("zeroes whole channels with probability p and scales the rest; identity in eval", () => {
    const drop = new Dropout2d(0.5, { rng: new Rng(5) });
    const x = new Tensor(new Float32Array(64 * 4 * 9).fill(1), [64, 4, 3, 3], true);
    const y = drop.forward(x);
    let dropped = 0;
    for (let p = 0; p < 64 * 4; p++) {
      const plane = Array.from(y.data.subarray(p * 9, p * 9 + 9));
      expect(new Set(plane).size).toBe(1); // all 0 or all 2
      expect([0, 2]).toContain(plane[0]);
      if (plane[0] === 0) dropped++;
    }
    expect(dropped).toBeGreaterThan(90);
    expect(dropped).toBeLessThan(166);
    y.backward(new Float32Array(y.size).fill(1));
    expect(Array.from(x.grad!.data)).toEqual(Array.from(y.data));
    drop.eval();
    expect(drop.forward(x)).toBe(x);
    expect(() => drop.forward(new Tensor(new Float32Array(4), [2, 2]))).toThrow(/Dropout2d: expected input \[N, C, H, W\]/);
  });
});
