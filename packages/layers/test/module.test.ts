/**
 * Module, Parameter and Sequential: PyTorch's names and order, parameters vs buffers, modes,
 * zeroGrad in place, strict state-dict loading, and the flat parameter buffer.
 */
import { describe, expect, it } from "vitest";
import { Rng, Tensor, tensor } from "@weft/tensor";
import { Dropout, Linear, Module, Parameter, ReLU, Sequential, Sigmoid, mseLoss } from "../src/index.js";

/** A module with a parameter and two buffers (one of them unregistered as null), for tests. */
class Scale extends Module {
  readonly weight: Parameter;
  readonly running: Tensor;
  constructor(n: number) {
    super();
    this.weight = new Parameter(new Float32Array(n).fill(2), [n]);
    this.running = new Tensor(new Float32Array(n).fill(7), [n]);
    this.registerParameter("weight", this.weight);
    this.registerParameter("unused", null);
    this.registerBuffer("running", this.running);
    this.registerBuffer("absent", null);
  }
  forward(x: Tensor): Tensor {
    return x.mul(this.weight);
  }
}

/** A module with its own parameter *and* children, as PyTorch orders them: own first. */
class Block extends Module {
  readonly scale = new Parameter(new Float32Array([1]), [1]);
  readonly inner: Sequential;
  constructor(rng: Rng) {
    super();
    this.registerParameter("scale", this.scale);
    this.inner = new Sequential(new Linear(2, 3, { rng }), new Scale(3));
    this.registerModule("inner", this.inner);
  }
  forward(x: Tensor): Tensor {
    return this.inner.forward(x).mul(this.scale);
  }
}

function mlp(seed = 0): Sequential {
  const rng = new Rng(seed);
  return new Sequential(new Linear(3, 4, { rng }), new ReLU(), new Linear(4, 5, { rng }), new Sigmoid(), new Linear(5, 2, { bias: false, rng }));
}

const x = tensor([[0.1, -0.2, 0.3], [1, 2, -3]]);

