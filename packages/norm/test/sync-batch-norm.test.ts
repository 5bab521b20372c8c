/**
 * SyncBatchNorm: W ranks, each with a contiguous shard of one batch, run in lockstep in one thread
 * over a replaying fake Communicator (see runLockstep), must reproduce BatchNorm1d on the whole
 * batch: outputs, dx, the reduced dγ/dβ and the running statistics — uneven, one-row and empty
 * shards included — and must make identical collectives on every rank.
 */
import { describe, expect, it } from "vitest";
import { LocalCommunicator, Rng, Tensor, type Communicator } from "@weft/tensor";
import { BatchNorm, BatchNorm1d, BatchNorm2d, SyncBatchNorm, type GradientReduction } from "../src/index.js";
import { SpyCommunicator, expectClose, randomData, runLockstep } from "./helpers.js";

const C = 3;
/** float32 compute; the only difference from one process is summation order (Σx² vs two passes). */
const tol = { rtol: 1e-5, atol: 2e-6 };

interface Setup {
  n: number;
  x: Float32Array; // [n, C]
  upstream: Float32Array; // dL/dy of the full-batch loss
  state: Record<string, { shape: number[]; data: Float32Array }>;
}

function setup(n: number, seed: number, inner = 1): Setup {
  const rng = new Rng(seed);
  return {
    n,
    x: randomData(rng, n * C * inner, 2, 3),
    upstream: randomData(rng, n * C * inner),
    state: {
      weight: { shape: [C], data: randomData(rng, C, 1, 0.5) },
      bias: { shape: [C], data: randomData(rng, C) },
      running_mean: { shape: [C], data: randomData(rng, C) },
      running_var: { shape: [C], data: Float32Array.from(randomData(rng, C), (v) => 1 + Math.abs(v)) },
      num_batches_tracked: { shape: [], data: new Float32Array([4]) },
    },
  };
}

interface StepResult {
  y: Float32Array;
  dx: Float32Array;
  dWeight: Float32Array;
  dBias: Float32Array;
  buffers: Float32Array[];
}

/** One training step (forward, backward of `upstream`) of a fresh module loaded with `state`. */
function step(bn: BatchNorm, s: Setup, rows: [number, number], upstreamScale: number, inner: number | number[]): StepResult {
  bn.loadStateDict(s.state);
  // inner: L of [N, C, L] (1: [N, C]), or the trailing dims themselves ([H, W]: images).
  const trailing = Array.isArray(inner) ? inner : inner === 1 ? [] : [inner];
  const w = C * trailing.reduce((a, b) => a * b, 1);
  const x = new Tensor(s.x.slice(rows[0] * w, rows[1] * w), [rows[1] - rows[0], C, ...trailing], true);
  const y = bn.forward(x);
  y.backward(Float32Array.from(s.upstream.subarray(rows[0] * w, rows[1] * w), (v) => v * upstreamScale));
  return {
    y: y.data as Float32Array,
    dx: x.grad!.data as Float32Array,
    dWeight: bn.weight!.grad!.data as Float32Array,
    dBias: bn.bias!.grad!.data as Float32Array,
    buffers: bn.buffers().map((b) => b.data as Float32Array),
  };
}

