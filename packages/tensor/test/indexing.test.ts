import { describe, expect, it } from "vitest";
import {
  Rng, Tensor, embedding, gather, gradcheck, indexSelect, maskedFill, mul, randn, scatterAdd, sum, tensor, tril, triu, where,
} from "../src/index.js";

const rng = new Rng(11);
const r = (shape: number[], requiresGrad = true): Tensor => randn(shape, rng, { dtype: "float64", requiresGrad });
const int = (data: number[], shape?: number[]): Tensor<Int32Array> => tensor(Int32Array.from(data), shape ?? [data.length]);

describe("indexSelect", () => {
  it("selects rows or columns, repeats allowed, negative axis", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    expect(indexSelect(x, 0, int([2, 0, 2])).toArray()).toEqual([[7, 8, 9], [1, 2, 3], [7, 8, 9]]);
    expect(indexSelect(x, -1, int([1, 1])).toArray()).toEqual([[2, 2], [5, 5], [8, 8]]);
    expect(x.indexSelect(1, int([], [0])).shape).toEqual([3, 0]);
  });

  it("middle axis of a 3-D tensor, and gradients of repeated indices add", () => {
    const x = r([2, 4, 3]);
    const idx = int([3, 0, 3, 3]);
    const y = indexSelect(x, 1, idx);
    expect(y.shape).toEqual([2, 4, 3]);
    for (let b = 0; b < 2; b++) for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) {
      expect(y.data[(b * 4 + k) * 3 + j]).toBe(x.data[(b * 4 + idx.data[k]) * 3 + j]);
    }
    sum(y).backward();
    expect(Array.from(x.grad!.data.slice(0, 12))).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 3, 3, 3]);
  });

  it("gradcheck with repeats", () => {
    gradcheck((x, i) => indexSelect(x, 1, i), [r([3, 4]), int([1, 3, 1])]);
    gradcheck((x, i) => indexSelect(x, 0, i), [r([4, 2, 2]), int([0, 0, 2])]);
  });

  it("int32 inputs: values, no gradient", () => {
    const t = int([10, 20, 30, 40], [2, 2]);
    const y = indexSelect(t, 0, int([1]));
    expect(y.dtype).toBe("int32");
    expect(y.toArray()).toEqual([[30, 40]]);
    expect(y.requiresGrad).toBe(false);
  });

  it("errors: out-of-range (value and range), negative index, 2-D index, float index, bad axis", () => {
    const x = r([5, 3], false);
    expect(() => indexSelect(x, 0, int([0, 5]))).toThrow(/indexSelect: index 5 \(element 1 of the index\) is out of range for dim 0 .* size 5; valid indices are 0 … 4/);
    expect(() => indexSelect(x, 0, int([-1]))).toThrow(/index -1 .* out of range/);
    expect(() => indexSelect(x, 0, int([0, 1], [1, 2]))).toThrow(/index must be 1-D/);
    expect(() => indexSelect(x, 0, tensor([0]) as unknown as Tensor<Int32Array>)).toThrow(/indexSelect: argument "index" must be an int32 tensor/);
    expect(() => indexSelect(x, 2, int([0]))).toThrow(/indexSelect: axis 2 is out of range/);
  });

  it("the op keeps its own copy of the indices: changing them in place later does not change the gradient", () => {
    const x = r([4, 2]);
    const idx = int([3, 3]);
    const y = indexSelect(x, 0, idx);
    idx.fill_(0);
    sum(y).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0, 0, 0, 0, 2, 2]);
  });
});