describe("names and order", () => {
  it("Sequential's namedParameters use PyTorch's keys, in declaration order", () => {
    const m = mlp();
    expect(m.namedParameters().map(([k]) => k)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight"]);
    expect(m.namedParameters().map(([, p]) => p.shape)).toEqual([[4, 3], [4], [5, 4], [5], [2, 5]]);
    expect(m.parameters()).toEqual(m.namedParameters().map(([, p]) => p));
    expect(Object.keys(m.stateDict())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight"]);
  });

  it("every parameter is a Parameter that requires grad", () => {
    for (const p of mlp().parameters()) {
      expect(p).toBeInstanceOf(Parameter);
      expect(p.requiresGrad).toBe(true);
    }
  });

  it("namedChildren and namedModules (depth-first, dotted, root named \"\")", () => {
    const m = new Block(new Rng(0));
    expect(m.namedChildren().map(([k]) => k)).toEqual(["inner"]);
    expect(m.namedModules().map(([k]) => k)).toEqual(["", "inner", "inner.0", "inner.1"]);
  });

  it("a module's own parameters come before its children's; buffers after parameters in the state dict", () => {
    const m = new Block(new Rng(0));
    expect(m.namedParameters().map(([k]) => k)).toEqual(["scale", "inner.0.weight", "inner.0.bias", "inner.1.weight"]);
    expect(m.namedBuffers().map(([k]) => k)).toEqual(["inner.1.running"]);
    expect(Object.keys(m.stateDict())).toEqual(["scale", "inner.0.weight", "inner.0.bias", "inner.1.weight", "inner.1.running"]);
  });

  it("parameters and buffers are different things: null registrations are skipped, buffers are not parameters", () => {
    const s = new Scale(3);
    expect(s.parameters()).toEqual([s.weight]);
    expect(s.buffers()).toEqual([s.running]);
    expect(s.buffers()[0].requiresGrad).toBe(false);
    expect(Object.keys(s.stateDict())).toEqual(["weight", "running"]);
  });

  it("stateDict values are the live tensors, not copies (as PyTorch)", () => {
    const m = mlp();
    const sd = m.stateDict();
    expect(sd["0.weight"]).toBe((m.layers[0] as Linear).weight);
    sd["0.bias"].data[0] = 42;
    expect((m.layers[0] as Linear).bias!.data[0]).toBe(42);
  });
});

describe("train() / eval()", () => {
  it("recurses through every descendant and returns the module", () => {
    const m = new Sequential(new Linear(2, 2), new Sequential(new Dropout(0.5), new ReLU()));
    expect(m.eval()).toBe(m);
    for (const [, c] of m.namedModules()) expect(c.training).toBe(false);
    expect(m.train()).toBe(m);
    for (const [, c] of m.namedModules()) expect(c.training).toBe(true);
    m.train(false);
    for (const [, c] of m.namedModules()) expect(c.training).toBe(false);
  });

  it("train on a child only affects that subtree", () => {
    const inner = new Sequential(new Dropout(0.5));
    const m = new Sequential(new Linear(2, 2), inner).eval();
    inner.train();
    expect(m.training).toBe(false);
    expect(inner.layers[0].training).toBe(true);
  });
});

describe("zeroGrad", () => {
  it("zeroes the gradients in place: the grad tensors and their arrays are the same objects", () => {
    const m = mlp();
    mseLoss(m.forward(x), tensor([[1, 0], [0, 1]])).backward();
    const before = m.parameters().map((p) => [p.grad!, p.grad!.data] as const);
    expect(before.some(([, g]) => g.some((v) => v !== 0))).toBe(true);
    m.zeroGrad();
    m.parameters().forEach((p, i) => {
      expect(p.grad).toBe(before[i][0]);
      expect(p.grad!.data).toBe(before[i][1]);
      expect(p.grad!.data.every((v) => v === 0)).toBe(true);
    });
  });

  it("gradients accumulate until zeroed", () => {
    const m = mlp();
    const loss = (): Tensor => mseLoss(m.forward(x), tensor([[1, 0], [0, 1]]));
    loss().backward();
    const once = Float32Array.from(m.parameters()[0].grad!.data);
    loss().backward();
    const twice = m.parameters()[0].grad!.data;
    once.forEach((g, i) => expect(twice[i]).toBeCloseTo(2 * g, 6));
  });

  it("is a no-op before any backward", () => {
    const m = mlp();
    m.zeroGrad();
    for (const p of m.parameters()) expect(p.grad).toBeNull();
  });
});

describe("loadStateDict", () => {
  const snapshot = (m: Module): Record<string, number[]> =>
    Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));

  it("copies values in (into the existing arrays) and returns empty lists", () => {
    const a = mlp(1);
    const b = mlp(2);
    const arrays = b.parameters().map((p) => p.data);
    expect(b.loadStateDict(a.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(snapshot(b)).toEqual(snapshot(a));
    b.parameters().forEach((p, i) => expect(p.data).toBe(arrays[i]));
    // values, not aliases: changing a afterwards leaves b alone
    a.parameters()[0].data[0] += 1;
    expect(b.parameters()[0].data[0]).not.toBe(a.parameters()[0].data[0]);
  });

  it("accepts plain { shape, data } entries (number arrays)", () => {
    const s = new Scale(2);
    s.loadStateDict({ weight: { shape: [2], data: [3, 4] }, running: { shape: [2], data: [5, 6] } });
    expect(Array.from(s.weight.data)).toEqual([3, 4]);
    expect(Array.from(s.running.data)).toEqual([5, 6]);
  });

  it("strict: one error naming every missing, unexpected and mis-shaped key; nothing is changed", () => {
    const m = mlp(1);
    const before = snapshot(m);
    const other = mlp(2).stateDict();
    const state: Record<string, Tensor> = { ...other };
    delete state["2.bias"];
    delete state["4.weight"];
    state["extra.weight"] = tensor([1]);
    state["9.bias"] = tensor([1, 2]);
    state["0.weight"] = tensor([[1, 2], [3, 4]]);
    state["2.weight"] = tensor(new Float32Array(20), [4, 5]);
    let message = "";
    try {
      m.loadStateDict(state);
    } catch (e) {
      message = (e as Error).message;
    }
    for (const key of ["2.bias", "4.weight", "extra.weight", "9.bias", "0.weight", "2.weight"]) expect(message).toContain(key);
    expect(message).toMatch(/missing keys: 2\.bias, 4\.weight/);
    expect(message).toMatch(/unexpected keys: extra\.weight, 9\.bias/);
    expect(message).toMatch(/0\.weight: expected \[4, 3\], got \[2, 2\]/);
    expect(message).toMatch(/2\.weight: expected \[5, 4\], got \[4, 5\]/);
    expect(snapshot(m)).toEqual(before); // 0.bias was valid but was not loaded either
  });

  it.each([
    ["missing", (s: Record<string, Tensor>) => { delete s["0.bias"]; }, /missing keys: 0\.bias/],
    ["unexpected", (s: Record<string, Tensor>) => { s["5.weight"] = tensor([1]); }, /unexpected keys: 5\.weight/],
    ["mis-shaped", (s: Record<string, Tensor>) => { s["4.weight"] = tensor([[1, 2]]); }, /mis-shaped keys: 4\.weight: expected \[2, 5\], got \[1, 2\]/],
  ])("strict: only a %s key is an error too", (_, edit, pattern) => {
    const m = mlp(1);
    const before = snapshot(m);
    const state = { ...mlp(2).stateDict() };
    edit(state);
    expect(() => m.loadStateDict(state)).toThrow(pattern);
    expect(snapshot(m)).toEqual(before);
  });

  it("non-strict: loads what matches and returns the missing and unexpected keys", () => {
    const m = mlp(1);
    const src = mlp(2).stateDict();
    const state: Record<string, Tensor> = { ...src, "head.weight": tensor([1]) };
    delete state["4.weight"];
    const result = m.loadStateDict(state, false);
    expect(result).toEqual({ missingKeys: ["4.weight"], unexpectedKeys: ["head.weight"] });
    expect(Array.from(m.stateDict()["0.weight"].data)).toEqual(Array.from(src["0.weight"].data));
  });

  it("non-strict still refuses a mis-shaped key (as PyTorch's size-mismatch error)", () => {
    const m = mlp(1);
    const before = snapshot(m);
    expect(() => m.loadStateDict({ "0.weight": tensor([1, 2, 3]) }, false)).toThrow(/mis-shaped keys: 0\.weight/);
    expect(snapshot(m)).toEqual(before);
  });
});

describe("flatten", () => {
  it("puts parameters and gradients as views into one buffer each, in declaration order, keeping values", () => {
    const m = mlp(3);
    const values = m.parameters().map((p) => Array.from(p.data));
    const { params, grads, layout } = m.flatten();
    expect(params.length).toBe(4 * 3 + 4 + 5 * 4 + 5 + 2 * 5);
    expect(layout.map((l) => [l.name, l.offset, l.size])).toEqual([
      ["0.weight", 0, 12], ["0.bias", 12, 4], ["2.weight", 16, 20], ["2.bias", 36, 5], ["4.weight", 41, 10],
    ]);
    m.parameters().forEach((p, i) => {
      expect(p.data.buffer).toBe(params.buffer);
      expect(p.data.byteOffset).toBe(layout[i].offset * 4);
      expect(Array.from(p.data)).toEqual(values[i]);
      expect(p.grad!.data.buffer).toBe(grads.buffer);
      expect(p.grad!.data.byteOffset).toBe(layout[i].offset * 4);
      expect(p.grad!.shape).toEqual(p.shape);
    });
  });

  it("backward accumulates into the flat gradient buffer; zeroGrad keeps the views", () => {
    const m = mlp(3);
    const { grads } = m.flatten();
    mseLoss(m.forward(x), tensor([[1, 0], [0, 1]])).backward();
    const flat = Array.from(grads);
    expect(flat.some((v) => v !== 0)).toBe(true);
    expect(m.parameters().flatMap((p) => Array.from(p.grad!.data))).toEqual(flat);
    m.zeroGrad();
    expect(grads.every((v) => v === 0)).toBe(true);
    expect(m.parameters()[0].grad!.data.buffer).toBe(grads.buffer);
  });

  it("copies gradients that existed before flattening", () => {
    const m = mlp(3);
    mseLoss(m.forward(x), tensor([[1, 0], [0, 1]])).backward();
    const g = m.parameters().flatMap((p) => Array.from(p.grad!.data));
    const { grads } = m.flatten();
    expect(Array.from(grads)).toEqual(g);
  });

  it("writing the flat buffer changes the model (an optimiser step over one array)", () => {
    const m = mlp(3);
    const { params } = m.flatten();
    const y0 = Array.from(m.forward(x).data);
    params.fill(0);
    // all weights and biases 0 → the last Linear (no bias) outputs 0 whatever its input
    expect(Array.from(m.forward(x).data)).toEqual([0, 0, 0, 0]);
    expect(y0.some((v) => v !== 0)).toBe(true);
  });

  it("uses given SharedArrayBuffer-backed arrays", () => {
    const m = mlp(4);
    const n = m.parameters().reduce((s, p) => s + p.size, 0);
    const params = new Float32Array(new SharedArrayBuffer(4 * (n + 8)), 4 * 8, n); // at an offset
    const grads = new Float32Array(new SharedArrayBuffer(4 * n));
    const values = m.parameters().flatMap((p) => Array.from(p.data));
    const flat = m.flatten({ params, grads });
    expect(flat.params).toBe(params);
    expect(flat.grads).toBe(grads);
    expect(Array.from(params)).toEqual(values);
    for (const p of m.parameters()) {
      expect(p.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(p.data.buffer).toBe(params.buffer);
      expect(p.grad!.data.buffer).toBe(grads.buffer);
    }
  });

  it("keepValues false adopts the values already in the given buffer (a worker joining shared weights)", () => {
    const leader = mlp(5);
    const shared = leader.flatten({ params: new Float32Array(new SharedArrayBuffer(4 * 51)), grads: new Float32Array(51) }).params;
    const worker = mlp(6);
    worker.flatten({ params: shared, grads: new Float32Array(51), keepValues: false });
    expect(Object.fromEntries(Object.entries(worker.stateDict()).map(([k, t]) => [k, Array.from(t.data)])))
      .toEqual(Object.fromEntries(Object.entries(leader.stateDict()).map(([k, t]) => [k, Array.from(t.data)])));
    // both now read the same memory
    shared[0] = 123;
    expect(worker.parameters()[0].data[0]).toBe(123);
    expect(leader.parameters()[0].data[0]).toBe(123);
    expect(Array.from(worker.forward(x).data)).toEqual(Array.from(leader.forward(x).data));
  });

  it("rejects buffers of the wrong length, naming the sizes", () => {
    const m = mlp();
    expect(() => m.flatten({ params: new Float32Array(50) })).toThrow(/51 parameter values but params has 50 and grads 51/);
    expect(() => m.flatten({ grads: new Float32Array(52) })).toThrow(/51 parameter values/);
  });
});
