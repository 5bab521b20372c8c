// The whole-sequence lstm and gru ops against (1) the same recurrences written step by step from the
// elementwise ops (linear, sigmoid, tanh, mul, add, narrow, stack) and their autograd — an oracle that
// shares no code with the fused cell kernels — in float64, outputs, final states and every gradient;
// (2) float64 finite differences (gradcheck) over x, h0, c0 and every weight, batch-first and
// time-major, forward and reverse, with and without biases; (3) the arena (no per-step heap arrays);
// (4) errors. float64 results against the oracle within 1e-10 (only summation order differs).
import { describe, expect, it } from "vitest";
import { add, gru, linear, lstm, mul, narrow, reshape, sigmoid, stack, sub, tanh } from "../src/ops/index.js";
import { gradcheck } from "../src/gradcheck.js";
import { Arena, withArena } from "../src/arena.js";
import { Rng } from "../src/rng.js";
import { Tensor } from "../src/tensor.js";

const rng = new Rng(15);
function randn(shape: number[], requiresGrad = true, scale = 0.7): Tensor {
  const data = new Float64Array(shape.reduce((a, d) => a * d, 1));
  rng.fillNormal(data, 0, scale);
  return new Tensor(data, shape, requiresGrad);
}

interface Case { B: number; T: number; I: number; H: number; batchFirst: boolean; reverse: boolean; bias: boolean; state: boolean }
const CASES: Case[] = [
  { B: 2, T: 3, I: 3, H: 4, batchFirst: true, reverse: false, bias: true, state: false },
  { B: 3, T: 4, I: 2, H: 3, batchFirst: false, reverse: false, bias: true, state: true },
  { B: 2, T: 3, I: 3, H: 2, batchFirst: true, reverse: true, bias: false, state: true },
  { B: 1, T: 5, I: 2, H: 3, batchFirst: false, reverse: true, bias: true, state: false },
];
const name = (c: Case): string => `B ${c.B}, T ${c.T}, I ${c.I}, H ${c.H}, ${c.batchFirst ? "batch first" : "time major"}${c.reverse ? ", reverse" : ""}${c.bias ? "" : ", no bias"}${c.state ? ", h0/c0" : ""}`;

/** x_t as [B, I] from a [B, T, I] or [T, B, I] tensor. */
function stepOf(x: Tensor, t: number, c: Case): Tensor {
  return reshape(narrow(x, c.batchFirst ? 1 : 0, t, 1), [c.B, x.shape[2]]);
}

function inputs(c: Case, gates: number): Tensor[] {
  const x = randn(c.batchFirst ? [c.B, c.T, c.I] : [c.T, c.B, c.I]);
  const list = [x, randn([gates * c.H, c.I]), randn([gates * c.H, c.H])];
  if (c.bias) list.push(randn([gates * c.H]), randn([gates * c.H]));
  if (c.state) list.push(randn([c.B, c.H]));
  if (c.state && gates === 4) list.push(randn([c.B, c.H])); // c0: LSTM only
  return list;
}

function unpack(c: Case, xs: Tensor[]) {
  const [x, wIh, wHh] = xs;
  const bIh = c.bias ? xs[3] : null, bHh = c.bias ? xs[4] : null;
  const h0 = c.state ? xs[c.bias ? 5 : 3] : null, c0 = c.state ? xs[c.bias ? 6 : 4] : null;
  return { x, wIh, wHh, bIh, bHh, h0, c0 };
}

const gate = (t: Tensor, k: number, H: number): Tensor => narrow(t, 1, k * H, H);
const order = (c: Case): number[] => Array.from({ length: c.T }, (_, s) => (c.reverse ? c.T - 1 - s : s));
/** Outputs of the steps in time order, stacked along the time axis. */
function outputOf(c: Case, hs: Map<number, Tensor>): Tensor {
  return stack(Array.from({ length: c.T }, (_, t) => hs.get(t)!), c.batchFirst ? 1 : 0);
}

function lstmReference(c: Case, xs: Tensor[]): Tensor[] {
  const { x, wIh, wHh, bIh, bHh, h0, c0 } = unpack(c, xs);
  const H = c.H;
  let h = h0 ?? new Tensor(new Float64Array(c.B * H), [c.B, H]);
  let cs = c0 ?? new Tensor(new Float64Array(c.B * H), [c.B, H]);
  const hs = new Map<number, Tensor>();
  for (const t of order(c)) {
    const z = add(linear(stepOf(x, t, c), wIh, bIh), linear(h, wHh, bHh));
    const i = sigmoid(gate(z, 0, H)), f = sigmoid(gate(z, 1, H)), g = tanh(gate(z, 2, H)), o = sigmoid(gate(z, 3, H));
    cs = add(mul(f, cs), mul(i, g));
    h = mul(o, tanh(cs));
    hs.set(t, h);
  }
  return [outputOf(c, hs), h, cs];
}

