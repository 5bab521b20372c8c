/**
 * Losses beyond gradcheck: values by hand, reductions and shapes, clear errors, stability for
 * extreme logits, label smoothing. PyTorch's formulas are quoted where a value is computed.
 */
import { describe, expect, it } from "vitest";
import { Tensor, gradcheck, tensor } from "@weft/tensor";
import { bceLoss, bceWithLogitsLoss, crossEntropyLoss, mseLoss, type Reduction } from "../src/index.js";
import { expectClose } from "./helpers.js";

const f64 = (rows: number[][]): Tensor => tensor(rows, undefined, { dtype: "float64", requiresGrad: true });
const allFinite = (a: ArrayLike<number>): boolean => Array.from(a).every(Number.isFinite);

describe("values and reductions", () => {
  it("mseLoss: mean/sum/none of (x − y)², none keeps the input's shape", () => {
    const x = tensor([[1, 2], [3, 4]]);
    const y = tensor([[0, 2], [5, 1]]);
    expect(mseLoss(x, y).item()).toBe((1 + 0 + 4 + 9) / 4);
    expect(mseLoss(x, y, { reduction: "sum" }).item()).toBe(14);
    const none = mseLoss(x, y, { reduction: "none" });
    expect(none.shape).toEqual([2, 2]);
    expect(Array.from(none.data)).toEqual([1, 0, 4, 9]);
    expect(mseLoss(x, y).shape).toEqual([]);
  });

  it("mseLoss gradient: 2(x − y)/n", () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    mseLoss(x, tensor([0, 0, 0])).backward();
    expectClose("dx", x.grad!.data, [2 / 3, 4 / 3, 2]);
  });

  it("bceLoss: −(y·log p + (1 − y)·log(1 − p))", () => {
    const l = bceLoss(tensor([0.9, 0.2], undefined, { dtype: "float64" }), tensor([1, 0]), { reduction: "none" });
    expectClose("bce", l.data, [-Math.log(0.9), -Math.log(0.8)], 1e-12);
  });

  it("bceLoss at p = 0 and p = 1: log clamped at −100 and gradient finite, as PyTorch", () => {
    const p = tensor([0, 1, 0, 1], undefined, { requiresGrad: true });
    const l = bceLoss(p, tensor([1, 0, 0, 1]), { reduction: "sum" });
    expect(l.item()).toBe(200);
    l.backward();
    expect(allFinite(p.grad!.data)).toBe(true);
  });

  it("bceWithLogitsLoss equals bceLoss(sigmoid(z)) for moderate logits", () => {
    const z = [-2, -0.5, 0, 1.5, 3];
    const y = [0, 1, 0.5, 1, 0];
    const a = bceWithLogitsLoss(tensor(z, undefined, { dtype: "float64" }), tensor(y), { reduction: "none" });
    const b = bceLoss(tensor(z.map((v) => 1 / (1 + Math.exp(-v))), undefined, { dtype: "float64" }), tensor(y), { reduction: "none" });
    expectClose("bceWithLogits", a.data, b.data, 1e-12);
  });

  it("crossEntropyLoss with indices: log-sum-exp − x[target], mean over rows", () => {
    const x = tensor([[1, 2, 3], [0, 0, 0]], undefined, { dtype: "float64" });
    const rows = [Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3, Math.log(3)];
    expectClose("none", crossEntropyLoss(x, [2, 0], { reduction: "none" }).data, rows, 1e-12);
    expect(crossEntropyLoss(x, [2, 0], { reduction: "none" }).shape).toEqual([2]);
    expectClose("mean", crossEntropyLoss(x, [2, 0]).data, [(rows[0] + rows[1]) / 2], 1e-12);
    expectClose("sum", crossEntropyLoss(x, [2, 0], { reduction: "sum" }).data, [rows[0] + rows[1]], 1e-12);
  });

  it("crossEntropyLoss gradient is softmax − one-hot (divided by N for the mean)", () => {
    const x = f64([[1, 2, 3]]);
    crossEntropyLoss(x, [0]).backward();
    const e = [Math.E, Math.E ** 2, Math.E ** 3];
    const s = e[0] + e[1] + e[2];
    expectClose("dx", x.grad!.data, [e[0] / s - 1, e[1] / s, e[2] / s], 1e-12);
  });

  it("crossEntropyLoss with one-hot probabilities equals the index form", () => {
    const x = tensor([[0.3, -1, 2], [1, 1, 0]], undefined, { dtype: "float64" });
    const onehot = tensor([[0, 0, 1], [1, 0, 0]], undefined, { dtype: "float64" });
    expectClose("probs vs indices", crossEntropyLoss(x, onehot).data, crossEntropyLoss(x, [2, 0]).data, 1e-12);
  });

  it("crossEntropyLoss, probabilities with labelSmoothing, matches a hand computation", () => {
    // q' = (1 − ε)·q + ε/C; loss = −Σ_c q'_c·log softmax(x)_c; dloss/dx = softmax(x) − q'.
    // x = [1, 2, 3], q = [0.2, 0.3, 0.5], ε = 0.1, C = 3:
    //   q' = [0.21333…, 0.30333…, 0.48333…], log-sum-exp = 3.40760596444…, loss = 1.13760596444…
    const x = f64([[1, 2, 3]]);
    const q = tensor([[0.2, 0.3, 0.5]], undefined, { dtype: "float64" });
    const loss = crossEntropyLoss(x, q, { labelSmoothing: 0.1 });
    const lse = Math.log(Math.E + Math.E ** 2 + Math.E ** 3);
    const qs = [0.2, 0.3, 0.5].map((v) => 0.9 * v + 0.1 / 3);
    const hand = -qs.reduce((s, qc, c) => s + qc * (c + 1 - lse), 0);
    expect(hand).toBeCloseTo(1.1376059644443801, 14);
    expectClose("loss", loss.data, [1.1376059644443801], 1e-12);
    loss.backward();
    expectClose("dx", x.grad!.data, [-0.12330276016295287, -0.05860486227853565, 0.18190762244148867], 1e-10, 1e-14);
  });

  it("crossEntropyLoss, indices with labelSmoothing: (1 − ε)·nll + ε·mean_c(−log p_c), as PyTorch", () => {
    const x = tensor([[0.5, -1, 2, 0]], undefined, { dtype: "float64" });
    expectClose("loss", crossEntropyLoss(x, [1], { labelSmoothing: 0.2 }).data, [3.0673495823898227], 1e-12);
  });

  it.each([
    ["float32", "float32"],
    ["float64", "float64"],
  ] as const)("a %s input gives a %s loss", (dtype, expected) => {
    const x = tensor([[1, 2]], undefined, { dtype });
    expect(crossEntropyLoss(x, [1]).dtype).toBe(expected);
    expect(mseLoss(x, tensor([[0, 0]])).dtype).toBe(expected);
    expect(bceWithLogitsLoss(x, tensor([[0, 1]])).dtype).toBe(expected);
  });
});

