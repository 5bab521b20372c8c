import { describe, expect, test } from "vitest";
import { Adam, AdamW, RMSprop, SGD, type FlatRange, type Optimizer, type OptimizerOptions, type Params } from "../src/index.js";
import { param, randomArray, rng, sameBits } from "./helpers.js";

type Make = (params: Params, extra?: OptimizerOptions) => Optimizer;

interface Row {
  name: string;
  make: Make;
  /** State arrays the optimiser must allocate, besides `step`. */
  arrays: string[];
  /** Steps to reach the quadratic's minimum within `tol`. */
  steps: number;
  tol: number;
}

// Every optimiser and mode; lr values for the convergence test (the quadratic's curvature 2c is in [1, 4]).
const rows: Row[] = [
  { name: "SGD", make: (p, x) => new SGD(p, { lr: 0.1, ...x }), arrays: [], steps: 200, tol: 1e-5 },
  { name: "SGD momentum", make: (p, x) => new SGD(p, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 1e-4, ...x }), arrays: ["momentumBuffer"], steps: 400, tol: 1e-3 },
  { name: "SGD nesterov", make: (p, x) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, ...x }), arrays: ["momentumBuffer"], steps: 200, tol: 1e-5 },
  { name: "RMSprop", make: (p, x) => new RMSprop(p, { lr: 0.01, ...x }), arrays: ["squareAvg"], steps: 800, tol: 2e-2 },
  { name: "RMSprop centered", make: (p, x) => new RMSprop(p, { lr: 0.01, centered: true, weightDecay: 1e-4, ...x }), arrays: ["squareAvg", "gradAvg"], steps: 800, tol: 2e-2 },
  { name: "RMSprop momentum", make: (p, x) => new RMSprop(p, { lr: 0.005, momentum: 0.5, alpha: 0.9, ...x }), arrays: ["squareAvg", "momentumBuffer"], steps: 800, tol: 1e-2 },
  { name: "Adam", make: (p, x) => new Adam(p, { lr: 0.05, ...x }), arrays: ["expAvg", "expAvgSq"], steps: 600, tol: 1e-4 },
  { name: "Adam amsgrad", make: (p, x) => new Adam(p, { lr: 0.05, amsgrad: true, weightDecay: 1e-4, ...x }), arrays: ["expAvg", "expAvgSq", "maxExpAvgSq"], steps: 600, tol: 1e-3 },
  { name: "AdamW", make: (p, x) => new AdamW(p, { lr: 0.05, weightDecay: 1e-4, ...x }), arrays: ["expAvg", "expAvgSq"], steps: 600, tol: 1e-3 },
];

const SIZES = [5, 1, 12, 7]; // several slots of uneven lengths

function makeParams(seed: number) {
  const next = rng(seed);
  return SIZES.map((n) => param(randomArray(next, n)));
}

/** Fills every grad with the k-th pseudo-random gradient. */
function setGrads(params: ReturnType<typeof makeParams>, k: number) {
  const next = rng(1000 + k);
  for (const p of params) p.grad.data.set(randomArray(next, p.data.length));
}

function run(opt: Optimizer, params: ReturnType<typeof makeParams>, from: number, to: number) {
  for (let k = from; k < to; k++) {
    setGrads(params, k);
    opt.step();
  }
}

