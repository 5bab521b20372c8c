// Tests of the runnable examples' exported functions (the scripts print only when run directly).
import { describe, expect, it } from "vitest";
import { descend } from "./gradient-descent-1d.mjs";
import { DEFAULTS, INPUTS, TARGETS, trainByAutograd, trainByHand } from "./xor.mjs";
import { TRUE_B, TRUE_W, compareVariants } from "./gradient-descent-variants.mjs";
import { DEFAULTS as MLP_DEFAULTS, ResidualMLP, train } from "./residual-mlp.mjs";
import { Rng } from "@weft/tensor";
import { DEFAULTS as LM_DEFAULTS, NAMES, sample, train as trainLm } from "./tiny-transformer.mjs";

describe("gradient-descent-1d: f(x) = x² from x = 5", () => {
  it("η = 0.1 gives the table 5 → 4 → 3.2 → 2.56 → 2.048 (each step × 0.8)", () => {
    const xs = descend(5, 0.1, 10);
    expect(xs).toHaveLength(11);
    [5, 4, 3.2, 2.56, 2.048].forEach((v, k) => expect(Math.abs(xs[k] - v)).toBeLessThan(1e-6));
    xs.slice(1).forEach((x, k) => expect(Math.abs(x - 5 * 0.8 ** (k + 1))).toBeLessThan(1e-6));
  });

  it("η = 1.1 diverges: |x| grows every step (by 1.2), alternating sign", () => {
    const xs = descend(5, 1.1, 10);
    for (let k = 1; k < xs.length; k++) {
      expect(Math.abs(xs[k])).toBeGreaterThan(Math.abs(xs[k - 1]));
      expect(Math.abs(xs[k] / xs[k - 1] + 1.2)).toBeLessThan(1e-9);
    }
    expect(Math.abs(xs[10])).toBeGreaterThan(30);
  });

  it("η = 0.5 lands on the minimum in one step; η = 1 oscillates forever", () => {
    expect(descend(5, 0.5, 2)).toEqual([5, 0, 0]);
    expect(descend(5, 1, 3)).toEqual([5, -5, 5, -5]);
  });
});

describe("xor: a 2-2-1 sigmoid net", () => {
  const hand = trainByHand(DEFAULTS);
  const auto = trainByAutograd(DEFAULTS);

  it.each([
    ["hand-written backprop", hand],
    ["autograd + SGD", auto],
  ])("%s predicts within 0.1 of [0, 1, 1, 0]", (_, result) => {
    expect(result.predictions).toHaveLength(INPUTS.length);
    result.predictions.forEach((y, i) => expect(Math.abs(y - TARGETS[i])).toBeLessThan(0.1));
    expect(result.losses[result.losses.length - 1]).toBeLessThan(result.losses[0] / 100);
  });

  it("the hand-written chain rule and autograd take the same steps (float64 vs float32: within 1e-4)", () => {
    for (const e of [0, 1, 10, 100, 500, DEFAULTS.epochs - 1]) expect(Math.abs(hand.losses[e] - auto.losses[e])).toBeLessThan(1e-4);
    hand.predictions.forEach((y, i) => expect(Math.abs(y - auto.predictions[i])).toBeLessThan(1e-3));
  });
});

describe("gradient-descent-variants: batch vs mini-batch vs stochastic", () => {
  const results = compareVariants();

  it("runs the three variants with 1, 8 and 256 steps per epoch", () => {
    expect(results.map((r) => r.name)).toEqual(["batch", "mini-batch", "stochastic"]);
    expect(results.map((r) => r.steps / r.losses.length)).toEqual([1, 8, 256]);
  });

  it.each(["batch", "mini-batch", "stochastic"])("%s converges to w ≈ 3, b ≈ −2 (within 0.1)", (name) => {
    const r = results.find((v) => v.name === name);
    expect(Math.abs(r.w - TRUE_W)).toBeLessThan(0.1);
    expect(Math.abs(r.b - TRUE_B)).toBeLessThan(0.1);
    // the loss reaches the noise floor (noise std 0.1 → MSE ≈ 0.01)
    expect(r.losses[r.losses.length - 1]).toBeLessThan(0.012);
    expect(r.losses[r.losses.length - 1]).toBeLessThan(r.losses[0]);
  });

  it("batch gradient descent decreases the loss every epoch (exact gradients, small enough η)", () => {
    const { losses } = results[0];
    for (let e = 1; e < losses.length; e++) expect(losses[e]).toBeLessThanOrEqual(losses[e - 1]);
  });

  it("is deterministic: same seed, same losses", () => {
    expect(compareVariants().map((r) => r.losses)).toEqual(results.map((r) => r.losses));
  });
});

describe("residual-mlp: a custom Module with its children as plain properties", () => {
  const result = train(MLP_DEFAULTS);

  it("registers the properties, in assignment order, with PyTorch's keys (blocks through the ModuleList)", () => {
    const block = (i) => ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"].map((k) => `blocks.${i}.${k}`);
    expect(Object.keys(result.model.stateDict())).toEqual(["inp.weight", "inp.bias", ...block(0), ...block(1), "head.weight", "head.bias"]);
    expect(Object.keys(new ResidualMLP(2, 4, 3, { depth: 3, rng: new Rng(0) }).stateDict())).toHaveLength(2 + 3 * 4 + 2);
  });

  it("trains: every parameter moves, the loss falls below a tenth, the points are classified", () => {
    const fresh = new ResidualMLP(2, MLP_DEFAULTS.hidden, 3, { rng: new Rng(MLP_DEFAULTS.seed) });
    const trained = result.model.parameters();
    fresh.parameters().forEach((p, i) => expect(Array.from(trained[i].data)).not.toEqual(Array.from(p.data)));
    expect(result.losses[result.losses.length - 1]).toBeLessThan(result.losses[0] / 10);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it("is deterministic: same seed, same losses", () => {
    expect(train({ ...MLP_DEFAULTS, steps: 20 }).losses).toEqual(result.losses.slice(0, 20));
  });
});

describe("tiny-transformer: a character-level language model on names", () => {
  const { model, chars, losses } = trainLm({ ...LM_DEFAULTS, steps: 150 });
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;

  it("starts near uniform over the characters and learns the names (loss well below it)", () => {
    expect(Math.abs(mean(losses.slice(0, 5)) - Math.log(chars.length))).toBeLessThan(0.6);
    expect(mean(losses.slice(-10))).toBeLessThan(1.6);
  });

  it("samples names of its characters, the same ones for the same seed", () => {
    const a = sample(model, chars, { count: 6, seed: 3 });
    expect(a).toEqual(sample(model, chars, { count: 6, seed: 3 }));
    expect(a).not.toEqual(sample(model, chars, { count: 6, seed: 4 }));
    for (const n of a) expect(n).toMatch(/^[a-z]*$/);
    // Name-like lengths: the end-of-name character has been learnt (names here are 3 to 9 letters).
    const lengths = sample(model, chars, { count: 20, seed: 5 }).map((n) => n.length);
    expect(mean(lengths)).toBeGreaterThan(2);
    expect(mean(lengths)).toBeLessThan(12);
    expect(NAMES.length).toBe(40);
  });
});
