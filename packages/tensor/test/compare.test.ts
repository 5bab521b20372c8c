import { describe, expect, it } from "vitest";
import { Tensor, eq, ge, gt, le, logicalAnd, logicalNot, logicalOr, lt, maskedFill, ne, tensor, where } from "../src/index.js";

const int = (data: number[], shape?: number[]): Tensor<Int32Array> => tensor(Int32Array.from(data), shape ?? [data.length]);

describe("eq, ne, lt, le, gt, ge", () => {
  const a = tensor([1, 2, 3]);
  const b = tensor([3, 2, 1]);
  // [op, method, a ⋄ b, a ⋄ 2]
  const TABLE: [string, (x: Tensor, y: Tensor | number) => Tensor<Int32Array>, number[], number[]][] = [
    ["eq", eq, [0, 1, 0], [0, 1, 0]],
    ["ne", ne, [1, 0, 1], [1, 0, 1]],
    ["lt", lt, [1, 0, 0], [1, 0, 0]],
    ["le", le, [1, 1, 0], [1, 1, 0]],
    ["gt", gt, [0, 0, 1], [0, 0, 1]],
    ["ge", ge, [0, 1, 1], [0, 1, 1]],
  ];

  it.each(TABLE)("%s: int32 0/1 against a tensor and a number, no gradient", (name, op, vsTensor, vsTwo) => {
    const y = op(a, b);
    expect(y.dtype).toBe("int32");
    expect(Array.from(y.data)).toEqual(vsTensor);
    expect(Array.from(op(a, 2).data)).toEqual(vsTwo);
    const method = (a as unknown as Record<string, (o: Tensor | number) => Tensor<Int32Array>>)[name];
    expect(Array.from(method.call(a, b).data)).toEqual(vsTensor);
    const g = tensor([1, 2, 3], [3], { requiresGrad: true });
    expect(op(g, 2).requiresGrad).toBe(false);
  });

  it("broadcasting, a number first, int32 operands, mixed int/float", () => {
    expect(lt(tensor([[1], [5]]), tensor([2, 4, 6])).toArray()).toEqual([[1, 1, 1], [0, 0, 1]]);
    expect(gt(2, tensor([1, 2, 3])).toArray()).toEqual([1, 0, 0]);
    expect(eq(int([1, 2, 3]), int([1, 0, 3])).toArray()).toEqual([1, 0, 1]);
    expect(lt(int([1, 2]), 1.5).toArray()).toEqual([1, 0]);
    expect(le(int([1, 2]), tensor([1.5, 1.5])).toArray()).toEqual([1, 0]);
  });

  it("a number against float32 compares in float32, as torch's wrapped scalars (x == 0.1 holds)", () => {
    const x = tensor([0.1, 0.2]);
    expect(eq(x, 0.1).toArray()).toEqual([1, 0]);
    expect(ne(x, 0.1).toArray()).toEqual([0, 1]);
    const x64 = tensor([0.1], [1], { dtype: "float64" });
    expect(eq(x64, 0.1).toArray()).toEqual([1]);
    expect(eq(tensor([16777217], [1], { dtype: "int32" }), tensor([16777216])).toArray()).toEqual([1]); // int32 rounds to float32 first, as torch
  });

  it("NaN: every comparison is false except ne", () => {
    const x = tensor([NaN]);
    for (const op of [eq, lt, le, gt, ge]) expect(op(x, x).data[0]).toBe(0);
    expect(ne(x, x).data[0]).toBe(1);
  });

  it("errors: shapes that do not broadcast, no tensor, a non-number", () => {
    expect(() => eq(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/eq: shapes \[2\] and \[3\] cannot be broadcast/);
    expect(() => lt(1 as unknown as Tensor, 2)).toThrow(/lt: at least one operand must be a Tensor/);
    expect(() => gt(tensor([1]), "1" as unknown as number)).toThrow(/gt: argument "other" must be a Tensor or a number/);
  });

  it("results drive where and maskedFill", () => {
    const x = tensor([-1, 2, -3]);
    expect(where(gt(x, 0), x, 0).toArray()).toEqual([0, 2, 0]);
    expect(maskedFill(x, lt(x, 0), 9).toArray()).toEqual([9, 2, 9]);
  });
});

describe("logicalNot, logicalAnd, logicalOr", () => {
  it("on int masks, non-zero is true, broadcasting", () => {
    expect(logicalNot(int([0, 1, 5])).toArray()).toEqual([1, 0, 0]);
    expect(logicalAnd(int([1, 0, 2]), int([1, 1, 0])).toArray()).toEqual([1, 0, 0]);
    expect(logicalOr(int([1, 0, 0]), int([0], [1])).toArray()).toEqual([1, 0, 0]);
    expect(logicalAnd(int([1, 0], [2, 1]), int([1, 1, 0])).toArray()).toEqual([[1, 1, 0], [0, 0, 0]]);
  });

  it("float masks are refused", () => {
    expect(() => logicalNot(tensor([1]) as unknown as Tensor<Int32Array>)).toThrow(/logicalNot: argument "input" must be an int32 tensor/);
    expect(() => logicalOr(int([1]), tensor([1]) as unknown as Tensor<Int32Array>)).toThrow(/logicalOr: argument "other" must be an int32/);
  });
});
