import { describe, expect, it } from "vitest";
import {
  Rng, Tensor, abs, add, div, exp, gelu, gradcheck, leakyRelu, linear, log, logSoftmax, matmul, max, mean, mul, neg, pow,
  relu, reshape, sigmoid, softmax, sqrt, sub, sum, tanh, transpose, randn, tensor, erf,
} from "../src/index.js";

const rng = new Rng(1234);
/** A float64 input that requires grad; `positive` keeps it away from log/sqrt/div singularities. */
function input(shape: number[], positive = false): Tensor {
  const t = randn(shape, rng, { dtype: "float64", requiresGrad: true });
  if (positive) for (let i = 0; i < t.size; i++) t.data[i] = 0.5 + Math.abs(t.data[i]);
  else for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]) < 1e-3) t.data[i] = 0.1; // off kinks (relu, abs)
  return t;
}

// Every op against finite differences in float64 (torch.autograd.gradcheck's method).
const CASES: [string, () => Tensor[], (...x: Tensor[]) => Tensor][] = [
  ["add", () => [input([3, 2]), input([3, 2])], (a, b) => add(a, b)],
  ["add broadcast [3,1]+[1,4]", () => [input([3, 1]), input([1, 4])], (a, b) => add(a, b)],
  ["sub broadcast [2,3]-[3]", () => [input([2, 3]), input([3])], (a, b) => sub(a, b)],
  ["mul broadcast [2,3,4]*[3,1]", () => [input([2, 3, 4]), input([3, 1])], (a, b) => mul(a, b)],
  ["div broadcast", () => [input([4, 3]), input([3], true)], (a, b) => div(a, b)],
  ["neg", () => [input([5])], (a) => neg(a)],
  ["exp", () => [input([2, 3])], (a) => exp(a)],
  ["log", () => [input([2, 3], true)], (a) => log(a)],
  ["sqrt", () => [input([2, 3], true)], (a) => sqrt(a)],
  ["abs", () => [input([7])], (a) => abs(a)],
  ["pow 3", () => [input([4])], (a) => pow(a, 3)],
  ["pow 0.5", () => [input([4], true)], (a) => pow(a, 0.5)],
  ["matmul", () => [input([3, 5]), input([5, 2])], (a, b) => matmul(a, b)],
  ["linear", () => [input([4, 5]), input([3, 5]), input([3])], (x, w, b) => linear(x, w, b)],
  ["linear no bias", () => [input([4, 5]), input([3, 5])], (x, w) => linear(x, w)],
  ["transpose", () => [input([3, 4])], (a) => transpose(a)],
  ["reshape -1", () => [input([3, 4])], (a) => reshape(a, [2, -1])],
  ["sum all", () => [input([3, 4])], (a) => sum(a)],
  ["sum axis 1 keepdim", () => [input([2, 3, 4])], (a) => sum(a, 1, true)],
  ["mean axis -1", () => [input([2, 3, 4])], (a) => mean(a, -1)],
  ["mean all", () => [input([3, 4])], (a) => mean(a)],
  ["max axis 0", () => [input([4, 3])], (a) => max(a, 0)],
  ["relu", () => [input([10])], (a) => relu(a)],
  ["leakyRelu", () => [input([10])], (a) => leakyRelu(a, 0.2)],
  ["sigmoid", () => [input([10])], (a) => sigmoid(a)],
  ["tanh", () => [input([10])], (a) => tanh(a)],
  ["gelu exact", () => [input([10])], (a) => gelu(a)],
  ["gelu tanh", () => [input([10])], (a) => gelu(a, "tanh")],
  ["softmax axis 1", () => [input([3, 5])], (a) => softmax(a, 1)],
  ["softmax axis 0 of 3-D", () => [input([3, 2, 2])], (a) => softmax(a, 0)],
  ["logSoftmax", () => [input([3, 5])], (a) => logSoftmax(a, -1)],
  ["composite a*b+exp(a)/sum", () => [input([2, 3]), input([2, 3])], (a, b) => div(add(mul(a, b), exp(a)), sum(exp(b)))],
];

describe("gradcheck (float64 finite differences)", () => {
  it.each(CASES)("%s", (_name, make, fn) => {
    expect(gradcheck(fn, make())).toBe(true);
  });

  it("catches a wrong gradient", () => {
    const wrong = (x: Tensor) => mul(x, x.detach()); // treats one factor as a constant: half the true gradient
    expect(() => gradcheck(wrong, [input([3])])).toThrow(/autograd gives/);
  });
});

describe("autograd", () => {
  it("accumulates gradients until zeroed", () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    sum(mul(x, x)).backward();
    sum(mul(x, x)).backward();
    expect(Array.from(x.grad!.data)).toEqual([4, 8, 12]);
    x.zeroGrad();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0]);
  });

  it("computes no gradient for inputs that do not require it", () => {
    const x = tensor([1, 2]);
    const w = tensor([3, 4], undefined, { requiresGrad: true });
    sum(mul(x, w)).backward();
    expect(x.grad).toBeNull();
    expect(Array.from(w.grad!.data)).toEqual([1, 2]);
  });

  it("handles a diamond graph (a node used twice)", () => {
    const x = tensor([2], undefined, { requiresGrad: true });
    const y = mul(x, 3);
    add(mul(y, y), y).sum().backward(); // d/dx (9x² + 3x) = 18x + 3
    expect(x.grad!.item()).toBe(39);
  });

  it("records nothing inside noGrad", async () => {
    const { noGrad } = await import("../src/index.js");
    const x = tensor([1], undefined, { requiresGrad: true });
    const y = noGrad(() => mul(x, 2));
    expect(y.requiresGrad).toBe(false);
  });

  it("explains backward on a non-scalar", () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    expect(() => mul(x, 2).backward()).toThrow(/only for scalar outputs.*shape \[2\]/);
  });

  it("explains backward on a tensor that does not require grad", () => {
    expect(() => tensor([1]).backward()).toThrow(/does not require grad/);
  });

  it("names both shapes when they cannot broadcast", () => {
    expect(() => add(tensor([[1, 2, 3]]), tensor([1, 2]))).toThrow(/\[1, 3\] and \[2\] cannot be broadcast/);
  });

  it("item, toArray, detach", () => {
    const t = tensor([[1, 2], [3, 4]]);
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor(5).item()).toBe(5);
    expect(() => t.item()).toThrow(/one-element/);
    expect(t.detach().data).toBe(t.data);
  });

  it("wraps shared memory without copying", () => {
    const sab = new SharedArrayBuffer(16);
    const view = new Float32Array(sab);
    const t = tensor(view, [2, 2]);
    view[3] = 7;
    expect(t.data[3]).toBe(7);
  });
});

describe("numerics", () => {
  it("erf matches reference values to 1e-15", () => {
    // Values of erf from Abramowitz & Stegun / mpmath.
    const ref: [number, number][] = [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [3.5, 0.9999992569016276], [-1.5, -0.9661051464753108]];
    for (const [x, e] of ref) expect(Math.abs(erf(x) - e)).toBeLessThan(1e-15);
  });

  it("softmax and sigmoid stay finite for extreme inputs", () => {
    const s = softmax(tensor([[1000, -1000, 0]]), 1);
    expect(Array.from(s.data)).toEqual([1, 0, 0]);
    const l = logSoftmax(tensor([[1000, -1000]]), 1);
    expect(l.data[1]).toBe(-2000);
    expect(Array.from(sigmoid(tensor([-1000, 1000])).data)).toEqual([0, 1]);
  });
});