/** Contiguous shards of the given sizes: [[0, s0], [s0, s0 + s1], …]. */
function shards(sizes: number[]): [number, number][] {
  let start = 0;
  return sizes.map((k) => [start, (start += k)]);
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe.each<GradientReduction>(["sum", "weightedMean"])("SyncBatchNorm, gradientReduction %s", (reduction) => {
  it.each<[string, number[], number | number[]]>([
    ["W=2, even shards", [3, 3], 1],
    ["W=2, uneven shards (5 rows)", [3, 2], 1],
    ["W=3, uneven shards (5 rows)", [2, 2, 1], 1],
    ["W=3, one-row shards", [1, 1, 1], 1],
    ["W=2, one row and four", [1, 4], 1],
    ["W=3, an empty shard", [3, 0, 2], 1],
    ["W=2, everything on rank 1", [0, 5], 1],
    ["W=2, [N, C, L] input", [2, 1], 4],
    ["W=2, [N, C, H, W] images", [2, 1], [2, 3]],
    ["W=3, images with an empty shard", [1, 0, 2], [3, 2]],
  ])("%s equals BatchNorm1d/2d on the whole batch", (_, sizes, dims) => {
    const n = sizes.reduce((a, b) => a + b, 0);
    const inner = Array.isArray(dims) ? dims[0] * dims[1] : dims;
    const s = setup(n, 100 + sizes.length * 10 + sizes[0] + inner, inner);
    const ref = step(Array.isArray(dims) ? new BatchNorm2d(C) : new BatchNorm1d(C), s, [0, n], 1, dims);

    const parts = shards(sizes);
    const W = sizes.length;
    // weightedMean: each rank back-propagates its own shard-mean loss, i.e. (N/n_r)·dL/dy.
    const scale = (r: number) => (reduction === "sum" ? 1 : sizes[r] === 0 ? 0 : n / sizes[r]);
    const { results, collectives } = runLockstep(W, (comm) => {
      const bn = new SyncBatchNorm(C, { gradientReduction: reduction });
      bn.communicator = comm; // settable after construction
      return step(bn, s, parts[comm.rank], scale(comm.rank), dims);
    });
    const ranks = results.map((r) => {
      if (!r.ok) throw r.error;
      expect(r.calls).toBe(2); // one allReduce in forward, one in backward
      return r.value;
    });
    expect(collectives.map((c) => [c.kind, c.data.length])).toEqual([
      ["Float64Array", 1 + 2 * C],
      ["Float64Array", 2 * C],
    ]);
    expect(collectives[0].data[0]).toBe(n * inner); // the global count

    expectClose("y", concat(ranks.map((r) => r.y)), ref.y, tol);
    // What reaches the layers below, brought back to dL/dx: weightedMean's dx is (N/n_r)·dL/dx.
    const dx = concat(ranks.map((r, i) => (reduction === "sum" ? r.dx : r.dx.map((v) => (v * sizes[i]) / n))));
    expectClose("dx", dx, ref.dx, tol);
    // The engine's reduction of the parameter gradients.
    const reduce = (f: (r: StepResult) => Float32Array) => {
      const out = new Float64Array(C);
      ranks.forEach((r, i) => f(r).forEach((v, c) => (out[c] += reduction === "sum" ? v : (v * sizes[i]) / n)));
      return out;
    };
    expectClose("dWeight", reduce((r) => r.dWeight), ref.dWeight, tol);
    expectClose("dBias", reduce((r) => r.dBias), ref.dBias, tol);
    for (const r of ranks) {
      // Identical bits on every rank, and BatchNorm1d's values.
      r.buffers.forEach((b, k) => expect(Array.from(b)).toEqual(Array.from(ranks[0].buffers[k])));
      r.buffers.forEach((b, k) => expectClose(`buffer ${k}`, b, ref.buffers[k], tol));
    }
    expect(ranks[0].buffers[2][0]).toBe(5);
  });
});

describe("SyncBatchNorm", () => {
  it("a whole batch of one row is the error, on every rank alike, after the same collective", () => {
    const s = setup(1, 3);
    const parts = shards([0, 1]);
    const { results, collectives } = runLockstep(2, (comm) => step(new SyncBatchNorm(C, { communicator: comm }), s, parts[comm.rank], 1, 1));
    expect(collectives.length).toBe(1);
    for (const r of results) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toMatch(/^SyncBatchNorm: Expected more than 1 value per channel when training, got 1 value per channel over all workers \(this worker's input size \[[01], 3\]\)$/);
    }
  });

  it("a rank that skips the collective is caught by the lockstep harness (it would hang)", () => {
    const s = setup(4, 9);
    expect(() =>
      runLockstep(2, (comm) => {
        const bn = new SyncBatchNorm(C, { communicator: comm });
        if (comm.rank === 1) bn.eval();
        return step(bn, s, [0, 2], 1, 1);
      }),
    ).toThrow("only 1 of 2 ranks called allReduce");
  });

  it("never communicates in eval mode, and is then BatchNorm1d", () => {
    const s = setup(4, 21);
    const spy = new SpyCommunicator(0, 2);
    const sync = new SyncBatchNorm(C, { communicator: spy }).eval();
    const ref = new BatchNorm1d(C).eval();
    const a = step(sync, s, [0, 4], 1, 1);
    const b = step(ref, s, [0, 4], 1, 1);
    expect(spy.calls.length).toBe(0);
    expect(spy.barriers).toBe(0);
    expect(a).toEqual(b);
  });

  it.each<[string, () => Communicator | null]>([
    ["a LocalCommunicator", () => new LocalCommunicator()],
    ["a world of one", () => new SpyCommunicator(0, 1)],
    ["no communicator", () => null],
  ])("with %s it is exactly BatchNorm1d and never communicates", (_, make) => {
    const s = setup(5, 33);
    const comm = make();
    let calls = 0;
    if (comm) {
      const allReduce = comm.allReduce.bind(comm);
      comm.allReduce = (d) => {
        calls++;
        allReduce(d);
      };
    }
    const a = step(new SyncBatchNorm(C, { communicator: comm }), s, [0, 5], 1, 1);
    const b = step(new BatchNorm1d(C), s, [0, 5], 1, 1);
    expect(calls).toBe(0);
    expect(a).toEqual(b); // bit for bit
  });

  it("keeps BatchNorm1d's state dict, so checkpoints are interchangeable", () => {
    expect(Object.keys(new SyncBatchNorm(4).stateDict())).toEqual(Object.keys(new BatchNorm1d(4).stateDict()));
  });

  it("rejects an unknown gradientReduction", () => {
    expect(() => new SyncBatchNorm(2, { gradientReduction: "mean" as GradientReduction })).toThrow('gradientReduction must be "sum" or "weightedMean"');
  });
});
