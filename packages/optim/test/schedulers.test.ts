import { describe, expect, test } from "vitest";
import { CosineAnnealingLR, ExponentialLR, LinearLR, SGD, StepLR, type LRScheduler } from "../src/index.js";
import { param } from "./helpers.js";

const sgd = (lr: number) => new SGD([param([0])], { lr });

/** The lr after construction (epoch 0) and after each of `epochs - 1` steps; checks the optimiser follows. */
function lrs(scheduler: LRScheduler, epochs: number): number[] {
  const out = [scheduler.getLastLr()];
  for (let e = 1; e < epochs; e++) {
    scheduler.step();
    expect(scheduler.optimizer.lr).toBe(scheduler.getLastLr());
    out.push(scheduler.getLastLr());
  }
  return out;
}

function expectClose(got: number[], want: number[]) {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(g, `epoch ${i}`).toBeCloseTo(want[i], 12));
}

// Expected values derived by hand from PyTorch 1.13's formulas (torch/optim/lr_scheduler.py).
describe("LR schedules, epoch by epoch", () => {
  test("StepLR(stepSize 2, gamma 0.1) from 1: 1, 1, 0.1, 0.1, 0.01", () => {
    expectClose(lrs(new StepLR(sgd(1), { stepSize: 2, gamma: 0.1 }), 5), [1, 1, 0.1, 0.1, 0.01]);
  });

  test("StepLR(stepSize 3) with the default gamma 0.1 from 0.5", () => {
    expectClose(lrs(new StepLR(sgd(0.5), { stepSize: 3 }), 7), [0.5, 0.5, 0.5, 0.05, 0.05, 0.05, 0.005]);
  });

  test("ExponentialLR(gamma 0.5) from 1: 1, 0.5, 0.25, 0.125", () => {
    expectClose(lrs(new ExponentialLR(sgd(1), { gamma: 0.5 }), 4), [1, 0.5, 0.25, 0.125]);
  });

  test("CosineAnnealingLR(tMax 4) from 1: 1, (1+√½)/2, ½, (1−√½)/2, 0, then back up", () => {
    const h = Math.SQRT1_2;
    expectClose(lrs(new CosineAnnealingLR(sgd(1), { tMax: 4 }), 7), [1, (1 + h) / 2, 0.5, (1 - h) / 2, 0, (1 - h) / 2, 0.5]);
  });

  test("CosineAnnealingLR(tMax 2, etaMin 0.1) from 1: 1, 0.55, 0.1", () => {
    expectClose(lrs(new CosineAnnealingLR(sgd(1), { tMax: 2, etaMin: 0.1 }), 3), [1, 0.55, 0.1]);
  });

  test("LinearLR defaults (1/3 → 1 over 5) from 0.3: 0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3", () => {
    const opt = sgd(0.3);
    const s = new LinearLR(opt);
    expect(opt.lr).toBeCloseTo(0.1, 15); // applied at construction, as PyTorch does
    expectClose(lrs(s, 7), [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3]);
  });

  test("LinearLR(0.5 → 1 over 2) from 2: 1, 1.5, 2, 2", () => {
    expectClose(lrs(new LinearLR(sgd(2), { startFactor: 0.5, totalIters: 2 }), 4), [1, 1.5, 2, 2]);
  });

  test("LinearLR as a decay (1 → 0.5 over 4) from 1: 1, 0.875, 0.75, 0.625, 0.5, 0.5", () => {
    expectClose(lrs(new LinearLR(sgd(1), { startFactor: 1, endFactor: 0.5, totalIters: 4 }), 6), [1, 0.875, 0.75, 0.625, 0.5, 0.5]);
  });

  test("a second scheduler starts from the optimiser's initialLr, as PyTorch's initial_lr", () => {
    const opt = sgd(1);
    new LinearLR(opt);
    expect(opt.lr).toBeCloseTo(1 / 3, 15);
    const cos = new CosineAnnealingLR(opt, { tMax: 10 });
    expect(opt.initialLr).toBe(1);
    expect(cos.baseLr).toBe(1);
  });
});

describe.each([
  ["StepLR", (o: SGD) => new StepLR(o, { stepSize: 2, gamma: 0.5 })],
  ["ExponentialLR", (o: SGD) => new ExponentialLR(o, { gamma: 0.9 })],
  ["CosineAnnealingLR", (o: SGD) => new CosineAnnealingLR(o, { tMax: 5, etaMin: 0.01 })],
  ["LinearLR", (o: SGD) => new LinearLR(o, { startFactor: 0.25, totalIters: 6 })],
] as const)("%s state dict", (_name, make) => {
  test("round-trip: resume after 3 epochs gives the same rates", () => {
    const optA = sgd(1);
    const a = make(optA);
    for (let e = 0; e < 3; e++) a.step();
    const saved = JSON.parse(JSON.stringify({ opt: optA.stateDict(), sched: a.stateDict() }));
    const optB = sgd(1);
    const b = make(optB);
    optB.loadStateDict(saved.opt);
    b.loadStateDict(saved.sched);
    expect(b.lastEpoch).toBe(3);
    expect(b.getLastLr()).toBe(a.getLastLr());
    for (let e = 0; e < 5; e++) {
      a.step();
      b.step();
      expect(optB.lr).toBe(optA.lr);
    }
  });

  test("rejects another scheduler's state", () => {
    const s = make(sgd(1));
    expect(() => s.loadStateDict({ ...s.stateDict(), type: "Other" })).toThrow(`${s.type}: loadStateDict: the state dict is for Other, not ${s.type}`);
  });
});

describe("scheduler options", () => {
  test.each([
    [() => new StepLR(sgd(1), { stepSize: 0 }), "StepLR: stepSize must be an integer >= 1, got 0"],
    [() => new ExponentialLR(sgd(1), {} as { gamma: number }), "ExponentialLR: gamma is required"],
    [() => new CosineAnnealingLR(sgd(1), { tMax: 0 }), "CosineAnnealingLR: tMax must be > 0, got 0"],
    [() => new LinearLR(sgd(1), { startFactor: 0 }), "LinearLR: startFactor must be in (0, 1], got 0"],
    [() => new LinearLR(sgd(1), { endFactor: 1.5 }), "LinearLR: endFactor must be in [0, 1], got 1.5"],
    [() => new StepLR(sgd(1), { stepSize: 2, gama: 0.5 } as object as { stepSize: number }), 'StepLR: unknown option "gama"'],
    [() => new StepLR({} as never, { stepSize: 1 }), "StepLR: expected an optimizer with a numeric lr"],
  ])("%#: throws a clear error", (make, message) => {
    expect(make).toThrow(message);
  });

  test("loadStateDict rejects other options", () => {
    const s = new StepLR(sgd(1), { stepSize: 2 });
    const other = new StepLR(sgd(1), { stepSize: 3 }).stateDict();
    expect(() => s.loadStateDict(other)).toThrow("StepLR: loadStateDict: config.stepSize is 3 but this StepLR has 2");
  });
});
