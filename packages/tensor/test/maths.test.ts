import { describe, expect, it } from "vitest";
import * as T from "../src/index.js";
import {
  Rng, Tensor, argmax, argmin, clamp, cumsum, gradcheck, logsumexp, max, maxWithIndices, maximum, mean, min, minWithIndices,
  minimum, randn, std, sum, tensor, variance,
} from "../src/index.js";

const rng = new Rng(5);
const r = (shape: number[], requiresGrad = true): Tensor => randn(shape, rng, { dtype: "float64", requiresGrad });
const f64 = (data: number[], shape?: number[], requiresGrad = false): Tensor => tensor(Float64Array.from(data), shape ?? [data.length], { requiresGrad });
const int = (data: number[], shape?: number[]): Tensor<Int32Array> => tensor(Int32Array.from(data), shape ?? [data.length]);
const close = (got: ArrayLike<number>, want: number[], digits = 12): void => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
};

describe("maximum / minimum", () => {
  it("values with broadcasting, a number operand, the method form", () => {
    const a = tensor([[1, 5], [3, 2]]);
    expect(maximum(a, tensor([2, 4])).toArray()).toEqual([[2, 5], [3, 4]]);
    expect(minimum(a, tensor([[2], [0]])).toArray()).toEqual([[1, 2], [0, 0]]);
    expect(a.maximum(2.5).toArray()).toEqual([[2.5, 5], [3, 2.5]]);
    expect(minimum(0, a).toArray()).toEqual([[0, 0], [0, 0]]);
  });

  it("the gradient goes to the winner; a tie gives each half, as torch", () => {
    const a = f64([1, 5, 3], [3], true);
    const b = f64([2, 4, 3], [3], true);
    sum(maximum(a, b)).backward();
    expect(Array.from(a.grad!.data)).toEqual([0, 1, 0.5]);
    expect(Array.from(b.grad!.data)).toEqual([1, 0, 0.5]);
    a.zeroGrad(); b.zeroGrad();
    sum(minimum(a, b)).backward();
    expect(Array.from(a.grad!.data)).toEqual([1, 0, 0.5]);
    expect(Array.from(b.grad!.data)).toEqual([0, 1, 0.5]);
  });

  it("a float32 element equal to float32(number) is a tie (the number takes the tensor's dtype)", () => {
    const x = tensor([0.1], [1], { requiresGrad: true });
    sum(maximum(x, 0.1)).backward();
    expect(x.grad!.data[0]).toBe(0.5);
  });

  it("gradcheck with broadcasting both ways", () => {
    gradcheck((a, b) => maximum(a, b), [r([3, 4]), r([4])]);
    gradcheck((a, b) => minimum(a, b), [r([3, 1]), r([1, 4])]);
    gradcheck((a) => maximum(a, 0.2), [r([5])]);
  });

  it("NaN propagates; int32 operands stay int32; int32 with a fraction promotes to float32", () => {
    expect(Number.isNaN(maximum(tensor([NaN]), tensor([1])).data[0])).toBe(true);
    expect(Number.isNaN(minimum(tensor([1]), tensor([NaN])).data[0])).toBe(true);
    const m = maximum(int([1, 7]), int([3, 2]));
    expect(m.dtype).toBe("int32");
    expect(m.toArray()).toEqual([3, 7]);
    const p = maximum(int([1, 7]), 2.5);
    expect(p.dtype).toBe("float32");
    expect(p.toArray()).toEqual([2.5, 7]);
    expect(() => maximum(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/maximum: shapes \[2\] and \[3\] cannot be broadcast/);
  });
});

describe("clamp", () => {
  it("both bounds, one bound, null for none, min > max gives max (torch)", () => {
    const x = tensor([-2, -0.5, 0, 0.75, 3]);
    expect(clamp(x, -0.5, 0.75).toArray()).toEqual([-0.5, -0.5, 0, 0.75, 0.75]);
    expect(clamp(x, 0).toArray()).toEqual([0, 0, 0, 0.75, 3]);
    expect(clamp(x, null, 0).toArray()).toEqual([-2, -0.5, 0, 0, 0]);
    expect(x.clamp(undefined, -1).toArray()).toEqual([-2, -1, -1, -1, -1]);
    expect(clamp(x, 2, 1).toArray()).toEqual([1, 1, 1, 1, 1]);
  });

  it("gradient 1 inside [min, max] including the bounds, 0 outside", () => {
    const x = f64([-2, -0.5, 0, 0.75, 3], [5], true);
    sum(clamp(x, -0.5, 0.75)).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 1, 1, 1, 0]);
    gradcheck((a) => clamp(a, -0.3, 0.4), [f64([-1, -0.2, 0.1, 0.35, 2], [5], true)]);
    gradcheck((a) => clamp(a, null, 0), [r([2, 3])]);
  });

  it("NaN stays NaN; int32 keeps its dtype with integer bounds; errors", () => {
    expect(Number.isNaN(clamp(tensor([NaN]), 0, 1).data[0])).toBe(true);
    const c = clamp(int([-5, 3, 9]), 0, 4);
    expect(c.dtype).toBe("int32");
    expect(c.toArray()).toEqual([0, 3, 4]);
    expect(clamp(int([0, 3]), 0.5).toArray()).toEqual([0.5, 3]);
    expect(() => clamp(tensor([1]))).toThrow(/clamp: give at least one of min and max/);
    expect(() => clamp(tensor([1]), null, null)).toThrow(/at least one of min and max/);
  });
});