describe("clear errors", () => {
  const x = tensor([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]);

  it.each([
    ["mseLoss", () => mseLoss(x, tensor([1, 2, 3])), /mseLoss: target shape \[3\] must equal the input shape \[2, 3\]/],
    ["mseLoss (no broadcasting, unlike PyTorch's warning)", () => mseLoss(tensor([[1], [2]]), tensor([1, 2])), /target shape \[2\] must equal the input shape \[2, 1\]/],
    ["bceLoss", () => bceLoss(x, tensor([[1, 0, 1]])), /bceLoss: target shape \[1, 3\] must equal the input shape \[2, 3\]/],
    ["bceWithLogitsLoss", () => bceWithLogitsLoss(x, tensor([1, 0])), /bceWithLogitsLoss: target shape \[2\]/],
    ["crossEntropyLoss, indices of the wrong length", () => crossEntropyLoss(x, [0, 1, 2]), /class-index target must have shape \[2\].*got \[3\]/],
    ["crossEntropyLoss, probabilities of the wrong shape", () => crossEntropyLoss(x, tensor([[0.5, 0.5], [0.5, 0.5]])), /target shape \[2, 2\] must equal the input shape \[2, 3\]/],
    ["crossEntropyLoss, a [N, 1] index column", () => crossEntropyLoss(x, tensor([[0], [1]])), /target shape \[2, 1\] must equal the input shape \[2, 3\]/],
    ["crossEntropyLoss, a scalar input", () => crossEntropyLoss(tensor(1), [0]), /input must be logits of shape \[N, C\], \[C\] or \[N, C, d1, …\], got a scalar/],
  ])("wrong target shape: %s", (_, call, message) => {
    expect(call).toThrow(message);
  });

  it.each([
    [[0, 3], /target 1 is class 3, out of range for 3 classes \(expected an integer in \[0, 2\]\)/],
    [[-1, 0], /target 0 is class -1, out of range for 3 classes/],
    [[0, 1.5], /target 1 is class 1.5/],
    [[NaN, 1], /target 0 is class NaN/],
  ])("crossEntropyLoss: class index %j is an error naming the row and class", (target, message) => {
    expect(() => crossEntropyLoss(x, target)).toThrow(message);
    expect(() => crossEntropyLoss(x, Float32Array.from(target) as unknown as number[])).toThrow(message);
    expect(() => crossEntropyLoss(x, tensor(target))).toThrow(message);
  });

  it.each([1.2, -0.1, NaN])("bceLoss: input %s outside [0, 1] is an error pointing to bceWithLogitsLoss", (p) => {
    expect(() => bceLoss(tensor([0.5, p]), tensor([1, 0]))).toThrow(/bceLoss: input element 1 is .*probabilities in \[0, 1\] \(use bceWithLogitsLoss for logits\)/);
  });

  it.each(["avg", "batchmean"])("an unknown reduction %j is an error", (reduction) => {
    const r = reduction as Reduction;
    expect(() => mseLoss(x, x, { reduction: r })).toThrow(/mseLoss: reduction must be "mean", "sum" or "none"/);
    expect(() => bceLoss(x, x, { reduction: r })).toThrow(/bceLoss: reduction/);
    expect(() => bceWithLogitsLoss(x, x, { reduction: r })).toThrow(/bceWithLogitsLoss: reduction/);
    expect(() => crossEntropyLoss(x, [0, 1], { reduction: r })).toThrow(/crossEntropyLoss: reduction/);
  });

  it.each([-0.1, 1.5, NaN])("crossEntropyLoss: labelSmoothing %s is an error", (eps) => {
    expect(() => crossEntropyLoss(x, [0, 1], { labelSmoothing: eps })).toThrow(/labelSmoothing must be in \[0, 1\]/);
  });
});

