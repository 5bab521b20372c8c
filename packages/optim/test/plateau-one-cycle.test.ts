import { describe, expect, test } from "vitest";
import { Adam, OneCycleLR, ReduceLROnPlateau, RMSprop, SGD } from "../src/index.js";
import { param } from "./helpers.js";

const sgd = (lr: number, momentum = 0) => new SGD([param([0])], { lr, momentum });

function closeAll(got: number[], want: number[], digits = 12) {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g, `step ${i}`).toBeCloseTo(want[i], digits));
}

// Expected values by hand from torch/optim/lr_scheduler.py (ReduceLROnPlateau.step, is_better,
// _reduce_lr): reduce when num_bad_epochs > patience; new_lr = max(lr·factor, min_lr), applied
// only if lr − new_lr > eps; cooldown zeroes num_bad_epochs while cooldown_counter > 0.
describe("ReduceLROnPlateau", () => {
  const run = (s: ReduceLROnPlateau, metrics: number[]) =>
    metrics.map((m) => {
      s.step(m);
      return s.getLastLrs()[0];
    });

  test("patience 2, factor 0.5 (min, rel): reduces on the third epoch without improvement", () => {
    const opt = sgd(1);
    const s = new ReduceLROnPlateau(opt, { patience: 2, factor: 0.5 });
    expect(opt.lr).toBe(1); // nothing at construction
    expect(run(s, [10, 9, 9, 9, 9, 8, 8, 8, 8])).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]);
    expect(s.best).toBe(8);
  });

  test("defaults are PyTorch's: min, factor 0.1, patience 10, threshold 1e-4 rel, cooldown 0, minLr 0, eps 1e-8", () => {
    const s = new ReduceLROnPlateau(sgd(1));
    expect(s.config).toEqual({ mode: "min", factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: "rel", cooldown: 0, minLr: [0], eps: 1e-8 });
    expect(run(s, Array(12).fill(1))).toEqual([...Array(11).fill(1), 0.1]);
  });

  test("thresholds: rel needs a < best·(1 − 1e-4); abs needs a < best − threshold", () => {
    const rel = new ReduceLROnPlateau(sgd(1), { patience: 0 });
    rel.step(10);
    rel.step(9.9995); // 10·0.9999 = 9.999: not better → reduce
    expect(rel.best).toBe(10);
    expect(rel.getLastLrs()[0]).toBeCloseTo(0.1, 15);
    const abs = new ReduceLROnPlateau(sgd(1), { patience: 0, thresholdMode: "abs", threshold: 0.5 });
    abs.step(10);
    abs.step(9.6); // not < 9.5
    expect(abs.best).toBe(10);
    abs.step(9.4);
    expect(abs.best).toBe(9.4);
    expect(abs.isBetter(8.8, 9.4)).toBe(true);
  });

  test("mode max (an accuracy): improvement means larger, by best·(1 + threshold)", () => {
    const s = new ReduceLROnPlateau(sgd(1), { mode: "max", patience: 1, factor: 0.5 });
    expect(run(s, [0.5, 0.6, 0.6, 0.6, 0.7, 0.69, 0.69])).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
  });

  test("cooldown 2, patience 0: two epochs ignored after each reduction", () => {
    const s = new ReduceLROnPlateau(sgd(1), { patience: 0, cooldown: 2 });
    closeAll(run(s, [5, 5, 5, 5, 5, 5]), [1, 0.1, 0.1, 0.1, 0.01, 0.01]);
  });

  test("minLr (one, or per group) bounds the rate; a drop under eps is not applied; NaN is a bad epoch", () => {
    const s = new ReduceLROnPlateau(sgd(1), { patience: 0, minLr: 0.05 });
    closeAll(run(s, [1, 1, 1, 1]), [1, 0.1, 0.05, 0.05]);
    const tiny = new ReduceLROnPlateau(sgd(1e-8), { patience: 0 });
    expect(run(tiny, [1, 1])).toEqual([1e-8, 1e-8]); // 1e-8 − 1e-9 < eps
    const nan = new ReduceLROnPlateau(sgd(1), { patience: 0 });
    closeAll(run(nan, [1, Number.NaN]), [1, 0.1]);
    const opt = new SGD([{ params: [param([0])] }, { params: [param([0])], lr: 0.1 }], { lr: 1 });
    const two = new ReduceLROnPlateau(opt, { patience: 0, minLr: [0.5, 0] });
    two.step(1);
    two.step(1);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 0.1 * 0.1]);
  });

  test("state round-trip through JSON (best ±Infinity written as null) resumes exactly", () => {
    const metrics = [3, 2, 2, 2, 2, 1, 1, 1, 1, 1];
    const optA = sgd(1);
    const a = new ReduceLROnPlateau(optA, { patience: 1, cooldown: 1 });
    const fresh = JSON.parse(JSON.stringify(a.stateDict()));
    expect(fresh.best).toBeNull();
    new ReduceLROnPlateau(sgd(1), { patience: 1, cooldown: 1 }).loadStateDict(fresh);
    for (const m of metrics.slice(0, 4)) a.step(m);
    const saved = JSON.parse(JSON.stringify({ opt: optA.stateDict(), s: a.stateDict() }));
    const optB = sgd(1);
    const b = new ReduceLROnPlateau(optB, { patience: 1, cooldown: 1 });
    optB.loadStateDict(saved.opt);
    b.loadStateDict(saved.s);
    for (const m of metrics.slice(4)) {
      a.step(m);
      b.step(m);
      expect(optB.lr).toBe(optA.lr);
      expect(b.stateDict()).toEqual(a.stateDict());
    }
  });

  test.each([
    [() => new ReduceLROnPlateau(sgd(1), { factor: 1 }), "ReduceLROnPlateau: factor must be < 1, got 1"],
    [() => new ReduceLROnPlateau(sgd(1), { mode: "up" as "min" }), 'ReduceLROnPlateau: mode must be "min" or "max", got "up"'],
    [() => new ReduceLROnPlateau(sgd(1), { thresholdMode: "x" as "rel" }), 'ReduceLROnPlateau: thresholdMode must be "rel" or "abs"'],
    [() => new ReduceLROnPlateau(sgd(1), { minLr: [0, 0] }), "ReduceLROnPlateau: expected 1 minLr values (one per parameter group), got 2"],
    [() => new ReduceLROnPlateau(sgd(1), { patience: 1.5 }), "ReduceLROnPlateau: patience must be an integer >= 0, got 1.5"],
    [() => new ReduceLROnPlateau(sgd(1), { min_lr: 0 } as object), 'ReduceLROnPlateau: unknown option "min_lr"'],
    [() => new ReduceLROnPlateau(sgd(1)).step("1" as never), "ReduceLROnPlateau: step(metric) needs a number, got 1"],
    [() => new ReduceLROnPlateau(sgd(1)).loadStateDict({ ...new ReduceLROnPlateau(sgd(1), { patience: 3 }).stateDict() }), "ReduceLROnPlateau: loadStateDict: config.patience is 3 but this ReduceLROnPlateau has 10"],
  ])("%#: a clear error", (make, message) => {
    expect(make).toThrow(message);
  });
});

