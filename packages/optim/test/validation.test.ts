import { describe, expect, test } from "vitest";
import { Adam, AdamW, createOptimizer, RMSprop, SGD, type ParamLike } from "../src/index.js";
import { param, randomArray, rng, sameBits } from "./helpers.js";

const p3 = () => [param([1, 2, 3])];

describe("hyper-parameters", () => {
  test("defaults are PyTorch 1.13's", () => {
    expect(new SGD(p3(), { lr: 0.1 }).config).toEqual({ lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false });
    expect(new RMSprop(p3()).config).toEqual({ lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false });
    expect(new Adam(p3()).config).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false });
    expect(new AdamW(p3()).config).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false });
  });

  test.each([
    [() => new Adam(p3(), { lr: -1 }), "Adam: lr must be >= 0, got -1"],
    [() => new SGD(p3(), {} as { lr: number }), "SGD: lr is required"],
    [() => new SGD(p3(), { lr: 0.1, nesterov: true }), "SGD: nesterov requires momentum > 0 and dampening = 0"],
    [() => new SGD(p3(), { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }), "SGD: nesterov requires momentum > 0 and dampening = 0"],
    [() => new SGD(p3(), { lr: 0.1, momentum: -0.5 }), "SGD: momentum must be >= 0, got -0.5"],
    [() => new RMSprop(p3(), { alpha: -0.1 }), "RMSprop: alpha must be >= 0, got -0.1"],
    [() => new RMSprop(p3(), { eps: Number.NaN }), "RMSprop: eps must be a finite number, got NaN"],
    [() => new Adam(p3(), { betas: [1, 0.999] }), "Adam: betas[0] must be in [0, 1), got 1"],
    [() => new AdamW(p3(), { betas: [0.9, -0.1] }), "AdamW: betas[1] must be in [0, 1), got -0.1"],
    [() => new AdamW(p3(), { weightDecay: -1 }), "AdamW: weightDecay must be >= 0, got -1"],
    [() => new Adam(p3(), { amsgrad: 1 as unknown as boolean }), "Adam: amsgrad must be a boolean, got 1"],
    [() => new Adam(p3(), { weight_decay: 0.1 } as object), 'Adam: unknown option "weight_decay"'],
    [() => new Adam([]), "Adam: got an empty parameter list"],
    [() => { const p = param([1]); return new Adam([p, p]); }, "Adam: param 1 appears more than once"],
    [() => new Adam({ params: new Float32Array(3), grads: new Float32Array(2) }), "Adam: flat range has 3 params but 2 grads"],
    [() => new Adam(p3(), { allocState: (_n, len) => new Float32Array(len + 1) }), 'Adam: allocState("expAvg", 3) must return a Float32Array of length 3'],
    [() => createOptimizer("Adagrad" as "Adam", p3()), 'createOptimizer: unknown optimizer "Adagrad"'],
  ])("%#: throws a clear error", (make, message) => {
    expect(make).toThrow(message);
  });

  test("lr is settable and validated; the others are read-only", () => {
    const opt = new Adam(p3(), { lr: 0.01 });
    opt.lr = 0.5;
    expect(opt.lr).toBe(0.5);
    expect(opt.config.lr).toBe(0.5);
    expect(() => (opt.lr = -2)).toThrow("Adam: lr must be >= 0, got -2");
    expect(Object.isFrozen(opt.betas)).toBe(true);
  });

  test("a grad whose length differs from its param is an error at step", () => {
    const opt = new SGD([{ data: new Float32Array(3), grad: { data: new Float32Array(2) } }], { lr: 1 });
    expect(() => opt.step()).toThrow("SGD: param 0 has 3 elements but its grad has 2");
  });
});

