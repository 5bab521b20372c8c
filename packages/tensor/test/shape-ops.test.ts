import { describe, expect, it } from "vitest";
import {
  Rng, Tensor, cat, chunk, expand, flatten, gradcheck, matmul, linear, narrow, pad, permute, randn, reshape,
  setBackend, slice, split, squeeze, stack, sum, tensor, transpose, unflatten, unsqueeze, mul, clone,
} from "../src/index.js";

const rng = new Rng(7);
const r = (shape: number[], requiresGrad = true): Tensor => randn(shape, rng, { dtype: "float64", requiresGrad });

/** Reference: element of a row-major array at a multi-index. */
function at(t: Tensor, idx: number[]): number {
  let off = 0;
  for (let d = 0; d < idx.length; d++) off = off * t.shape[d] + idx[d];
  return t.data[off];
}

/** All multi-indices of a shape, row-major. */
function* indices(shape: readonly number[]): Generator<number[]> {
  const n = shape.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < n; flat++) {
    const idx: number[] = [];
    let rest = flat;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx.unshift(rest % shape[d]);
      rest = Math.floor(rest / shape[d]);
    }
    yield idx;
  }
}

describe("permute / transpose", () => {
  it("permute moves dims: out[i, j, k] = x[j, k, i] for dims [2, 0, 1]", () => {
    const x = r([2, 3, 4], false);
    const y = permute(x, [2, 0, 1]);
    expect(y.shape).toEqual([4, 2, 3]);
    for (const [i, j, k] of indices(y.shape)) expect(at(y, [i, j, k])).toBe(at(x, [j, k, i]));
  });

  it("transpose of any two dims, negative dims from the end; the 2-D form without dims", () => {
    const x = r([2, 3, 4, 5], false);
    const y = transpose(x, 1, -1);
    expect(y.shape).toEqual([2, 5, 4, 3]);
    for (const [a, b, c, d] of indices(y.shape)) expect(at(y, [a, b, c, d])).toBe(at(x, [a, d, c, b]));
    expect(transpose(r([3, 7], false)).shape).toEqual([7, 3]);
    expect(() => transpose(x)).toThrow(/must be 2-D without dims/);
  });

  it("large last-two-dims transposes (the blocked path) are exact", () => {
    const x = r([3, 70, 45], false);
    const y = transpose(x, 1, 2);
    for (const [a, b, c] of indices(y.shape)) expect(at(y, [a, b, c])).toBe(at(x, [a, c, b]));
  });

  it("gradcheck: permute and transpose", () => {
    gradcheck((x) => permute(x, [0, 2, 3, 1]), [r([2, 3, 2, 2])]);
    gradcheck((x) => transpose(x, 0, 2), [r([2, 3, 4])]);
  });

  it("errors name the op and what was wrong", () => {
    const x = r([2, 3], false);
    expect(() => permute(x, [0])).toThrow(/permute: dims \[0\] must list each of the 2 dims/);
    expect(() => permute(x, [0, 0])).toThrow(/repeat a dim/);
    expect(() => transpose(x, 0, 5)).toThrow(/transpose: axis 5 is out of range/);
  });
});

