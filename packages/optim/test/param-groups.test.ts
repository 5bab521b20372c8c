import { Linear, Sequential } from "@weft/layers";
import { BatchNorm1d } from "@weft/norm";
import { Tensor } from "@weft/tensor";
import { describe, expect, test } from "vitest";
import {
  Adam,
  AdamW,
  CosineAnnealingLR,
  createOptimizer,
  LinearLR,
  RMSprop,
  SGD,
  StepLR,
  type OptimizerType,
} from "../src/index.js";
import { param, randomArray, rng, sameBits } from "./helpers.js";

type P = ReturnType<typeof param>;

// Per optimiser: the constructor's options and two groups' overrides (mutable and fixed ones).
const rows: { type: OptimizerType; base: Record<string, unknown>; g0: Record<string, unknown>; g1: Record<string, unknown> }[] = [
  { type: "SGD", base: { lr: 0.1, momentum: 0.9, weightDecay: 1e-2 }, g0: {}, g1: { lr: 0.01, weightDecay: 0, dampening: 0.5 } },
  { type: "SGD", base: { lr: 0.1 }, g0: { momentum: 0.9, nesterov: true }, g1: { lr: 0.3 } },
  { type: "RMSprop", base: { lr: 0.01, centered: true }, g0: { momentum: 0.5 }, g1: { lr: 0.001, alpha: 0.9, centered: false, weightDecay: 0.1 } },
  { type: "Adam", base: { lr: 0.01, weightDecay: 1e-3 }, g0: { amsgrad: true }, g1: { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0, eps: 1e-6 } },
  { type: "AdamW", base: { lr: 0.01 }, g0: {}, g1: { lr: 0.002, weightDecay: 0, maximize: true } },
];

const SIZES = [[5, 1], [12, 7, 3]];

function makeGroups(seed: number): P[][] {
  const next = rng(seed);
  return SIZES.map((sizes) => sizes.map((n) => param(randomArray(next, n))));
}

function setGrads(groups: P[][], k: number) {
  const next = rng(1000 + k);
  for (const g of groups) for (const p of g) p.grad.data.set(randomArray(next, p.data.length));
}

const copy = (groups: P[][]) => groups.map((g) => g.map((p) => param(p.data)));

describe.each(rows)("$type with groups $g0 / $g1", ({ type, base, g0, g1 }) => {
  const grouped = (groups: P[][]) => createOptimizer(type, [{ params: groups[0], ...g0 }, { params: groups[1], ...g1 }], base);

  test("equals one optimiser per group (each with the group's options), bit for bit", () => {
    const a = makeGroups(1);
    const b = copy(a);
    const opt = grouped(a);
    const apart = [createOptimizer(type, b[0], { ...base, ...g0 }), createOptimizer(type, b[1], { ...base, ...g1 })];
    for (let k = 0; k < 4; k++) {
      setGrads(a, k);
      setGrads(b, k);
      opt.step();
      for (const o of apart) o.step();
    }
    a.flat().forEach((p, i) => expect(sameBits(p.data, b.flat()[i].data), `param ${i}`).toBe(true));
  });

  test("paramGroups: options default to the constructor's, the group's override them", () => {
    const opt = grouped(makeGroups(2));
    expect(opt.paramGroups.length).toBe(2);
    const d = opt.defaults as Record<string, unknown>;
    const g = opt.paramGroups as unknown as Record<string, unknown>[];
    for (const key of Object.keys(d)) {
      expect(g[0][key], key).toEqual(key in g0 ? g0[key] : d[key]);
      expect(g[1][key], key).toEqual(key in g1 ? g1[key] : d[key]);
    }
    expect(opt.paramGroups[1].params.length).toBe(3);
    expect(opt.config).toEqual(opt.defaults); // several groups: config is the constructor's
  });

  test("state round-trip per group: save (JSON) after 3 steps with group 1's lr changed, load, next steps identical", () => {
    const a = makeGroups(3);
    const optA = grouped(a);
    for (let k = 0; k < 3; k++) {
      setGrads(a, k);
      optA.step();
    }
    optA.paramGroups[1].lr *= 0.5;
    const saved = optA.stateDict();
    expect(saved.paramGroups?.map((g) => g.params)).toEqual([[0, 1], [2, 3, 4]]);
    const json = JSON.parse(JSON.stringify({ ...saved, state: Object.fromEntries(Object.entries(saved.state).map(([k, v]) => [k, typeof v === "number" ? v : Array.from(v)])) }));
    const b = copy(a);
    const optB = grouped(b);
    optB.loadStateDict(json);
    expect(optB.paramGroups[1].lr).toBe(optA.paramGroups[1].lr);
    for (let k = 3; k < 6; k++) {
      setGrads(a, k);
      setGrads(b, k);
      optA.step();
      optB.step();
    }
    a.flat().forEach((p, i) => expect(sameBits(p.data, b.flat()[i].data)).toBe(true));
    const [sa, sb] = [optA.stateDict().state, optB.stateDict().state] as Record<string, number | Float32Array>[];
    for (const key of Object.keys(sa)) if (key !== "step") expect(sameBits(sb[key] as Float32Array, sa[key] as Float32Array)).toBe(true);
  });

  test("loadStateDict rejects another group layout or a group's fixed hyper-parameter, changing nothing", () => {
    const a = makeGroups(4);
    const opt = grouped(a);
    setGrads(a, 0);
    opt.step();
    const saved = opt.stateDict();
    const other = createOptimizer(type, a.flat().map((p) => param(p.data)), base);
    expect(() => other.loadStateDict(saved)).toThrow(`${type}: loadStateDict: the state dict has 2 parameter groups but this ${type} has 1`);
    const fresh = grouped(copy(a));
    const before = fresh.stateDict();
    const groups = saved.paramGroups as unknown as Record<string, unknown>[];
    const edited = { ...saved, paramGroups: [groups[0], { ...groups[1], maximize: !groups[1].maximize }] };
    expect(() => fresh.loadStateDict(edited as never)).toThrow(`${type}: loadStateDict: paramGroups[1].maximize is`);
    const moved = { ...saved, paramGroups: [{ ...groups[0], params: [0] }, groups[1]] };
    expect(() => fresh.loadStateDict(moved as never)).toThrow(`${type}: loadStateDict: paramGroups[0].params must be the indices 0..1`);
    expect(() => grouped(copy(a)).loadStateDict({ ...saved, paramGroups: undefined })).toThrow("the state dict is for one parameter group");
    expect(fresh.stateDict()).toEqual(before);
  });
});