describe("gather", () => {
  it("axis 1 and axis 0 as torch.gather (index smaller than x outside the axis)", () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(gather(x, 1, int([2, 0, 0, 1, 1, 1], [2, 3])).toArray()).toEqual([[3, 1, 1], [5, 5, 5]]);
    expect(gather(x, 0, int([1, 0], [1, 2])).toArray()).toEqual([[4, 2]]);
    expect(x.gather(-1, int([0, 2], [2, 1])).toArray()).toEqual([[1], [6]]);
  });

  it("3-D: out[i][j][k] = x[i][index[i][j][k]][k]", () => {
    const x = r([2, 3, 4], false);
    const idx = int(Array.from({ length: 2 * 5 * 4 }, (_, i) => (i * 7) % 3), [2, 5, 4]);
    const y = gather(x, 1, idx);
    expect(y.shape).toEqual([2, 5, 4]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 4; k++) {
      expect(y.data[(i * 5 + j) * 4 + k]).toBe(x.data[(i * 3 + idx.data[(i * 5 + j) * 4 + k]) * 4 + k]);
    }
  });

  it("gradcheck, repeats accumulate", () => {
    gradcheck((x, i) => gather(x, 1, i), [r([3, 4]), int([0, 0, 3, 1, 1, 2, 3, 3, 3, 0, 0, 0], [3, 4])]);
    gradcheck((x, i) => gather(x, 0, i), [r([3, 2, 2]), int([2, 2, 0, 1], [1, 2, 2])]);
  });

  it("int32 x, and errors: ndim, index too large outside the axis, out of range", () => {
    expect(gather(int([5, 6, 7]), 0, int([2, 2])).toArray()).toEqual([7, 7]);
    const x = r([2, 3], false);
    expect(() => gather(x, 1, int([0, 1]))).toThrow(/gather: the index must have as many dims as the input \(2\)/);
    expect(() => gather(x, 1, int([0, 0, 0], [3, 1]))).toThrow(/larger than the input's \[2, 3\] in dim 0/);
    expect(() => gather(x, 1, int([0, 3], [2, 1]))).toThrow(/gather: index 3 .* out of range for dim 1 .* valid indices are 0 … 2/);
  });
});