describe("variance / std", () => {
  // rows [1, 2, 3, 4] and [2, 2, 2, 10]: means 2.5 and 4, squared deviations 5 and 48.
  const x = () => f64([1, 2, 3, 4, 2, 2, 2, 10], [2, 4], true);

  it("over an axis: correction 1 (default) and 0, keepdim, negative axis, method forms, `var` export", () => {
    close(variance(x(), 1).data, [5 / 3, 16]);
    close(variance(x(), -1, { correction: 0 }).data, [5 / 4, 12]);
    const k = variance(x(), 0, { keepdim: true });
    expect(k.shape).toEqual([1, 4]);
    close(k.data, [0.5, 0, 0.5, 18]);
    close(std(x(), 1).data, [Math.sqrt(5 / 3), 4]);
    close(x().std(1, { correction: 0 }).data, [Math.sqrt(1.25), Math.sqrt(12)]);
    close(x().var(1).data, [5 / 3, 16]);
    expect(T.var).toBe(variance);
  });

  it("over all elements when axis is omitted (scalar, or all ones with keepdim)", () => {
    // all 8: mean 3.25, Σ(x − mean)² = 57.5
    const v = variance(x());
    expect(v.shape).toEqual([]);
    close(v.data, [57.5 / 7]);
    expect(variance(x(), undefined, { keepdim: true, correction: 0 }).shape).toEqual([1, 1]);
    close(std(x(), undefined, { correction: 0 }).data, [Math.sqrt(57.5 / 8)]);
  });

  it("correction ≥ n divides by max(0, n − correction) = 0: inf (or NaN when all equal), as torch", () => {
    expect(variance(f64([1, 2]), 0, { correction: 2 }).data[0]).toBe(Infinity);
    expect(variance(f64([1, 2]), 0, { correction: 3 }).data[0]).toBe(Infinity);
    expect(Number.isNaN(variance(f64([7]), 0).data[0])).toBe(true);
    close(variance(f64([1, 2, 3, 4]), 0, { correction: 1.5 }).data, [5 / 2.5]);
  });

  it("stable for a large offset (two passes, not E[x²] − E[x]²)", () => {
    const big = tensor([1e8 + 1, 1e8 + 2, 1e8 + 3], [3], { dtype: "float64" });
    close(variance(big, 0).data, [1], 6);
  });

  it("gradcheck: var and std over an axis, all elements, keepdim, both corrections", () => {
    gradcheck((a) => variance(a, 1), [r([3, 5])]);
    gradcheck((a) => variance(a, 0, { correction: 0, keepdim: true }), [r([3, 2, 2])]);
    gradcheck((a) => variance(a), [r([2, 3])]);
    gradcheck((a) => std(a, -1), [r([3, 4])]);
    gradcheck((a) => std(a, 1, { correction: 0, keepdim: true }), [r([2, 3, 2])]);
    gradcheck((a) => std(a), [r([4, 2])]);
  });

  it("std's gradient is 0 where std is 0 (as torch), not NaN", () => {
    const c = f64([3, 3, 3], [3], true);
    std(c, 0).backward();
    expect(Array.from(c.grad!.data)).toEqual([0, 0, 0]);
  });

  it("errors: int input, bad axis, bad correction", () => {
    expect(() => variance(int([1, 2]) as unknown as Tensor)).toThrow(/var: argument "input" must be a float tensor/);
    expect(() => std(x(), 2)).toThrow(/std: axis 2 is out of range/);
    expect(() => variance(x(), 1, { correction: -1 })).toThrow(/var: correction must be a finite number ≥ 0/);
  });
});