// Expected values by hand from torch/optim/lr_scheduler.py (OneCycleLR): initial = maxLr/divFactor,
// min = initial/finalDivFactor; phase ends pctStart·T − 1 and T − 1 (three-phase: pctStart·T − 1,
// 2·pctStart·T − 2, T − 1); pct = (step − start)/(end − start); _annealing_cos(a, b, pct) =
// b + (a − b)/2·(cos(π·pct) + 1); _annealing_linear(a, b, pct) = (b − a)·pct + a.
describe("OneCycleLR", () => {
  const cos = (a: number, b: number, pct: number) => b + ((a - b) / 2) * (Math.cos(Math.PI * pct) + 1);
  const lin = (a: number, b: number, pct: number) => (b - a) * pct + a;
  const trace = (s: OneCycleLR, opt: SGD, steps: number) => {
    const lr = [opt.lr];
    const mom = [opt.paramGroups[0].momentum];
    for (let k = 1; k < steps; k++) {
      s.step();
      lr.push(opt.lr);
      mom.push(opt.paramGroups[0].momentum);
    }
    return { lr, mom };
  };

  test("cos, maxLr 1, totalSteps 10 (defaults): 0.04 → 1 at step 2 → 4e-6 at step 9; momentum 0.95 → 0.85 → 0.95", () => {
    const opt = sgd(0.123, 0.9);
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 10 });
    const { lr, mom } = trace(s, opt, 10);
    const [i, m, lo] = [0.04, 1, 0.04 / 1e4];
    closeAll(lr, [i, cos(i, m, 0.5), m, ...[1, 2, 3, 4, 5, 6, 7].map((k) => cos(m, lo, k / 7))]);
    expect(lr[1]).toBeCloseTo(0.52, 15);
    expect(lr[9]).toBeCloseTo(4e-6, 18);
    closeAll(mom, [0.95, 0.9, 0.85, ...[1, 2, 3, 4, 5, 6, 7].map((k) => cos(0.85, 0.95, k / 7))]);
    expect(s.baseLrs).toEqual([0.04]);
    expect(opt.initialLr).toBe(0.04);
  });

  test("linear, epochs × stepsPerEpoch, pctStart 0.25, divFactor 10, finalDivFactor 100", () => {
    const opt = sgd(1, 0.9);
    const s = new OneCycleLR(opt, { maxLr: 2, epochs: 2, stepsPerEpoch: 4, pctStart: 0.25, annealStrategy: "linear", divFactor: 10, finalDivFactor: 100 });
    expect(s.totalSteps).toBe(8);
    const { lr } = trace(s, opt, 8);
    // Phase ends: 0.25·8 − 1 = 1 and 7.
    closeAll(lr, [0.2, 2, ...[1, 2, 3, 4, 5, 6].map((k) => lin(2, 0.002, k / 6))]);
  });

  test("threePhase: up to maxLr, back to initialLr, then down to minLr; momentum stays at max in phase 3", () => {
    const opt = sgd(1, 0.9);
    const s = new OneCycleLR(opt, { maxLr: 1, totalSteps: 10, threePhase: true });
    const { lr, mom } = trace(s, opt, 10);
    const [i, lo] = [0.04, 4e-6];
    // Ends 2, 4, 9.
    closeAll(lr, [i, 0.52, 1, 0.52, i, ...[1, 2, 3, 4, 5].map((k) => cos(i, lo, k / 5))]);
    closeAll(mom, [0.95, 0.9, 0.85, 0.9, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95]);
  });

  test("Adam: cycles betas[0], keeps betas[1]; per-group maxLr", () => {
    const opt = new Adam([{ params: [param([0])] }, { params: [param([0])], betas: [0.9, 0.99] }]);
    const s = new OneCycleLR(opt, { maxLr: [1, 0.5], totalSteps: 10 });
    expect(opt.paramGroups.map((g) => g.betas)).toEqual([[0.95, 0.999], [0.95, 0.99]]);
    closeAll(opt.paramGroups.map((g) => g.lr), [0.04, 0.02]);
    s.step();
    s.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([1, 0.5]);
    expect(opt.paramGroups[1].betas[0]).toBeCloseTo(0.85, 15);
    expect(opt.paramGroups[1].betas[1]).toBe(0.99);
    opt.step(); // the cycled betas are valid hyper-parameters
  });

  test("stepping past totalSteps is an error (PyTorch's), and changes nothing", () => {
    const s = new OneCycleLR(sgd(1, 0.9), { maxLr: 1, totalSteps: 3 });
    for (let k = 0; k < 3; k++) s.step(); // step 3 = totalSteps is allowed, as in PyTorch
    expect(() => s.step()).toThrow("OneCycleLR: tried to step 4 times; the specified number of total steps is 3");
    expect(s.lastEpoch).toBe(3);
  });

  test("state round-trip: resume after 4 steps gives the same rates and momenta", () => {
    const mk = () => new SGD([param([0])], { lr: 1, momentum: 0.9 });
    const optA = mk();
    const a = new OneCycleLR(optA, { maxLr: 1, totalSteps: 12 });
    for (let k = 0; k < 4; k++) a.step();
    const o = optA.stateDict();
    const state = Object.fromEntries(Object.entries(o.state).map(([k, v]) => [k, typeof v === "number" ? v : Array.from(v)]));
    const saved = JSON.parse(JSON.stringify({ opt: { ...o, state }, s: a.stateDict() }));
    const optB = mk();
    const b = new OneCycleLR(optB, { maxLr: 1, totalSteps: 12 });
    optB.loadStateDict(saved.opt);
    b.loadStateDict(saved.s);
    expect(optB.paramGroups[0].momentum).toBe(optA.paramGroups[0].momentum);
    for (let k = 0; k < 8; k++) {
      a.step();
      b.step();
      expect(optB.lr).toBe(optA.lr);
      expect(optB.paramGroups[0].momentum).toBe(optA.paramGroups[0].momentum);
    }
  });

  test.each([
    [() => new OneCycleLR(sgd(1, 0.9), { maxLr: 1 }), "OneCycleLR: you must define either totalSteps or (epochs and stepsPerEpoch)"],
    [() => new OneCycleLR(sgd(1, 0.9), { maxLr: 1, epochs: 2 }), "OneCycleLR: stepsPerEpoch must be an integer >= 1"],
    [() => new OneCycleLR(sgd(1, 0.9), { maxLr: 1, totalSteps: 0 }), "OneCycleLR: totalSteps must be an integer >= 1, got 0"],
    [() => new OneCycleLR(sgd(1, 0.9), { maxLr: 1, totalSteps: 5, pctStart: 1.5 }), "OneCycleLR: pctStart must be in [0, 1], got 1.5"],
    [() => new OneCycleLR(sgd(1, 0.9), { maxLr: 1, totalSteps: 5, annealStrategy: "exp" as "cos" }), 'OneCycleLR: annealStrategy must be "cos" or "linear"'],
    [() => new OneCycleLR(sgd(1, 0.9), { totalSteps: 5 } as never), "OneCycleLR: maxLr is required"],
    [() => new OneCycleLR(sgd(1, 0.9), { maxLr: [1, 2], totalSteps: 5 }), "OneCycleLR: expected 1 values of maxLr (one per parameter group), got 2"],
    [() => new OneCycleLR(sgd(1), { maxLr: 1, totalSteps: 5 }), "OneCycleLR: cycleMomentum needs momentum > 0 in every group, but param group 0 has momentum 0"],
    [() => new OneCycleLR(new RMSprop([param([0])]), { maxLr: 1, totalSteps: 5 }), "OneCycleLR: cycleMomentum needs momentum > 0 in every group"],
    [() => new OneCycleLR({ lr: 1 }, { maxLr: 1, totalSteps: 5 }), "OneCycleLR: cycleMomentum needs an optimizer with momentum (SGD, RMSprop) or betas (Adam, AdamW); pass cycleMomentum: false"],
  ])("%#: a clear error", (make, message) => {
    expect(make).toThrow(message);
  });

  test("cycleMomentum: false works with SGD without momentum and with a plain { lr }", () => {
    const opt = sgd(1);
    new OneCycleLR(opt, { maxLr: 1, totalSteps: 5, cycleMomentum: false });
    expect(opt.paramGroups[0].momentum).toBe(0);
    const plain = { lr: 1 };
    const s = new OneCycleLR(plain, { maxLr: 1, totalSteps: 10, cycleMomentum: false });
    s.step();
    expect(plain.lr).toBeCloseTo(0.52, 15);
  });
});
