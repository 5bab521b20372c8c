/** Finite-difference gradient checks (float64) of the fused ops behind every module. */
import { describe, expect, it } from "vitest";
import { Rng, Tensor, gradcheck } from "@weft/tensor";
import { BatchNorm1d, LayerNorm, SyncBatchNorm } from "../src/index.js";
import { randomTensor } from "./helpers.js";

/**
 * gradcheck passes float64 copies of its inputs; the module is pointed at them (weight, bias) so
 * that its own forward — the code under test — computes with the tensors being perturbed.
 */
function withParams<M extends { weight: unknown; bias: unknown; forward(x: Tensor): Tensor }>(m: M) {
  return (x: Tensor, w?: Tensor, b?: Tensor): Tensor => {
    if (w) Object.assign(m, { weight: w });
    if (b) Object.assign(m, { bias: b });
    return m.forward(x);
  };
}

const rng = new Rng(7);
const leaf = (shape: number[], mean = 0, std = 1) => randomTensor(rng, shape, { mean, std, requiresGrad: true, float64: true });

describe("gradcheck BatchNorm1d", () => {
  it.each([
    ["train, affine", "train", true],
    ["train, no affine", "train", false],
    ["eval, affine", "eval", true],
    ["eval, no affine", "eval", false],
  ] as const)("%s", (_, mode, affine) => {
    const bn = new BatchNorm1d(3, { affine });
    bn.runningMean!.data.set([0.5, -1, 2]);
    bn.runningVar!.data.set([0.7, 1.5, 3]);
    if (mode === "eval") bn.eval();
    const inputs = [leaf([6, 3], 1, 2)];
    if (affine) inputs.push(leaf([3], 1, 0.5), leaf([3]));
    expect(gradcheck(withParams(bn), inputs)).toBe(true);
  });

  it("train on [N, C, L]", () => {
    const bn = new BatchNorm1d(2);
    expect(gradcheck(withParams(bn), [leaf([3, 2, 4]), leaf([2], 1, 0.5), leaf([2])])).toBe(true);
  });

  it("eval without running statistics (batch statistics)", () => {
    const bn = new BatchNorm1d(3, { trackRunningStats: false }).eval();
    expect(gradcheck(withParams(bn), [leaf([5, 3]), leaf([3], 1, 0.5), leaf([3])])).toBe(true);
  });

  it("SyncBatchNorm in a world of one is BatchNorm1d", () => {
    const bn = new SyncBatchNorm(3);
    expect(gradcheck(withParams(bn), [leaf([4, 3]), leaf([3], 1, 0.5), leaf([3])])).toBe(true);
  });
});

describe("gradcheck LayerNorm", () => {
  it.each([
    ["affine", true],
    ["no affine", false],
  ] as const)("%s", (_, elementwiseAffine) => {
    const ln = new LayerNorm(5, { elementwiseAffine });
    const inputs = [leaf([4, 5], 0.5, 2)];
    if (elementwiseAffine) inputs.push(leaf([5], 1, 0.5), leaf([5]));
    expect(gradcheck(withParams(ln), inputs)).toBe(true);
  });

  it("over two trailing dims of a 3-D input", () => {
    const ln = new LayerNorm([2, 3]);
    expect(gradcheck(withParams(ln), [leaf([4, 2, 3]), leaf([2, 3], 1, 0.5), leaf([2, 3])])).toBe(true);
  });

  it("x alone (parameters not requiring grad get nothing)", () => {
    const ln = new LayerNorm(4);
    expect(gradcheck(withParams(ln), [leaf([3, 4])])).toBe(true);
  });
});
