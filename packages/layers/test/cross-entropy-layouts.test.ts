import { describe, expect, it } from "vitest";
import { Rng, Tensor, gradcheck, permute, randn, reshape, softmax, tensor } from "@weft/tensor";
import { crossEntropyLoss } from "../src/index.js";

const rng = new Rng(3);

describe("crossEntropyLoss in PyTorch's other layouts", () => {
  it("[N, C, L] with targets [N, L] equals the rows of the class dim moved last", () => {
    const x = randn([2, 4, 3], rng, { requiresGrad: true });
    const t = tensor(Int32Array.from([0, 3, 1, 2, 2, 0]), [2, 3]);
    const rows = reshape(permute(x.detach(), [0, 2, 1]), [6, 4]);
    const ref = crossEntropyLoss(rows, Array.from(t.data));
    const out = crossEntropyLoss(x, t);
    expect(out.shape).toEqual([]);
    expect(out.item()).toBeCloseTo(ref.item(), 6);
    const none = crossEntropyLoss(x, t, { reduction: "none" });
    expect(none.shape).toEqual([2, 3]);
    const refNone = crossEntropyLoss(rows, Array.from(t.data), { reduction: "none" });
    for (let i = 0; i < 6; i++) expect(none.data[i]).toBeCloseTo(refNone.data[i], 6);
    // the gradient of the mean is (softmax − onehot) / rows, back in [N, C, L] order
    out.backward();
    const p = softmax(rows, 1);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 4; c++) for (let l = 0; l < 3; l++) {
      const r = n * 3 + l;
      const want = (p.data[r * 4 + c] - (t.data[r] === c ? 1 : 0)) / 6;
      expect(x.grad!.data[(n * 4 + c) * 3 + l]).toBeCloseTo(want, 6);
    }
  });

  it("[N, C, H, W] with probability targets of the same shape; gradcheck in float64", () => {
    const x = randn([2, 3, 2, 2], rng, { dtype: "float64", requiresGrad: true });
    const q = softmax(randn([2, 3, 2, 2], rng, { dtype: "float64" }), 1);
    gradcheck((x) => crossEntropyLoss(x, q, { labelSmoothing: 0.1 }), [x]);
    const t = tensor(Int32Array.from([0, 1, 2, 0, 1, 1, 2, 2]), [2, 2, 2]);
    gradcheck((x) => crossEntropyLoss(x, t, { reduction: "sum" }), [x]);
  });

  it("[C] is one sample with one class", () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const out = crossEntropyLoss(x, [2]);
    expect(out.shape).toEqual([]);
    const ref = crossEntropyLoss(tensor([[1, 2, 3]]), [2]);
    expect(out.item()).toBeCloseTo(ref.item(), 6);
    expect(() => crossEntropyLoss(x, [1, 2])).toThrow(/one sample\) the class-index target must be one class/);
  });

  it("a mis-shaped target names both shapes", () => {
    const x = randn([2, 4, 3], rng);
    expect(() => crossEntropyLoss(x, tensor(new Int32Array(6), [3, 2]))).toThrow(/logits of shape \[2, 4, 3\] \(classes on dim 1\) the class-index target must have shape \[2, 3\], got \[3, 2\]/);
    expect(() => crossEntropyLoss(tensor(1) as Tensor, [0])).toThrow(/got a scalar/);
  });
});
