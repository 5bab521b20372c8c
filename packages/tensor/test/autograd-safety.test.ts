import { describe, expect, it } from "vitest";
import { inspect } from "node:util";
import { Tensor, exp, mul, add, noGrad, reshape, sum, tensor, zeros, ones, arange, full, randint, Rng, sigmoid } from "../src/index.js";

describe("backward twice", () => {
  it("is an error unless the first pass retains the graph", () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const y = sum(mul(x, x));
    y.backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 4, 6]);
    expect(() => y.backward()).toThrow(/backward through the graph a second time .* retainGraph: true/);
  });

  it("with retainGraph the second pass accumulates, as PyTorch", () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    const y = sum(mul(x, x));
    y.backward({ retainGraph: true });
    y.backward();
    expect(Array.from(x.grad!.data)).toEqual([4, 8, 12]);
  });

  it("a new graph over a freed intermediate is refused too", () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const h = mul(x, 3);
    sum(h).backward();
    expect(() => sum(mul(h, 2)).backward()).toThrow(/second time/);
  });
});

describe("in-place modification of a saved tensor", () => {
  it("is detected at backward (mul saves its inputs)", () => {
    const w = tensor([1, 2], undefined, { requiresGrad: true });
    const x = tensor([3, 4]);
    const y = sum(mul(w, x));
    x.mul_(2);
    expect(x.version).toBe(1);
    expect(() => y.backward()).toThrow(/modified by an inplace operation .*float32 \[2\] at version 1/);
  });

  it("through a view: views share the version counter", () => {
    const w = tensor([1, 2, 3, 4], undefined, { requiresGrad: true });
    const x = tensor([1, 1, 1, 1]);
    const xv = reshape(x, [2, 2]);
    const y = sum(mul(reshape(w, [2, 2]), xv));
    x.fill_(5);
    expect(xv.version).toBe(1);
    expect(() => y.backward()).toThrow(/modified by an inplace operation/);
  });

  it("an op that saves its output (exp) sees its output modified", () => {
    const x = tensor([0, 1], undefined, { requiresGrad: true });
    const y = exp(x);
    const z = sum(y);
    noGrad(() => y.add_(1));
    expect(() => z.backward()).toThrow(/modified by an inplace operation/);
  });

  it("ops that save nothing (add) allow it, as PyTorch", () => {
    const w = tensor([1, 2], undefined, { requiresGrad: true });
    const x = tensor([3, 4]);
    const y = sum(add(w, x));
    x.add_(1);
    y.backward();
    expect(Array.from(w.grad!.data)).toEqual([1, 1]);
  });

  it("in-place on a tensor that requires grad is refused in grad mode, allowed in noGrad", () => {
    const w = tensor([1, 2], undefined, { requiresGrad: true });
    expect(() => w.add_(1)).toThrow(/add_: a leaf tensor that requires grad cannot be modified in place/);
    const h = sigmoid(w);
    expect(() => h.mul_(2)).toThrow(/part of the autograd graph/);
    noGrad(() => w.add_(1));
    expect(Array.from(w.data)).toEqual([2, 3]);
  });

  it("in-place ops broadcast the other operand and check int values", () => {
    const t = zeros([2, 3]);
    t.add_(tensor([1, 2, 3]), 2);
    expect(t.toArray()).toEqual([[2, 4, 6], [2, 4, 6]]);
    t.maskedFill_(tensor(Int32Array.from([1, 0]), [2, 1]), -1);
    expect(t.toArray()).toEqual([[-1, -1, -1], [2, 4, 6]]);
    expect(() => t.copy_(tensor([1, 2]))).toThrow(/cannot be broadcast/);
    const i = zeros([2], { dtype: "int32" });
    expect(() => i.fill_(0.5)).toThrow(/an int32 tensor cannot hold 0.5/);
  });
});