function gruReference(c: Case, xs: Tensor[]): Tensor[] {
  const { x, wIh, wHh, bIh, bHh, h0 } = unpack(c, xs);
  const H = c.H;
  let h = h0 ?? new Tensor(new Float64Array(c.B * H), [c.B, H]);
  const hs = new Map<number, Tensor>();
  for (const t of order(c)) {
    const gx = linear(stepOf(x, t, c), wIh, bIh), gh = linear(h, wHh, bHh);
    const r = sigmoid(add(gate(gx, 0, H), gate(gh, 0, H)));
    const z = sigmoid(add(gate(gx, 1, H), gate(gh, 1, H)));
    const n = tanh(add(gate(gx, 2, H), mul(r, gate(gh, 2, H))));
    h = add(mul(sub(1, z), n), mul(z, h));
    hs.set(t, h);
  }
  return [outputOf(c, hs), h];
}

function fused(kind: "lstm" | "gru", c: Case, xs: Tensor[]): Tensor[] {
  const { x, wIh, wHh, bIh, bHh, h0, c0 } = unpack(c, xs);
  const o = { batchFirst: c.batchFirst, reverse: c.reverse };
  if (kind === "gru") {
    const r = gru(x, h0, wIh, wHh, bIh, bHh, o);
    return [r.output, r.h];
  }
  const r = lstm(x, h0, c0, wIh, wHh, bIh, bHh, o);
  return [r.output, r.h, r.c];
}

/** sum over the results of result·u (fixed random weights u): one scalar that reaches every output. */
function weighted(results: Tensor[], seed: number): Tensor {
  const r = new Rng(seed);
  let total: Tensor | null = null;
  for (const t of results) {
    const u = new Float64Array(t.size);
    r.fillNormal(u, 0, 1);
    const term = mul(t, new Tensor(u, t.shape)).sum();
    total = total ? add(total, term) : term;
  }
  return total!;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < b.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= 1e-10 * (1 + Math.abs(b[i])))) throw new Error(`${what}: element ${i} is ${a[i]}, expected ${b[i]}`);
  }
}

const KINDS = [
  ["lstm", 4, lstmReference],
  ["gru", 3, gruReference],
] as const;

describe.each(KINDS)("%s", (kind, gates, reference) => {
  it.each(CASES.map((c) => [name(c), c] as const))("matches the step-by-step composition of ops: %s", (_, c) => {
    const a = inputs(c, gates);
    const b = a.map((t) => new Tensor(Float64Array.from(t.data), t.shape, true));
    const got = fused(kind, c, a), want = reference(c, b);
    got.forEach((t, i) => {
      expect(t.shape).toEqual(want[i].shape);
      expectClose(t.data, want[i].data, `result ${i}`);
    });
    weighted(got, 7).backward();
    weighted(want, 7).backward();
    a.forEach((t, i) => expectClose(t.grad!.data, b[i].grad!.data, `gradient of input ${i}`));
  });

  it.each(CASES.map((c) => [name(c), c] as const))("gradcheck (float64 finite differences): %s", (_, c) => {
    expect(gradcheck((...xs: Tensor[]) => {
      const r = fused(kind, c, xs);
      return kind === "lstm" ? add(add(r[0].sum(), mul(r[1], 0.5).sum()), mul(r[2], 1.5).sum()) : add(r[0].sum(), mul(r[1], 0.5).sum());
    }, inputs(c, gates))).toBe(true);
    expect(gradcheck((...xs: Tensor[]) => fused(kind, c, xs)[0], inputs(c, gates))).toBe(true);
  });

  it("allocates its buffers from the step arena (float32)", () => {
    const c = CASES[0];
    const xs = inputs(c, gates).map((t) => new Tensor(Float32Array.from(t.data), t.shape, true));
    const arena = new Arena();
    withArena(arena, () => {
      const out = fused(kind, c, xs)[0];
      out.sum().backward();
    });
    const first = arena.stats().used;
    arena.reset();
    withArena(arena, () => fused(kind, c, xs)[0].sum().backward());
    expect(first).toBeGreaterThan(0);
    expect(arena.stats()).toMatchObject({ used: first, overflows: 0 });
  });

  it("names a wrong weight shape", () => {
    const c = CASES[0];
    const xs = inputs(c, gates);
    xs[2] = randn([gates * c.H, c.H + 1]);
    expect(() => fused(kind, c, xs)).toThrow(/weightHh must be \[/);
  });
});

describe("lstm: only the final cell state used", () => {
  it("its gradient reaches x and the weights", () => {
    const c = CASES[1];
    const xs = inputs(c, 4);
    const { x, wIh, wHh, bIh, bHh, h0, c0 } = unpack(c, xs);
    lstm(x, h0, c0, wIh, wHh, bIh, bHh, { batchFirst: c.batchFirst }).c.sum().backward();
    const b = xs.map((t) => new Tensor(Float64Array.from(t.data), t.shape, true));
    lstmReference(c, b)[2].sum().backward();
    xs.forEach((t, i) => expectClose(t.grad!.data, b[i].grad!.data, `gradient of input ${i}`));
  });
});