describe("loadStateDict", () => {
  const saved = () => {
    const opt = new Adam(p3(), { lr: 0.01, amsgrad: true });
    opt.step();
    return opt.stateDict();
  };

  test("restores step and lr", () => {
    const s = saved();
    s.config.lr = 0.003;
    const opt = new Adam(p3(), { lr: 0.01, amsgrad: true });
    opt.loadStateDict(s);
    expect(opt.lr).toBe(0.003);
    expect(opt.stateDict().state.step).toBe(1);
  });

  test.each([
    ["another optimiser", (s: ReturnType<typeof saved>) => ({ ...s, type: "AdamW" }), "Adam: loadStateDict: the state dict is for AdamW, not Adam"],
    ["another hyper-parameter", (s: ReturnType<typeof saved>) => ({ ...s, config: { ...s.config, eps: 1e-6 } }), "Adam: loadStateDict: config.eps is 0.000001 but this Adam has 1e-8"],
    ["another length", (s: ReturnType<typeof saved>) => ({ ...s, state: { ...s.state, expAvg: new Float32Array(4) } }), "Adam: loadStateDict: state.expAvg has 4 elements, expected 3"],
    ["a missing array", (s: ReturnType<typeof saved>) => ({ ...s, state: { step: 1, expAvg: s.state.expAvg, expAvgSq: s.state.expAvgSq } }), "Adam: loadStateDict: state.maxExpAvgSq is missing"],
    ["an unknown array", (s: ReturnType<typeof saved>) => ({ ...s, state: { ...s.state, momentumBuffer: new Float32Array(3) } }), 'Adam: loadStateDict: unexpected state "momentumBuffer"'],
    ["a bad step", (s: ReturnType<typeof saved>) => ({ ...s, state: { ...s.state, step: 1.5 } }), "Adam: loadStateDict: state.step must be an integer >= 0, got 1.5"],
  ])("rejects %s and changes nothing", (_what, edit, message) => {
    const opt = new Adam(p3(), { lr: 0.01, amsgrad: true });
    const before = opt.stateDict();
    expect(() => opt.loadStateDict(edit(saved()))).toThrow(message);
    expect(opt.stateDict()).toEqual(before);
  });
});

describe("behaviour", () => {
  test.each([
    ["SGD", { lr: 0.1, momentum: 0.9 }],
    ["RMSprop", { centered: true, momentum: 0.3 }],
    ["Adam", { amsgrad: true }],
    ["AdamW", {}],
  ] as const)("%s: maximize equals minimising the negated gradient, bit for bit", (type, config) => {
    const next = rng(11);
    const init = randomArray(next, 9);
    const a = param(init);
    const b = param(init);
    const max = createOptimizer(type, [a], { ...config, maximize: true });
    const min = createOptimizer(type, [b], config);
    for (let k = 0; k < 4; k++) {
      const g = randomArray(next, 9);
      a.grad.data.set(g);
      b.grad.data.set(g.map((v) => -v));
      max.step();
      min.step();
    }
    expect(sameBits(a.data, b.data)).toBe(true);
  });

  test("SGD: the momentum buffer starts as the first gradient, without dampening", () => {
    const p = param([1]);
    const opt = new SGD([p], { lr: 1, momentum: 0.9, dampening: 0.5 });
    p.grad.data[0] = 2;
    opt.step();
    expect(opt.stateDict().state.momentumBuffer?.[0]).toBe(2);
    expect(p.data[0]).toBe(-1);
    opt.step(); // buf = 0.9·2 + 0.5·2 = 2.8
    expect(opt.stateDict().state.momentumBuffer?.[0]).toBeCloseTo(2.8, 6);
    expect(p.data[0]).toBeCloseTo(-3.8, 6);
  });

  test("Adam: first step moves each element by lr·sign(g) (bias correction)", () => {
    const p = param([0, 0, 0]);
    const opt = new Adam([p], { lr: 0.1 });
    p.grad.data.set([3, -0.5, 1e-3]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(-0.1, 6);
    expect(p.data[1]).toBeCloseTo(0.1, 6);
    expect(p.data[2]).toBeCloseTo(-0.1, 4);
  });

  test("float64 parameters (a weft Tensor in float64) step like float32 ones", () => {
    // A weft Tensor is structurally a ParamLike: data is Float32Array | Float64Array.
    const t: ParamLike = { data: Float64Array.of(0.5, -1), grad: { data: Float64Array.of(0.25, 2) } };
    const u = param([0.5, -1]);
    u.grad.data.set([0.25, 2]);
    new Adam([t], { lr: 0.1 }).step();
    new Adam([u], { lr: 0.1 }).step();
    expect(t.data[0]).toBeCloseTo(u.data[0], 6);
    expect(t.data[1]).toBeCloseTo(u.data[1], 6);
  });
});
