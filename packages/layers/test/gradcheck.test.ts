/**
 * Finite-difference gradient checks (float64, @weft/tensor's gradcheck: central differences,
 * eps 1e-6, |analytic − numeric| ≤ 1e-5 + 1e-3·|numeric|) for every layer, loss and l1Penalty.
 */
import { describe, expect, it } from "vitest";
import { Rng, Tensor, gradcheck, linear } from "@weft/tensor";
import {
  Dropout, GELU, LeakyReLU, Linear, Module, ReLU, Sigmoid, Softmax, Tanh,
  bceLoss, bceWithLogitsLoss, crossEntropyLoss, l1Penalty, mseLoss, type Reduction,
} from "../src/index.js";
import { input64, probabilities64, uniform64 } from "./helpers.js";

const rng = new Rng(2024);

/**
 * Runs the Linear *module* on float64 parameters: gradcheck copies its inputs, so the copies
 * are swapped into the layer's fields before each forward (the layer reads `this.weight`/`this.bias`).
 */
function linearModule(layer: Linear): (x: Tensor, w: Tensor, b?: Tensor) => Tensor {
  return (x, w, b) => {
    Object.assign(layer, { weight: w, bias: b ?? null });
    return layer.forward(x);
  };
}

describe("gradcheck: Linear", () => {
  it.each([
    ["with bias", true],
    ["without bias", false],
  ])("module %s: dx, dW, db", (_, bias) => {
    const layer = new Linear(4, 3, { bias, rng: new Rng(1) });
    const inputs = [input64(rng, [5, 4]), input64(rng, [3, 4])];
    if (bias) inputs.push(input64(rng, [3]));
    expect(gradcheck(linearModule(layer), inputs)).toBe(true);
  });

  it.each([
    ["with bias", true],
    ["without bias", false],
  ])("functional linear(x, w, b) %s", (_, bias) => {
    const inputs = [input64(rng, [2, 6]), input64(rng, [5, 6])];
    if (bias) inputs.push(input64(rng, [5]));
    expect(gradcheck((x, w, b) => linear(x, w, b), inputs)).toBe(true);
  });

  it("gradcheck with only the weight requiring grad (the input gets no gradient)", () => {
    const x = input64(rng, [3, 4], false);
    expect(gradcheck((xx, w) => linear(xx, w), [x, input64(rng, [2, 4])])).toBe(true);
  });
});

const ACTIVATIONS: [string, () => Module, number[]][] = [
  ["ReLU", () => new ReLU(), [4, 5]],
  ["Sigmoid", () => new Sigmoid(), [4, 5]],
  ["Tanh", () => new Tanh(), [4, 5]],
  ["LeakyReLU (default slope 0.01)", () => new LeakyReLU(), [4, 5]],
  ["LeakyReLU (slope 0.2)", () => new LeakyReLU(0.2), [4, 5]],
  ["GELU (exact, erf)", () => new GELU(), [4, 5]],
  ["GELU (tanh approximation)", () => new GELU({ approximate: "tanh" }), [4, 5]],
  ["Softmax(dim 1)", () => new Softmax(1), [3, 6]],
  ["Softmax(dim 0)", () => new Softmax(0), [3, 6]],
  ["Softmax(dim -1) on 3-D", () => new Softmax(-1), [2, 3, 4]],
];

describe.each(ACTIVATIONS)("gradcheck: %s", (_, make, shape) => {
  it("dx matches finite differences", () => {
    const m = make();
    expect(gradcheck((x) => m.forward(x), [input64(rng, shape)])).toBe(true);
  });
});

describe("gradcheck: Dropout (a fixed mask: the generator is re-seeded for every evaluation)", () => {
  it.each([0.1, 0.5, 0.9])("p = %s", (p) => {
    const d = new Dropout(p);
    const fn = (x: Tensor): Tensor => {
      d.rng = new Rng(99);
      return d.forward(x);
    };
    expect(gradcheck(fn, [input64(rng, [6, 7])])).toBe(true);
  });

  it("eval mode (identity)", () => {
    const d = new Dropout(0.5).eval();
    expect(gradcheck((x) => d.forward(x).mul(1), [input64(rng, [3, 3])])).toBe(true);
  });
});

const REDUCTIONS: Reduction[] = ["mean", "sum", "none"];

