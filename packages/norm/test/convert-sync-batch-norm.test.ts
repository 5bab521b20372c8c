import { describe, expect, it } from "vitest";
import { Linear, Module, ModuleDict, ModuleList, ReLU, Sequential } from "@weft/layers";
import { Rng, randn, type Tensor } from "@weft/tensor";
import { BatchNorm, BatchNorm1d, BatchNorm2d, SyncBatchNorm, convertSyncBatchNorm } from "../src/index.js";
import { SpyCommunicator } from "./helpers.js";

class Block extends Module {
  fc: Linear;
  bn: BatchNorm1d;
  constructor(d: number, rng: Rng) {
    super();
    this.fc = new Linear(d, d, { rng });
    this.bn = new BatchNorm1d(d, { momentum: 0.2, eps: 1e-3 });
  }
  forward(x: Tensor): Tensor {
    return this.bn.forward(this.fc.forward(x)).relu();
  }
}

class Net extends Module {
  inp: Sequential;
  blocks: ModuleList<Block>;
  extra: ModuleDict<BatchNorm1d>;
  constructor(rng: Rng) {
    super();
    this.inp = new Sequential(new Linear(4, 6, { rng }), new BatchNorm1d(6), new ReLU());
    this.blocks = new ModuleList([new Block(6, rng), new Block(6, rng)]);
    this.extra = new ModuleDict({ last: new BatchNorm1d(6, { affine: false }) });
  }
  forward(x: Tensor): Tensor {
    let h = this.inp.forward(x);
    for (const b of this.blocks) h = b.forward(h);
    return this.extra.get("last")!.forward(h);
  }
}

function kinds(m: Module): string[] {
  return m.namedModules().filter(([, c]) => c instanceof BatchNorm).map(([n, c]) => `${n}:${c.constructor.name}`);
}

describe("convertSyncBatchNorm", () => {
  it("converts BatchNorm2d too, keeping its state; the SyncBatchNorm then takes images", () => {
    const rng = new Rng(3);
    const net = new Sequential(new BatchNorm2d(2, { momentum: 0.3 }), new ReLU());
    net.train();
    net.forward(randn([3, 2, 2, 2], rng));
    const before = Object.fromEntries(Object.entries(net.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));
    convertSyncBatchNorm(net, new SpyCommunicator(0, 1));
    expect(kinds(net)).toEqual(["0:SyncBatchNorm"]);
    expect((net[0] as SyncBatchNorm).momentum).toBe(0.3);
    expect(Object.fromEntries(Object.entries(net.stateDict()).map(([k, t]) => [k, Array.from(t.data)]))).toEqual(before);
    expect(net.forward(randn([2, 2, 3, 3], rng)).shape).toEqual([2, 2, 3, 3]);
  });

  it("replaces every BatchNorm1d in the tree, keeping keys, values, options and mode", () => {
    const net = new Net(new Rng(1));
    // give the running statistics non-default values
    net.train();
    net.forward(randn([5, 4], new Rng(2)));
    net.blocks[1].eval();
    const before = Object.fromEntries(Object.entries(net.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));
    const comm = new SpyCommunicator(0, 1);
    const out = convertSyncBatchNorm(net, comm);
    expect(out).toBe(net);
    expect(kinds(net)).toEqual([
      "inp.1:SyncBatchNorm", "blocks.0.bn:SyncBatchNorm", "blocks.1.bn:SyncBatchNorm", "extra.last:SyncBatchNorm",
    ]);
    const after = Object.fromEntries(Object.entries(net.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));
    expect(after).toEqual(before);
    const bn = net.blocks[0].bn as SyncBatchNorm;
    expect([bn.momentum, bn.eps, bn.communicator]).toEqual([0.2, 1e-3, comm]);
    expect(net.blocks[1].bn.training).toBe(false);
    expect(net.extra.get("last")!.affine).toBe(false);
    expect(net.parameters()).toContain(net.blocks[0].bn.weight);
  });

  it("gives the same forward at one worker, and never calls the communicator in eval mode", () => {
    const a = new Net(new Rng(3)), b = new Net(new Rng(3));
    const comm = new SpyCommunicator(0, 2); // a world of 2 that sums nothing: only counts calls
    convertSyncBatchNorm(b, new SpyCommunicator(0, 1));
    const x = randn([6, 4], new Rng(4));
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
    const c = convertSyncBatchNorm(new Net(new Rng(3)), comm);
    c.eval();
    c.forward(x);
    expect(comm.calls.length).toBe(0);
  });

  it("runs the converted layers in forward: a Sequential's training step calls the communicator once per BatchNorm", () => {
    const comm = new SpyCommunicator(0, 2);
    const net = convertSyncBatchNorm(new Net(new Rng(3)), comm);
    net.train();
    net.forward(randn([6, 4], new Rng(4)));
    // Net holds four BatchNorms (in its Sequential, in each Block, in the ModuleDict): one statistics all-reduce each.
    const bns = net.namedModules().filter(([, m]) => m instanceof SyncBatchNorm).length;
    expect(bns).toBeGreaterThan(1);
    expect(comm.calls.length).toBe(bns);
    const seq = convertSyncBatchNorm(new Sequential(new Linear(4, 6, { rng: new Rng(1) }), new BatchNorm1d(6)), comm);
    expect(seq.layers[1]).toBeInstanceOf(SyncBatchNorm);
    expect(seq[1]).toBe(seq.layers[1]);
  });

  it("converts a BatchNorm root and re-points SyncBatchNorms already there", () => {
    const root = convertSyncBatchNorm(new BatchNorm1d(3), null);
    expect(root).toBeInstanceOf(SyncBatchNorm);
    const comm = new SpyCommunicator(1, 2);
    const s = new SyncBatchNorm(3);
    expect(convertSyncBatchNorm(s, comm)).toBe(s);
    expect(s.communicator).toBe(comm);
  });
});