describe("logsumexp", () => {
  it("values, keepdim, negative axis", () => {
    const x = f64([0, Math.log(3), 1, 1], [2, 2]);
    close(logsumexp(x, 1).data, [Math.log(4), 1 + Math.log(2)]);
    const k = x.logsumexp(0, true);
    expect(k.shape).toEqual([1, 2]);
    close(k.data, [Math.log(1 + Math.E), Math.log(3 + Math.E)]);
    close(logsumexp(x, -1).data, [Math.log(4), 1 + Math.log(2)]);
  });

  it("does not overflow at scale 50 or 1e4 (float32 too); rows of −inf give −inf, a +inf gives +inf", () => {
    close(logsumexp(tensor([50, 50, -50], [3], { dtype: "float64" }), 0).data, [50 + Math.log(2 + Math.exp(-100))]);
    const y = logsumexp(tensor([1e4, 1e4 - 1, -1e4]), 0);
    expect(y.data[0]).toBeCloseTo(1e4 + Math.log(1 + Math.exp(-1)), 2);
    const inf = logsumexp(tensor([-Infinity, -Infinity, Infinity, 1], [2, 2]), 1);
    expect(Array.from(inf.data)).toEqual([-Infinity, Infinity]);
  });

  it("gradcheck (including large inputs), the gradient is softmax", () => {
    gradcheck((a) => logsumexp(a, 1), [r([3, 5])]);
    gradcheck((a) => logsumexp(a, 0, true), [r([3, 2, 2])]);
    const big = r([2, 4]);
    for (let i = 0; i < big.size; i++) big.data[i] *= 50;
    gradcheck((a) => logsumexp(a, -1), [big]);
    const x = f64([0, Math.log(3)], [2], true);
    logsumexp(x, 0).backward();
    close(x.grad!.data, [0.25, 0.75]);
  });

  it("errors: int input, no axis", () => {
    expect(() => logsumexp(int([1]) as unknown as Tensor, 0)).toThrow(/logsumexp: argument "input" must be a float tensor/);
    expect(() => logsumexp(tensor([1]), undefined as unknown as number)).toThrow(/logsumexp: give an axis/);
  });
});

describe("cumsum", () => {
  it("along each axis (negative too), int32 stays int32", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(cumsum(x, 1).toArray()).toEqual([[1, 3, 6], [4, 9, 15]]);
    expect(cumsum(x, 0).toArray()).toEqual([[1, 2, 3], [5, 7, 9]]);
    expect(x.cumsum(-1).toArray()).toEqual([[1, 3, 6], [4, 9, 15]]);
    const i = cumsum(int([1, 1, 1, 1]), 0);
    expect(i.dtype).toBe("int32");
    expect(i.toArray()).toEqual([1, 2, 3, 4]);
  });

  it("gradient is the reversed running sum; gradcheck", () => {
    const x = f64([1, 2, 3], [3], true);
    sum(cumsum(x, 0)).backward();
    expect(Array.from(x.grad!.data)).toEqual([3, 2, 1]);
    gradcheck((a) => cumsum(a, 1), [r([2, 4, 3])]);
    gradcheck((a) => cumsum(a, 0), [r([3, 2])]);
    expect(() => cumsum(x, 1)).toThrow(/cumsum: axis 1 is out of range/);
  });
});