/** [name, inputs (first requires grad), fn] for each loss; the target is a constant in the closure. */
type LossCase = [string, () => Tensor[], (reduction: Reduction) => (x: Tensor) => Tensor];

const LOSSES: LossCase[] = [
  ["mseLoss", () => [input64(rng, [4, 3])], (reduction) => {
    const y = input64(rng, [4, 3], false);
    return (x) => mseLoss(x, y, { reduction });
  }],
  ["bceLoss (probabilities in [0.05, 0.95])", () => [uniform64(rng, [4, 3], 0.05, 0.95, true)], (reduction) => {
    const y = uniform64(rng, [4, 3], 0, 1);
    return (x) => bceLoss(x, y, { reduction });
  }],
  ["bceLoss (hard 0/1 targets)", () => [uniform64(rng, [6], 0.05, 0.95, true)], (reduction) => {
    const y = new Tensor(Float64Array.from([0, 1, 1, 0, 1, 0]), [6]);
    return (x) => bceLoss(x, y, { reduction });
  }],
  ["bceWithLogitsLoss", () => [input64(rng, [4, 3])], (reduction) => {
    const y = uniform64(rng, [4, 3], 0, 1);
    return (x) => bceWithLogitsLoss(x, y, { reduction });
  }],
  ["bceWithLogitsLoss (logits ±8)", () => [uniform64(rng, [8], -8, 8, true)], (reduction) => {
    const y = new Tensor(Float64Array.from([0, 1, 1, 0, 1, 0, 0.5, 0.25]), [8]);
    return (x) => bceWithLogitsLoss(x, y, { reduction });
  }],
  ["crossEntropyLoss (class indices, number[])", () => [input64(rng, [5, 4])], (reduction) => {
    return (x) => crossEntropyLoss(x, [0, 3, 1, 2, 3], { reduction });
  }],
  ["crossEntropyLoss (class indices, Int32Array)", () => [input64(rng, [3, 5])], (reduction) => {
    return (x) => crossEntropyLoss(x, Int32Array.from([4, 0, 2]), { reduction });
  }],
  ["crossEntropyLoss (class indices, tensor [N])", () => [input64(rng, [3, 5])], (reduction) => {
    const y = new Tensor(Float32Array.from([1, 1, 4]), [3]);
    return (x) => crossEntropyLoss(x, y, { reduction });
  }],
  ["crossEntropyLoss (class probabilities)", () => [input64(rng, [4, 3])], (reduction) => {
    const q = probabilities64(rng, 4, 3);
    return (x) => crossEntropyLoss(x, q, { reduction });
  }],
  ["crossEntropyLoss (class indices, labelSmoothing 0.1)", () => [input64(rng, [5, 4])], (reduction) => {
    return (x) => crossEntropyLoss(x, [0, 3, 1, 2, 3], { reduction, labelSmoothing: 0.1 });
  }],
  ["crossEntropyLoss (class probabilities, labelSmoothing 0.25)", () => [input64(rng, [4, 3])], (reduction) => {
    const q = probabilities64(rng, 4, 3);
    return (x) => crossEntropyLoss(x, q, { reduction, labelSmoothing: 0.25 });
  }],
];

describe.each(LOSSES)("gradcheck: %s", (_, inputs, make) => {
  it.each(REDUCTIONS)("reduction %s", (reduction) => {
    expect(gradcheck(make(reduction), inputs())).toBe(true);
  });
});

describe("gradcheck: l1Penalty", () => {
  it("λ·Σ|p| over several parameters of different shapes", () => {
    const fn = (a: Tensor, b: Tensor, c: Tensor): Tensor => l1Penalty([a, b, c], 0.03);
    expect(gradcheck(fn, [input64(rng, [3, 4]), input64(rng, [4]), input64(rng, [2, 2, 2])])).toBe(true);
  });

  it("added to a loss: d(loss + λ·Σ|W|)/dW", () => {
    const x = input64(rng, [4, 3], false);
    const y = input64(rng, [4, 2], false);
    const fn = (w: Tensor, b: Tensor): Tensor => mseLoss(linear(x, w, b), y).add(l1Penalty([w], 0.1));
    expect(gradcheck(fn, [input64(rng, [2, 3]), input64(rng, [2])])).toBe(true);
  });
});