describe("parameter groups", () => {
  test("no weight decay on biases and norm weights (a weft model): grouped equals one optimiser per group", () => {
    const make = () => {
      const m = new Sequential(new Linear(3, 4), new BatchNorm1d(4), new Linear(4, 2));
      m.parameters().forEach((p, i) => {
        p.data.fill(0.1 * (i + 1));
        p.grad = new Tensor(p.data.map((_, j) => 0.01 * (j + 1) * (i % 2 === 0 ? 1 : -1)), p.shape);
      });
      return m;
    };
    // Biases and the BatchNorm's affine weight and bias: every 1-D parameter.
    const split = (m: Sequential) => ({
      decay: m.parameters().filter((p) => p.shape.length !== 1),
      noDecay: m.parameters().filter((p) => p.shape.length === 1),
    });
    const a = split(make());
    const b = split(make());
    expect(a.noDecay.length).toBe(4);
    const opt = new AdamW([{ params: a.decay }, { params: a.noDecay, weightDecay: 0 }], { lr: 0.1, weightDecay: 0.5 });
    const ref = [new AdamW(b.decay, { lr: 0.1, weightDecay: 0.5 }), new AdamW(b.noDecay, { lr: 0.1, weightDecay: 0 })];
    for (let k = 0; k < 3; k++) {
      opt.step();
      for (const o of ref) o.step();
    }
    [...a.decay, ...a.noDecay].forEach((p, i) => expect(sameBits(p.data as Float32Array, [...b.decay, ...b.noDecay][i].data as Float32Array)).toBe(true));

    // With SGD and a zero gradient, only the decayed weights move.
    const c = split(make());
    const sgd = new SGD([{ params: c.decay }, { params: c.noDecay, weightDecay: 0 }], { lr: 0.1, weightDecay: 0.5 });
    sgd.zeroGrad();
    const [w, bias] = [c.decay[0].data.slice(), c.noDecay[0].data.slice()];
    sgd.step();
    expect(c.decay[0].data[0]).toBeCloseTo(w[0] * (1 - 0.1 * 0.5), 6);
    expect(sameBits(c.noDecay[0].data as Float32Array, bias as Float32Array)).toBe(true);
  });

  test("LR schedules act on every group, each from its own initial lr (PyTorch's base_lrs)", () => {
    const ps = [param([1]), param([2])];
    const opt = new SGD([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.1 }], { lr: 1 });
    const s = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    expect(s.baseLrs).toEqual([1, 0.1]);
    const seen: number[][] = [s.getLastLrs()];
    for (let e = 1; e < 5; e++) {
      s.step();
      seen.push(opt.paramGroups.map((g) => g.lr));
    }
    expect(seen).toEqual([[1, 0.1], [1, 0.1], [0.5, 0.05], [0.5, 0.05], [0.25, 0.025]]);
    expect(() => s.getLastLr()).toThrow("StepLR: getLastLr() with 2 parameter groups; use getLastLrs()");
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([1, 0.1]);

    const opt2 = new Adam([{ params: [param([0])], lr: 2 }, { params: [param([0])] }], { lr: 1 });
    new LinearLR(opt2, { startFactor: 0.5, totalIters: 2 });
    expect(opt2.paramGroups.map((g) => g.lr)).toEqual([1, 0.5]);
    const cos = new CosineAnnealingLR(opt2, { tMax: 2 });
    expect(cos.baseLrs).toEqual([2, 1]); // the initial lrs, set by the first scheduler
    cos.step();
    expect(opt2.paramGroups.map((g) => g.lr)).toEqual([1, 0.5]);
  });

  test("scheduler state round-trip over two groups", () => {
    const mk = () => new SGD([{ params: [param([1])] }, { params: [param([2])], lr: 0.2 }], { lr: 1 });
    const optA = mk();
    const a = new StepLR(optA, { stepSize: 1, gamma: 0.5 });
    a.step();
    a.step();
    const saved = JSON.parse(JSON.stringify({ opt: optA.stateDict(), sched: a.stateDict() }));
    const optB = mk();
    const b = new StepLR(optB, { stepSize: 1, gamma: 0.5 });
    optB.loadStateDict(saved.opt);
    b.loadStateDict(saved.sched);
    expect(b.getLastLrs()).toEqual(a.getLastLrs());
    a.step();
    b.step();
    expect(optB.paramGroups.map((g) => g.lr)).toEqual(optA.paramGroups.map((g) => g.lr));
    expect(() => new StepLR(new SGD([param([0])], { lr: 1 }), { stepSize: 1, gamma: 0.5 }).loadStateDict(saved.sched)).toThrow("StepLR: loadStateDict: baseLrs must be an array of 1 numbers");
  });

  test("flat ranges as groups: two ranges of one buffer with the same options equal one optimiser over the whole", () => {
    const next = rng(5);
    const pa = randomArray(next, 10);
    const ga = randomArray(next, 10);
    const pb = pa.slice();
    const one = new Adam({ params: pa, grads: ga }, { lr: 0.1 });
    const two = new Adam([{ params: { params: pb.subarray(0, 4), grads: ga.subarray(0, 4) } }, { params: { params: pb.subarray(4), grads: ga.subarray(4) } }], { lr: 0.1 });
    one.step();
    two.step();
    expect(sameBits(pa, pb)).toBe(true);
    expect(sameBits(one.stateDict().state.expAvg, two.stateDict().state.expAvg)).toBe(true);
  });

  test("one group: the state dict is exactly as before groups (no paramGroups key); opt.lr works", () => {
    const opt = new Adam([param([1, 2])], { lr: 0.1 });
    expect(Object.keys(opt.stateDict()).sort()).toEqual(["config", "state", "type"]);
    opt.lr = 0.2;
    expect(opt.paramGroups[0].lr).toBe(0.2);
    const single = new Adam([{ params: [param([1])], lr: 0.3 }]);
    expect(single.lr).toBe(0.3);
    expect(single.config.lr).toBe(0.3);
  });

  test("mutable hyper-parameters (lr, momentum, betas) change between steps; fixed ones may not", () => {
    const p = param([1]);
    p.grad.data[0] = 1;
    const sgd = new SGD([{ params: [p], momentum: 0.9 }], { lr: 0.1 });
    sgd.paramGroups[0].momentum = 0.5;
    sgd.step();
    sgd.paramGroups[0].weightDecay = 0.1;
    expect(() => sgd.step()).toThrow("SGD: weightDecay changed from 0 to 0.1; only lr, momentum may change after construction");
    sgd.paramGroups[0].weightDecay = 0;
    sgd.paramGroups[0].momentum = 0;
    expect(() => sgd.step()).toThrow("SGD: momentum cannot change to 0 after construction");
    const adam = new Adam([{ params: [param([1])] }, { params: [param([2])] }]);
    adam.paramGroups[1].betas = [0.85, 0.999];
    adam.step(); // no grads: nothing, but valid
    adam.paramGroups[1].betas = [1, 0.999];
    expect(() => adam.step()).toThrow("Adam: param group 1: betas[0] must be in [0, 1), got 1");
    adam.paramGroups[0].lr = -1;
    expect(() => adam.step()).toThrow("Adam: param group 0: lr must be >= 0, got -1");
  });

  test.each([
    [() => new Adam([{ params: [param([1])], weight_decay: 0 } as never]), 'Adam: param group 0: unknown option "weight_decay"'],
    [() => new Adam([{ params: [param([1])], allocState: () => new Float32Array(1) } as never]), 'Adam: param group 0: unknown option "allocState"'],
    [() => new SGD([{ params: [param([1])] }, { params: [param([1])], momentum: -1 }], { lr: 1 }), "SGD: param group 1: momentum must be >= 0, got -1"],
    [() => new SGD([{ params: [param([1])], nesterov: true }], { lr: 1 }), "SGD: param group 0: nesterov requires momentum > 0"],
    [() => new Adam([{ params: [] }]), "Adam: param group 0: got an empty parameter list"],
    [
      () => {
        const p = param([1]);
        return new Adam([{ params: [p] }, { params: [param([2]), p] }]);
      },
      "Adam: param 1 of param group 1 appears more than once in the parameter groups (also param 0 of param group 0)",
    ],
    [() => new Adam([{ params: [param([1])] }, param([2])] as never), "Adam: the list mixes parameters and parameter groups"],
    [() => new Adam([{ params: [param([1])] }, { params: [param([2])] }]).lr, "Adam: lr is per parameter group and this optimiser has 2; use paramGroups[i].lr"],
    [() => new RMSprop([{ params: [param([1])], centered: 1 } as never]), "RMSprop: param group 0: centered must be a boolean, got 1"],
  ])("%#: a clear error", (make, message) => {
    expect(make).toThrow(message);
  });
});