describe("views: reshape, flatten, unflatten, squeeze, unsqueeze", () => {
  it("share storage and shapes follow PyTorch", () => {
    const x = r([2, 3, 4], false);
    expect(reshape(x, [4, -1]).shape).toEqual([4, 6]);
    expect(reshape(x, [4, -1]).data).toBe(x.data);
    expect(flatten(x).shape).toEqual([24]);
    expect(flatten(x, 1).shape).toEqual([2, 12]);
    expect(flatten(x, 0, 1).shape).toEqual([6, 4]);
    expect(unflatten(flatten(x, 1), 1, [3, -1]).shape).toEqual([2, 3, 4]);
    expect(unsqueeze(x, 0).shape).toEqual([1, 2, 3, 4]);
    expect(unsqueeze(x, -1).shape).toEqual([2, 3, 4, 1]);
    expect(squeeze(unsqueeze(x, 1), 1).shape).toEqual([2, 3, 4]);
    expect(squeeze(r([1, 3, 1], false)).shape).toEqual([3]);
    expect(squeeze(x, 0).shape).toEqual([2, 3, 4]); // not size 1: unchanged, as PyTorch
    expect(() => reshape(x, [-1, -1])).toThrow(/only one dimension can be -1/);
    expect(() => reshape(x, [5, 5])).toThrow(/invalid for a tensor of 24 elements/);
    expect(() => flatten(x, 2, 1)).toThrow(/startDim 2 comes after endDim 1/);
    expect(() => unflatten(x, 1, [2, 2])).toThrow(/do not multiply to dim 1's 3/);
  });

  it("gradcheck through views", () => {
    gradcheck((x) => mul(flatten(x, 1), flatten(x, 1)), [r([2, 3, 2])]);
    gradcheck((x) => unsqueeze(squeeze(x), 0), [r([1, 4, 1])]);
  });
});

describe("narrow, slice, split, chunk", () => {
  it("narrow equals a slice with step 1; slice clamps and steps as Python", () => {
    const x = r([3, 6, 2], false);
    const n = narrow(x, 1, 2, 3);
    expect(n.shape).toEqual([3, 3, 2]);
    for (const [a, b, c] of indices(n.shape)) expect(at(n, [a, b, c])).toBe(at(x, [a, b + 2, c]));
    expect(Array.from(slice(x, 1, 2, 5).data)).toEqual(Array.from(n.data));
    const s = slice(x, 1, 1, 100, 2); // 1, 3, 5
    expect(s.shape).toEqual([3, 3, 2]);
    for (const [a, b, c] of indices(s.shape)) expect(at(s, [a, b, c])).toBe(at(x, [a, 1 + 2 * b, c]));
    expect(slice(x, 1, -2).shape).toEqual([3, 2, 2]);
    expect(slice(x, 1, 4, 2).shape).toEqual([3, 0, 2]);
    expect(() => narrow(x, 1, 4, 3)).toThrow(/narrow: start 4 and length 3 do not fit in dim 1 of size 6/);
    expect(() => slice(x, 0, 0, 2, 0)).toThrow(/step must be a positive integer/);
  });

  it("split by size or sizes, chunk", () => {
    const x = r([7, 2], false);
    expect(split(x, 3).map((t) => t.shape[0])).toEqual([3, 3, 1]);
    expect(split(x, [2, 5]).map((t) => t.shape[0])).toEqual([2, 5]);
    expect(chunk(x, 3).map((t) => t.shape[0])).toEqual([3, 3, 1]);
    expect(chunk(r([6, 1], false), 4).map((t) => t.shape[0])).toEqual([2, 2, 2]); // as torch.chunk
    expect(() => split(x, [2, 2])).toThrow(/adding up to dim 0's size 7/);
  });

  it("gradcheck: narrow, slice with a step, split", () => {
    gradcheck((x) => narrow(x, 0, 1, 2), [r([4, 3])]);
    gradcheck((x) => slice(x, 2, 0, 5, 2), [r([2, 2, 5])]);
    gradcheck((x) => { const [a, b] = split(x, [1, 2], 1); return mul(sum(a), b); }, [r([2, 3])]);
  });
});

describe("cat, stack, pad, expand, clone", () => {
  it("cat along any axis and stack along a new one", () => {
    const a = r([2, 1, 4], false), b = r([2, 3, 4], false);
    const c = cat([a, b], 1);
    expect(c.shape).toEqual([2, 4, 4]);
    for (const [i, j, k] of indices(c.shape)) expect(at(c, [i, j, k])).toBe(j === 0 ? at(a, [i, 0, k]) : at(b, [i, j - 1, k]));
    const s = stack([r([3, 4], false), r([3, 4], false)], 2);
    expect(s.shape).toEqual([3, 4, 2]);
    expect(() => cat([a, r([3, 1, 4], false)], 1)).toThrow(/cat: tensor 1 has shape \[3, 1, 4\], which does not match tensor 0's \[2, 1, 4\] outside dim 1/);
    expect(() => cat([a, tensor(new Int32Array(8), [2, 1, 4])], 1)).toThrow(/cat: tensor 1 is int32 but tensor 0 is float64/);
    expect(() => stack([r([3], false), r([4], false)])).toThrow(/stack needs equal shapes/);
  });

  it("pad the last dim or the last two with a constant", () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(pad(x, [1, 0], 9).toArray()).toEqual([[9, 1, 2], [9, 3, 4]]);
    expect(pad(x, [0, 1, 1, 0]).toArray()).toEqual([[0, 0, 0], [1, 2, 0], [3, 4, 0]]);
    expect(() => pad(x, [1])).toThrow(/pad: expected an even number of amounts/);
    expect(() => pad(x, [-1, 0])).toThrow(/non-negative/);
  });

  it("expand broadcasts by copying; -1 keeps a dim", () => {
    const x = tensor([[1], [2]]);
    expect(expand(x, [2, 3]).toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(expand(x, [2, -1, 2]).shape).toEqual([2, 2, 2]);
    expect(() => expand(tensor([1, 2]), [3])).toThrow(/cannot expand shape \[2\] to \[3\]/);
  });

  it("gradcheck: cat, stack, pad, expand, clone", () => {
    gradcheck((a, b) => cat([a, b], 0), [r([2, 3]), r([1, 3])]);
    gradcheck((a, b) => stack([a, b], 1), [r([2, 3]), r([2, 3])]);
    gradcheck((x) => pad(x, [1, 2, 0, 1], 0.5), [r([2, 2, 3])]);
    gradcheck((x) => expand(x, [2, 3, 4]), [r([3, 1])]);
    gradcheck((x) => mul(clone(x), x), [r([3])]);
  });

  it("shape ops work on int32 tensors (no gradient)", () => {
    const i = tensor(Int32Array.from([0, 1, 2, 3, 4, 5]), [2, 3]);
    const t = transpose(i, 0, 1);
    expect(t.dtype).toBe("int32");
    expect(t.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(cat([i, i], 0).shape).toEqual([4, 3]);
    expect(narrow(i, 1, 1, 1).toArray()).toEqual([[1], [4]]);
  });
});

describe("matmul N-D", () => {
  /** Reference batched product in float64, with PyTorch's broadcasting of the batch dims. */
  function refMatmul(a: Tensor, b: Tensor, outShape: number[]): number[] {
    const M = a.shape.at(-2)!, K = a.shape.at(-1)!, N = b.shape.at(-1)!;
    const out: number[] = [];
    for (const idx of indices(outShape)) {
      const i = idx.at(-2)!, j = idx.at(-1)!;
      const batch = idx.slice(0, -2);
      const pick = (t: Tensor, rows: number, cols: number, r0: number, c0: number): number => {
        const tb = t.shape.slice(0, -2);
        const bi = batch.slice(batch.length - tb.length).map((v, d) => (tb[d] === 1 ? 0 : v));
        return at(t, [...bi, r0, c0]) + 0 * rows * cols;
      };
      let s = 0;
      for (let k = 0; k < K; k++) s += pick(a, M, K, i, k) * pick(b, K, N, k, j);
      out.push(s);
    }
    return out;
  }

  for (const backend of ["js", "wasm"] as const) {
    it(`[2,1,3,4] × [3,4,2] → [2,3,3,2], and a 2-D operand over a batch (${backend})`, () => {
      setBackend(backend);
      try {
        for (const [as, bs, os] of [
          [[2, 1, 3, 4], [3, 4, 2], [2, 3, 3, 2]],
          [[2, 3, 4], [4, 5], [2, 3, 5]],
          [[3, 4], [2, 4, 5], [2, 3, 5]],
          [[5, 6, 7], [5, 7, 3], [5, 6, 3]],
        ]) {
          const a = randn(as, rng), b = randn(bs, rng);
          const y = matmul(a, b);
          expect(y.shape).toEqual(os);
          const ref = refMatmul(a, b, os);
          for (let i = 0; i < ref.length; i++) expect(y.data[i]).toBeCloseTo(ref[i], 4);
        }
      } finally {
        setBackend();
      }
    });
  }

  it("1-D operands are vectors, their dim dropped", () => {
    const v = tensor([1, 2]);
    const m = tensor([[1, 2], [3, 4]]);
    expect(matmul(m, v).toArray()).toEqual([5, 11]);
    expect(matmul(v, m).toArray()).toEqual([7, 10]);
    expect(matmul(v, v).shape).toEqual([]);
  });

  it("gradcheck: batched, broadcast, 2-D over batch, vectors", () => {
    gradcheck((a, b) => matmul(a, b), [r([2, 1, 3, 4]), r([3, 4, 2])]);
    gradcheck((a, b) => matmul(a, b), [r([2, 3, 4]), r([4, 2])]);
    gradcheck((a, b) => matmul(a, b), [r([3, 4]), r([2, 4, 2])]);
    gradcheck((a, b) => matmul(a, b), [r([4]), r([2, 4, 3])]);
  });

  it("errors name both shapes", () => {
    expect(() => matmul(r([2, 3], false), r([4, 2], false))).toThrow(/matmul: shapes \[2, 3\] and \[4, 2\] cannot be multiplied \(3 ≠ 4\)/);
    expect(() => matmul(r([2, 2, 3], false), r([3, 3, 2], false))).toThrow(/cannot be broadcast/);
    expect(() => matmul(tensor(new Int32Array(4), [2, 2]) as unknown as Tensor, r([2, 2], false))).toThrow(/matmul: argument "input" must be a float tensor/);
  });
});

describe("linear over [..., in]", () => {
  it("equals the 2-D linear of the flattened rows", () => {
    const x = r([2, 3, 4], false), w = r([5, 4], false), b = r([5], false);
    const y = linear(x, w, b);
    expect(y.shape).toEqual([2, 3, 5]);
    const y2 = linear(reshape(x, [6, 4]), w, b);
    expect(Array.from(y.data)).toEqual(Array.from(y2.data));
    gradcheck((x, w, b) => linear(x, w, b), [r([2, 2, 3]), r([4, 3]), r([4])]);
    gradcheck((x, w) => linear(x, w), [r([3]), r([2, 3])]);
  });
});