describe("numerically stable for extreme logits (±1e4): finite values and gradients", () => {
  it("bceWithLogitsLoss: exact losses and σ(z) − y gradients", () => {
    const z = tensor([1e4, -1e4, 1e4, -1e4], undefined, { requiresGrad: true });
    const loss = bceWithLogitsLoss(z, tensor([0, 1, 1, 0]), { reduction: "none" });
    expect(Array.from(loss.data)).toEqual([1e4, 1e4, 0, 0]);
    const sum = bceWithLogitsLoss(z, tensor([0, 1, 1, 0]), { reduction: "sum" });
    expect(sum.item()).toBe(2e4);
    sum.backward();
    expect(Array.from(z.grad!.data)).toEqual([1, -1, 0, 0]);
  });

  it("crossEntropyLoss with indices: exact loss, softmax − one-hot gradient", () => {
    const x = tensor([[1e4, -1e4, 0], [-1e4, 1e4, 1e4]], undefined, { requiresGrad: true });
    const loss = crossEntropyLoss(x, [1, 0], { reduction: "none" });
    expect(allFinite(loss.data)).toBe(true);
    expect(loss.data[0]).toBe(2e4);
    expect(loss.data[1]).toBeCloseTo(2e4 + Math.LN2, 2);
    crossEntropyLoss(x, [1, 0], { reduction: "sum" }).backward();
    expectClose("dx", x.grad!.data, [1, -1, 0, -1, 0.5, 0.5]);
  });

  it.each([
    ["indices", [0, 2], {}],
    ["indices + labelSmoothing", [0, 2], { labelSmoothing: 0.1 }],
    ["probabilities", tensor([[0.5, 0.5, 0], [0, 0.25, 0.75]]), {}],
    ["probabilities + labelSmoothing", tensor([[0.5, 0.5, 0], [0, 0.25, 0.75]]), { labelSmoothing: 0.3 }],
  ] as const)("crossEntropyLoss (%s): finite everywhere, in float32 and float64", (_, target, options) => {
    for (const dtype of ["float32", "float64"] as const) {
      const x = tensor([[1e4, -1e4, 0], [-1e4, -1e4, 1e4]], undefined, { dtype, requiresGrad: true });
      const loss = crossEntropyLoss(x, target as never, options);
      expect(Number.isFinite(loss.item())).toBe(true);
      loss.backward();
      expect(allFinite(x.grad!.data)).toBe(true);
    }
  });

  it("bceLoss on sigmoid outputs that saturate to exactly 0 and 1 stays finite", () => {
    const p = tensor([0, 1], undefined, { requiresGrad: true });
    const loss = bceLoss(p, tensor([0.5, 0.5]));
    expect(Number.isFinite(loss.item())).toBe(true);
    loss.backward();
    expect(allFinite(p.grad!.data)).toBe(true);
  });
});

describe("losses differentiate with respect to the input only", () => {
  it("a target that requires grad gets no gradient (PyTorch would give mseLoss's target one)", () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = tensor([0, 0], undefined, { requiresGrad: true });
    mseLoss(x, y).backward();
    expect(x.grad).not.toBeNull();
    expect(y.grad).toBeNull();
  });
});

describe("crossEntropyLoss with probability targets whose rows do not sum to 1", () => {
  // PyTorch accepts such soft targets (it does not normalise them): loss = −Σ_c q_c·log softmax(x)_c,
  // whose gradient is softmax(x)·Σ_c q_c − q — not softmax(x) − q, which holds only when Σq = 1
  // (an earlier version used p − q unconditionally; this test caught it).
  it("unnormalised probability target: gradient = softmax·Σq − q", () => {
    const q = tensor([[0.5, 0.5, 0.5], [0.1, 0.2, 0.3]], undefined, { dtype: "float64" }); // rows sum to 1.5 and 0.6
    const x = f64([[0.5, -1, 2], [1, 0, -1]]);
    expect(gradcheck((xx) => crossEntropyLoss(xx, q, { reduction: "sum" }), [x])).toBe(true);
  });
});