describe("max / min / argmin / maxWithIndices / minWithIndices", () => {
  const x = () => f64([3, 1, 4, 1, 5, 9, 2, 6], [2, 4], true);

  it("values over an axis and over all elements, keepdim", () => {
    expect(min(x(), 1).toArray()).toEqual([1, 2]);
    expect(min(x(), 0, true).toArray()).toEqual([[3, 1, 2, 1]]);
    expect(min(x()).toArray()).toBe(1);
    expect(x().min(-1).toArray()).toEqual([1, 2]);
    expect(max(x(), 1).toArray()).toEqual([4, 9]);
    expect(max(x()).item()).toBe(9);
  });

  it("argmin / argmax: first extreme, flat without an axis; int32 input allowed", () => {
    expect(Array.from(argmin(x(), 1))).toEqual([1, 2]);
    expect(Array.from(argmin(x()))).toEqual([1]);
    expect(Array.from(argmax(x(), 0))).toEqual([1, 1, 0, 1]);
    expect(Array.from(argmax(int([2, 7, 7, 1]), 0))).toEqual([1]);
    expect(Array.from(argmin(int([2, 0, 0], [1, 3]), 1))).toEqual([1]);
  });

  it("the (values, indices) pairs of torch.max/min(x, dim), keepdim", () => {
    const { values, indices } = maxWithIndices(x(), 1);
    expect(values.toArray()).toEqual([4, 9]);
    expect(indices.dtype).toBe("int32");
    expect(indices.toArray()).toEqual([2, 1]);
    const m = minWithIndices(x(), 0, true);
    expect(m.values.toArray()).toEqual([[3, 1, 2, 1]]);
    expect(m.indices.shape).toEqual([1, 4]);
    expect(m.indices.toArray()).toEqual([[0, 0, 1, 0]]);
    expect(() => maxWithIndices(x(), undefined as unknown as number)).toThrow(/maxWithIndices: give an axis/);
  });

  it("the gradient goes to the element the index names (the first extreme)", () => {
    const t = x();
    sum(minWithIndices(t, 1).values).backward();
    expect(Array.from(t.grad!.data)).toEqual([0, 1, 0, 0, 0, 0, 1, 0]);
    gradcheck((a) => min(a, 0), [r([4, 3])]);
    gradcheck((a) => min(a, -1, true), [r([2, 3, 4])]);
    gradcheck((a) => min(a), [r([5])]);
    gradcheck((a) => maxWithIndices(a, 1).values, [r([3, 4])]);
  });

  it("NaN wins (the first NaN), along an axis and over all elements, as torch", () => {
    const n = f64([1, NaN, 3, NaN, 0, 2], [2, 3]);
    const mx = maxWithIndices(n, 1);
    expect(Number.isNaN(mx.values.data[0]) && Number.isNaN(mx.values.data[1])).toBe(true);
    expect(mx.indices.toArray()).toEqual([1, 0]);
    expect(Array.from(argmin(n, 1))).toEqual([1, 0]);
    expect(Number.isNaN(min(n).item())).toBe(true);
  });

  it("sum, mean, max and min refuse int32 input; empty and bad axis errors", () => {
    for (const [name, op] of [["sum", sum], ["mean", mean], ["max", max], ["min", min]] as const) {
      expect(() => op(int([1, 2]) as unknown as Tensor)).toThrow(new RegExp(`${name}: argument "input" must be a float tensor`));
    }
    expect(() => min(tensor([]))).toThrow(/min: cannot reduce an empty tensor/);
    expect(() => min(x(), 2)).toThrow(/min: axis 2 is out of range/);
  });
});