describe("scatterAdd", () => {
  it("adds src at the indices, out of place", () => {
    const x = tensor([[0, 0, 0], [10, 10, 10]]);
    const src = tensor([[1, 2, 3], [4, 5, 6]]);
    const y = scatterAdd(x, 1, int([0, 0, 2, 1, 1, 1], [2, 3]), src);
    expect(y.toArray()).toEqual([[3, 0, 3], [10, 25, 10]]);
    expect(x.toArray()).toEqual([[0, 0, 0], [10, 10, 10]]);
    expect(scatterAdd(tensor([0, 0, 0, 0]), 0, int([1, 3, 1]), tensor([1, 2, 3])).toArray()).toEqual([0, 4, 0, 2]);
  });

  it("src larger than the index: only the index box is used", () => {
    const y = scatterAdd(tensor([[0, 0], [0, 0]]), 0, int([1], [1, 1]), tensor([[5, 6], [7, 8]]));
    expect(y.toArray()).toEqual([[0, 0], [5, 0]]);
  });

  it("gradcheck: to x and to src", () => {
    gradcheck((x, i, s) => scatterAdd(x, 1, i, s), [r([3, 4]), int([0, 3, 3, 1, 1, 1], [3, 2]), r([3, 3])]);
    gradcheck((x, i, s) => scatterAdd(x, 0, i, s), [r([2, 3]), int([1, 0, 1, 1, 1, 0], [2, 3]), r([2, 3])]);
  });

  it("errors: dtype mismatch, out of range", () => {
    expect(() => scatterAdd(tensor([0, 0]), 0, int([0]), tensor([1], [1], { dtype: "float64" }) as Tensor)).toThrow(/scatterAdd: argument "src" must be a tensor of the input's dtype \(float32\)/);
    expect(() => scatterAdd(tensor([0, 0]), 0, int([2]), tensor([1]))).toThrow(/scatterAdd: index 2 .* valid indices are 0 … 1/);
  });
});

describe("embedding", () => {
  it("rows of the weight, shape indices.shape + [D]", () => {
    const w = tensor([[0, 0], [1, 1], [2, 2], [3, 3]]);
    const y = embedding(int([3, 1, 1, 0], [2, 2]), w);
    expect(y.shape).toEqual([2, 2, 2]);
    expect(y.toArray()).toEqual([[[3, 3], [1, 1]], [[1, 1], [0, 0]]]);
  });

  it("repeated indices add their gradients; paddingIdx (also negative) gets none but is still read", () => {
    const w = r([4, 3]);
    const idx = int([1, 2, 1, 3, 3, 3], [2, 3]);
    embedding(idx, w).backward(new Float64Array(18).fill(1));
    expect(Array.from(w.grad!.data)).toEqual([0, 0, 0, 2, 2, 2, 1, 1, 1, 3, 3, 3]);
    const w2 = r([4, 3]);
    const y = embedding(idx, w2, { paddingIdx: -1 }); // row 3
    expect(y.data[9]).toBe(w2.data[9]);
    y.backward(new Float64Array(18).fill(1));
    expect(Array.from(w2.grad!.data)).toEqual([0, 0, 0, 2, 2, 2, 1, 1, 1, 0, 0, 0]);
  });

  it("gradcheck; with paddingIdx the gradient is the same except the padding row's, which is 0", () => {
    gradcheck((i, w) => embedding(i, w), [int([0, 4, 4, 2], [2, 2]), r([5, 3])]);
    // paddingIdx deliberately breaks the true derivative (the row is read but gets no gradient),
    // so it is checked against the plain gradient rather than finite differences.
    const idx = int([0, 4, 4, 2, 1], [5]);
    const w = r([5, 2]);
    const up = r([5, 2], false);
    embedding(idx, w).backward(up);
    const plain = Float64Array.from(w.grad!.data);
    w.zeroGrad();
    embedding(idx, w, { paddingIdx: 4 }).backward(up);
    plain.fill(0, 8, 10);
    expect(Array.from(w.grad!.data)).toEqual(Array.from(plain));
  });

  it("errors: out of range, paddingIdx out of range, float indices, 1-D weight", () => {
    const w = r([4, 2], false);
    expect(() => embedding(int([4]), w)).toThrow(/embedding: index 4 .* out of range for the 4 rows of weight \[4, 2\] .* 0 … 3/);
    expect(() => embedding(int([0]), w, { paddingIdx: 4 })).toThrow(/paddingIdx 4 must be an integer in -4 … 3/);
    expect(() => embedding(int([0]), w, { paddingIdx: -5 })).toThrow(/paddingIdx -5/);
    expect(() => embedding(tensor([0]) as unknown as Tensor<Int32Array>, w)).toThrow(/embedding: argument "indices" must be an int32 tensor/);
    expect(() => embedding(int([0]), r([4], false))).toThrow(/weight must be 2-D/);
    expect(() => embedding(int([0]), int([1, 2], [1, 2]) as unknown as Tensor)).toThrow(/embedding: argument "weight" must be a float tensor/);
  });
});

describe("maskedFill", () => {
  it("fills where the mask is 1, broadcasting the mask; gradient where it is 0", () => {
    const x = r([2, 2, 3]);
    const mask = int([0, 1, 1, 0, 0, 1], [2, 3]);
    const y = maskedFill(x, mask, -1e9);
    expect(y.shape).toEqual([2, 2, 3]);
    for (let b = 0; b < 2; b++) for (let i = 0; i < 6; i++) {
      expect(y.data[b * 6 + i]).toBe(mask.data[i] ? -1e9 : x.data[b * 6 + i]);
    }
    sum(y).backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0]);
    gradcheck((a, m) => maskedFill(a, m, 0.5), [r([3, 4]), int([1, 0, 0, 1], [4])]);
    gradcheck((a, m) => a.maskedFill(m, -3), [r([3, 4]), int([1, 0, 1], [3, 1])]);
  });

  it("int32 x; errors: mask must broadcast to x (not grow it), int mask, fraction into int", () => {
    expect(maskedFill(int([1, 2, 3]), int([1, 0, 1]), 9).toArray()).toEqual([9, 2, 9]);
    expect(() => maskedFill(r([3], false), int([1, 0, 1, 0, 1, 1], [2, 3]), 0)).toThrow(/maskedFill: the mask's shape \[2, 3\] must broadcast to the input's \[3\]/);
    expect(() => maskedFill(r([3], false), r([3], false) as unknown as Tensor<Int32Array>, 0)).toThrow(/argument "mask" must be an int32/);
    expect(() => maskedFill(int([1]), int([1]), 0.5)).toThrow(/int32 input cannot hold 0.5/);
  });

  it("changing the mask in place after the op is detected at backward", () => {
    const x = r([3]);
    const m = int([1, 0, 0]);
    const y = maskedFill(x, m, 0);
    m.fill_(1);
    expect(() => sum(y).backward()).toThrow(/modified by an inplace operation/);
  });
});