describe.each(rows)("$name", ({ make, arrays, steps, tol }) => {
  test("state round-trip: save after 3 steps, load into a fresh optimiser, next step is bit-identical", () => {
    const a = makeParams(1);
    const optA = make(a);
    run(optA, a, 0, 3);
    const saved = optA.stateDict();
    expect(saved.state.step).toBe(3);
    expect(Object.keys(saved.state).sort()).toEqual(["step", ...arrays].sort());

    const b = a.map((p) => param(p.data));
    const optB = make(b);
    optB.loadStateDict(saved);
    run(optA, a, 3, 5);
    run(optB, b, 3, 5);
    a.forEach((p, i) => expect(sameBits(b[i].data, p.data)).toBe(true));
    const sa = optA.stateDict();
    const sb = optB.stateDict();
    expect(sb.state.step).toBe(5);
    for (const name of arrays) expect(sameBits(sb.state[name], sa.state[name])).toBe(true);
  });

  test("state dict survives JSON and is a copy", () => {
    const a = makeParams(2);
    const optA = make(a);
    run(optA, a, 0, 2);
    const saved = optA.stateDict();
    const json = JSON.stringify({ ...saved, state: Object.fromEntries(Object.entries(saved.state).map(([k, v]) => [k, typeof v === "number" ? v : Array.from(v)])) });
    for (const name of arrays) saved.state[name].fill(123); // a copy: changing it changes nothing
    const b = a.map((p) => param(p.data));
    const optB = make(b);
    optB.loadStateDict(JSON.parse(json));
    run(optA, a, 2, 3);
    run(optB, b, 2, 3);
    a.forEach((p, i) => expect(sameBits(b[i].data, p.data)).toBe(true));
  });

  test("deterministic: the same run twice gives the same bits", () => {
    const a = makeParams(3);
    const b = makeParams(3);
    run(make(a), a, 0, 10);
    run(make(b), b, 0, 10);
    a.forEach((p, i) => expect(sameBits(b[i].data, p.data)).toBe(true));
  });

  test("converges on a quadratic f(x) = Σ c_i (x_i − t_i)²", () => {
    const next = rng(4);
    const n = 16;
    const c = Float64Array.from({ length: n }, () => 0.5 + 1.5 * next());
    const t = Float64Array.from({ length: n }, () => 4 * next() - 2);
    const x = param(new Float32Array(n));
    const opt = make([x]);
    for (let k = 0; k < steps; k++) {
      for (let i = 0; i < n; i++) x.grad.data[i] = 2 * c[i] * (x.data[i] - t[i]);
      opt.step();
    }
    for (let i = 0; i < n; i++) expect(Math.abs(x.data[i] - t[i])).toBeLessThan(tol);
  });

  test("flat-range sharding: two optimisers over [0, k) and [k, n) equal one over [0, n), bit for bit", () => {
    const n = 37;
    const k = 15;
    const next = rng(5);
    const init = randomArray(next, n);
    const whole: FlatRange = { params: init.slice(), grads: new Float32Array(n) };
    const params = init.slice();
    const grads = new Float32Array(n);
    const one = make(whole);
    const lo = make({ params: params.subarray(0, k), grads: grads.subarray(0, k) });
    const hi = make({ params: params.subarray(k), grads: grads.subarray(k) });
    for (let s = 0; s < 6; s++) {
      const g = randomArray(next, n);
      whole.grads.set(g);
      grads.set(g);
      one.step();
      lo.step();
      hi.step();
    }
    expect(sameBits(params, whole.params as Float32Array)).toBe(true);
    const full = one.stateDict();
    const [a, b] = [lo.stateDict(), hi.stateDict()];
    for (const name of arrays) {
      const joined = new Float32Array(n);
      joined.set(a.state[name], 0);
      joined.set(b.state[name], k);
      expect(sameBits(joined, full.state[name])).toBe(true);
    }
  });

  test("allocState places every state array (here in shared memory)", () => {
    const calls: [string, number][] = [];
    const placed = new Map<string, Float32Array>();
    const allocState = (name: string, length: number) => {
      calls.push([name, length]);
      const arr = new Float32Array(new SharedArrayBuffer(length * 4)).fill(7); // zero-filled by the optimiser
      placed.set(name, arr);
      return arr;
    };
    const a = makeParams(6);
    const opt = make(a, { allocState });
    const numel = SIZES.reduce((s, x) => s + x, 0);
    expect(opt.numel).toBe(numel);
    expect(calls.map(([name]) => name).sort()).toEqual([...arrays].sort());
    for (const [, length] of calls) expect(length).toBe(numel);
    for (const arr of placed.values()) expect(arr.every((v) => v === 0)).toBe(true);
    run(opt, a, 0, 3);
    const s = opt.stateDict();
    for (const name of arrays) {
      const arr = placed.get(name)!;
      expect(arr.some((v) => v !== 0)).toBe(true);
      expect(sameBits(arr, s.state[name])).toBe(true);
    }
  });

  test("a param whose grad is null is skipped; zeroGrad zeroes grads in place", () => {
    const a = makeParams(7);
    const frozen = { data: Float32Array.of(1, 2, 3), grad: null };
    const opt = make([...a, frozen]);
    const grads = a.map((p) => p.grad.data);
    run(opt, a, 0, 2);
    expect(Array.from(frozen.data)).toEqual([1, 2, 3]);
    opt.zeroGrad();
    a.forEach((p, i) => {
      expect(p.grad.data).toBe(grads[i]);
      expect(p.grad.data.every((v) => v === 0)).toBe(true);
    });
    const s = opt.stateDict();
    const tail = SIZES.reduce((x, y) => x + y, 0);
    for (const name of arrays) expect(Array.from(s.state[name].subarray(tail))).toEqual([0, 0, 0]);
  });

  test("no step is counted when no param has a grad", () => {
    const opt = make([{ data: new Float32Array(3), grad: null }]);
    opt.step();
    expect(opt.stateDict().state.step).toBe(0);
  });
});