describe("int32 tensors", () => {
  it("come from Int32Array or { dtype: 'int32' }, in every constructor", () => {
    expect(tensor(Int32Array.of(1, 2)).dtype).toBe("int32");
    expect(tensor([[1, 2], [3, 4]], undefined, { dtype: "int32" }).data).toBeInstanceOf(Int32Array);
    expect(zeros([2], { dtype: "int32" }).dtype).toBe("int32");
    expect(ones([2], { dtype: "int32" }).data).toEqual(Int32Array.of(1, 1));
    expect(full([2], 7, { dtype: "int32" }).data).toEqual(Int32Array.of(7, 7));
    expect(arange(0, 3, 1, { dtype: "int32" }).data).toEqual(Int32Array.of(0, 1, 2));
    const ri = randint(0, 5, [100], new Rng(1));
    expect(ri.dtype).toBe("int32");
    expect(Math.min(...ri.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ri.data)).toBeLessThan(5);
  });

  it("refuse non-integers, gradients and unknown dtypes with clear errors", () => {
    expect(() => tensor([1.5], undefined, { dtype: "int32" })).toThrow(/dtype int32 needs integers, element 0 is 1.5/);
    expect(() => tensor(Int32Array.of(1), undefined, { requiresGrad: true })).toThrow(/only float tensors can require gradients/);
    expect(() => new Tensor(Int32Array.of(1), [1], true)).toThrow(/only float tensors can require gradients/);
    expect(() => zeros([1], { dtype: "int64" as never })).toThrow(/unknown dtype "int64"/);
    expect(() => new Tensor([1, 2] as unknown as Float32Array, [2])).toThrow(/data must be a Float32Array, Float64Array or Int32Array/);
  });

  it("a float op given an int tensor names the op and the argument", () => {
    const i = tensor(Int32Array.of(1, 2)) as unknown as Tensor;
    expect(() => add(i, 1)).toThrow(/add: argument "input" must be a float tensor .* got int32 .* convert it with \.float\(\)/);
    expect(() => exp(i)).toThrow(/exp: argument "input" must be a float tensor/);
  });

  it("convert with to / float / int (truncating toward zero) and the gradient flows between floats", () => {
    const x = tensor([1.7, -1.7, 2]);
    expect(Array.from(x.int().data)).toEqual([1, -1, 2]);
    expect(tensor(Int32Array.of(3)).float().dtype).toBe("float32");
    const w = tensor([1, 2], undefined, { requiresGrad: true });
    sum(mul(w.double(), 3)).backward();
    expect(Array.from(w.grad!.data)).toEqual([3, 3]);
    expect(() => tensor([1e10]).int()).toThrow(/does not fit in int32/);
  });
});

describe("values, not internals", () => {
  it("item, toArray, tolist", () => {
    const t = tensor([[1, 2], [3, 4]]);
    expect(t.tolist()).toEqual([[1, 2], [3, 4]]);
    expect(tensor(5).item()).toBe(5);
    expect(() => t.item()).toThrow(/only a one-element tensor has an item/);
  });

  it("String(t) and console.log(t) print like PyTorch's repr", () => {
    expect(String(tensor([[1, 2], [3, 4]]))).toBe("tensor([[1., 2.],\n        [3., 4.]])");
    expect(String(tensor([0.5, -1.25], undefined, { requiresGrad: true }))).toBe("tensor([ 0.5000, -1.2500], requiresGrad=true)");
    expect(String(tensor(Int32Array.of(1, 20, 3)))).toBe("tensor([ 1, 20,  3], dtype=int32)");
    expect(String(tensor(2.5))).toBe("tensor(2.5000)");
    expect(String(tensor([1e-5, 1]))).toBe("tensor([1.0000e-05, 1.0000e+00])");
    expect(String(zeros([0, 3]))).toBe("tensor([], size=[0, 3])");
    expect(inspect(tensor([1, 2], undefined, { dtype: "float64" }))).toBe("tensor([1., 2.], dtype=float64)");
    const big = String(arange(0, 2000));
    expect(big).toBe("tensor([   0.,    1.,    2., ..., 1997., 1998., 1999.])");
    const t3 = String(arange(0, 8).reshape([2, 2, 2]));
    expect(t3).toBe("tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])");
  });
});