describe("where", () => {
  it("chooses by the condition, all three broadcast; numbers as operands", () => {
    const c = int([1, 0, 1], [3, 1]);
    const a = tensor([[1, 2], [3, 4], [5, 6]]);
    expect(where(c, a, tensor([-1, -2])).toArray()).toEqual([[1, 2], [-1, -2], [5, 6]]);
    expect(where(c, 7, a).toArray()).toEqual([[7, 7], [3, 4], [7, 7]]);
    expect(where(int([1, 0]), 1, 0).dtype).toBe("int32");
    expect(where(int([1, 0]), 0.5, 0).dtype).toBe("float32");
    expect(where(int([1, 0]), int([4, 5]), 0.5).toArray()).toEqual([4, 0.5]);
    expect(where(int([1, 0]), r([2], false), tensor([1, 2])).dtype).toBe("float64");
  });

  it("gradients: a where cond holds, b elsewhere, reduced over broadcast dims", () => {
    const a = r([3, 1]);
    const b = r([4]);
    sum(where(int([1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1], [3, 4]), a, b)).backward();
    expect(Array.from(a.grad!.data)).toEqual([2, 2, 1]);
    expect(Array.from(b.grad!.data)).toEqual([1, 2, 3, 1]);
    gradcheck((c, x, y) => where(c, x, y), [int([1, 0, 1], [3, 1]), r([3, 4]), r([4])]);
    gradcheck((c, x) => mul(where(c, x, 2), x), [int([1, 0, 1, 1], [2, 2]), r([2, 2])]);
  });

  it("errors: float condition, shapes that do not broadcast", () => {
    expect(() => where(r([2], false) as unknown as Tensor<Int32Array>, 1, 0)).toThrow(/where: argument "condition" must be an int32/);
    expect(() => where(int([1, 0]), r([3], false), 0)).toThrow(/where: shapes \[2\] and \[3\] cannot be broadcast/);
  });
});

describe("tril / triu", () => {
  const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  it("diagonals 0, 1, -1 and a wide matrix", () => {
    expect(tril(x).toArray()).toEqual([[1, 0, 0], [4, 5, 0], [7, 8, 9]]);
    expect(tril(x, 1).toArray()).toEqual([[1, 2, 0], [4, 5, 6], [7, 8, 9]]);
    expect(tril(x, -1).toArray()).toEqual([[0, 0, 0], [4, 0, 0], [7, 8, 0]]);
    expect(triu(x).toArray()).toEqual([[1, 2, 3], [0, 5, 6], [0, 0, 9]]);
    expect(triu(x, 1).toArray()).toEqual([[0, 2, 3], [0, 0, 6], [0, 0, 0]]);
    expect(x.triu(-1).toArray()).toEqual([[1, 2, 3], [4, 5, 6], [0, 8, 9]]);
    expect(tril(tensor([[1, 2, 3, 4], [5, 6, 7, 8]]), 5).toArray()).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
    expect(triu(tensor([[1, 2, 3, 4], [5, 6, 7, 8]]), -5).toArray()).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
  });

  it("batched, int32 (the causal mask), gradcheck, errors", () => {
    const ones = int(new Array(2 * 3 * 3).fill(1), [2, 3, 3]);
    const mask = triu(ones, 1);
    expect(mask.dtype).toBe("int32");
    expect(mask.toArray()).toEqual([[[0, 1, 1], [0, 0, 1], [0, 0, 0]], [[0, 1, 1], [0, 0, 1], [0, 0, 0]]]);
    gradcheck((a) => tril(a, 1), [r([2, 3, 4])]);
    gradcheck((a) => triu(a, -1), [r([4, 3])]);
    expect(() => tril(r([3], false))).toThrow(/tril: the input must have at least 2 dims/);
    expect(() => triu(x, 0.5)).toThrow(/triu: diagonal must be an integer/);
  });
});

describe("gradcheck passes int32 inputs through unchanged", () => {
  it("the same Int32Array reaches fn, and is never perturbed", () => {
    const idx = int([2, 0]);
    let seen: Tensor<Int32Array> | null = null;
    gradcheck((x, i) => {
      seen = i as Tensor<Int32Array>;
      return indexSelect(x, 0, i as Tensor<Int32Array>);
    }, [r([3, 2]), idx]);
    expect(seen).toBe(idx);
    expect(Array.from(idx.data)).toEqual([2, 0]);
  });
});
