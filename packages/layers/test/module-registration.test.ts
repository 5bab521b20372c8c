/**
 * Modules register what is assigned, as torch.nn.Module.__setattr__: a child Module or a Parameter
 * assigned to a property is registered under its name, in assignment order. Field styles, mixing
 * with explicit registration, reassignment, null, what is never registered, and that a model built
 * from plain properties trains, flattens and loads.
 */
import { describe, expect, it } from "vitest";
import { Rng, Tensor, randn, tensor } from "@weft/tensor";
// @weft/norm (built, resolved from the workspace root, as in checkpoint.test.ts) only for the
// test that modules of another copy of this package register too.
import { BatchNorm1d, LayerNorm } from "@weft/norm";
import { Dropout, Linear, Module, Parameter, ReLU, Sequential, mseLoss } from "../src/index.js";

const keys = (m: Module): string[] => Object.keys(m.stateDict());
const param = (...values: number[]): Parameter => new Parameter(Float32Array.from(values), [values.length]);

/** x + fc2(relu(fc1(x))), children as plain properties assigned in the constructor; a learnable gate. */
class Residual extends Module {
  readonly fc1: Linear;
  readonly act: ReLU;
  readonly fc2: Linear;
  readonly gate: Parameter;
  constructor(d: number, rng: Rng) {
    super();
    this.fc1 = new Linear(d, d, { rng });
    this.act = new ReLU();
    this.fc2 = new Linear(d, d, { rng });
    this.gate = param(1);
  }
  forward(x: Tensor): Tensor {
    return x.add(this.fc2.forward(this.act.forward(this.fc1.forward(x))).mul(this.gate));
  }
}

/** in → Residual → Residual → head, every child a plain property. */
class ResidualMLP extends Module {
  readonly inp: Linear;
  readonly block1: Residual;
  readonly block2: Residual;
  readonly head: Linear;
  constructor(inFeatures: number, hidden: number, out: number, seed = 0) {
    super();
    const rng = new Rng(seed);
    this.inp = new Linear(inFeatures, hidden, { rng });
    this.block1 = new Residual(hidden, rng);
    this.block2 = new Residual(hidden, rng);
    this.head = new Linear(hidden, out, { rng });
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.block2.forward(this.block1.forward(this.inp.forward(x).relu())));
  }
}

// torch.nn.Module's order for the same classes: a module's own parameters (gate), then its
// children's in assignment order, depth-first.
const RESIDUAL_MLP_KEYS = [
  "inp.weight", "inp.bias",
  "block1.gate", "block1.fc1.weight", "block1.fc1.bias", "block1.fc2.weight", "block1.fc2.bias",
  "block2.gate", "block2.fc1.weight", "block2.fc1.bias", "block2.fc2.weight", "block2.fc2.bias",
  "head.weight", "head.bias",
];

describe("what is assigned is registered", () => {
  it("a custom residual MLP's state-dict keys are PyTorch's, in its order", () => {
    const m = new ResidualMLP(2, 8, 3);
    expect(keys(m)).toEqual(RESIDUAL_MLP_KEYS);
    expect(m.namedParameters().map(([k]) => k)).toEqual(RESIDUAL_MLP_KEYS);
    expect(m.namedChildren().map(([k]) => k)).toEqual(["inp", "block1", "block2", "head"]);
    expect(m.namedModules().map(([k]) => k)).toEqual(["", "inp", "block1", "block1.fc1", "block1.act", "block1.fc2", "block2", "block2.fc1", "block2.act", "block2.fc2", "head"]);
    expect(m.stateDict()["block1.fc1.weight"]).toBe(m.block1.fc1.weight);
    expect(m.stateDict()["block2.gate"]).toBe(m.block2.gate);
  });

  it("children are registered in assignment order (not alphabetical, not declaration order of a later field)", () => {
    class M extends Module {
      declare z: Linear;
      declare a: Linear;
      constructor() {
        super();
        this.z = new Linear(1, 1);
        this.a = new Linear(1, 1);
      }
      forward(x: Tensor): Tensor { return x; }
    }
    expect(keys(new M())).toEqual(["z.weight", "z.bias", "a.weight", "a.bias"]);
  });

  it("train() and eval() reach property-registered children", () => {
    const m = new ResidualMLP(2, 4, 1).eval();
    expect(m.block1.act.training).toBe(false);
    expect(m.block2.fc2.training).toBe(false);
    m.train();
    expect(m.block1.act.training).toBe(true);
  });

  it("a Module from another copy of @weft/layers registers too (@weft/norm extends the built package)", () => {
    // Brands, not instanceof: this file's Module is src/'s, @weft/norm's LayerNorm extends dist/'s.
    class Normed extends Module {
      readonly fc = new Linear(4, 4);
      readonly norm = new LayerNorm(4);
      readonly bn = new BatchNorm1d(4);
      forward(x: Tensor): Tensor { return this.bn.forward(this.norm.forward(this.fc.forward(x))); }
    }
    expect(keys(new Normed())).toEqual([
      "fc.weight", "fc.bias", "norm.weight", "norm.bias",
      "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
    ]);
  });
});

describe("field styles (useDefineForClassFields, as tsconfig.base.json's ES2022 target implies)", () => {
  it("this test file is compiled with [[Define]] fields, as the packages are", () => {
    class Probe { x!: number; }
    expect(Object.hasOwn(new Probe(), "x")).toBe(true);
  });

  it("field initializers register in declaration order", () => {
    const rng = new Rng(0);
    class M extends Module {
      fc1 = new Linear(2, 3, { rng });
      scale = param(1, 2, 3);
      fc2 = new Linear(3, 1, { rng });
      forward(x: Tensor): Tensor { return this.fc2.forward(this.fc1.forward(x).mul(this.scale)); }
    }
    expect(keys(new M())).toEqual(["scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
  });

  it("declared fields (`fc!: Linear`) take their position from the declaration: the field exists from super() on", () => {
    class M extends Module {
      fc2!: Linear;
      fc1!: Linear;
      constructor() {
        super();
        this.fc1 = new Linear(1, 1);
        this.fc2 = new Linear(1, 1);
      }
      forward(x: Tensor): Tensor { return x; }
    }
    expect(keys(new M())).toEqual(["fc2.weight", "fc2.bias", "fc1.weight", "fc1.bias"]);
  });

  it("`declare`d fields emit nothing: assignment order", () => {
    class M extends Module {
      declare fc2: Linear;
      declare fc1: Linear;
      constructor() {
        super();
        this.fc1 = new Linear(1, 1);
        this.fc2 = new Linear(1, 1);
      }
      forward(x: Tensor): Tensor { return x; }
    }
    expect(keys(new M())).toEqual(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
  });

  it("properties assigned after construction register too, at the end", () => {
    const m = new Sequential(new Linear(1, 1));
    (m as unknown as { extra: Linear }).extra = new Linear(1, 2);
    expect(keys(m)).toEqual(["0.weight", "0.bias", "extra.weight", "extra.bias"]);
  });
});

describe("mixing properties and explicit registration", () => {
  it("assign, then register the same object: one entry", () => {
    class M extends Module {
      readonly fc: Linear;
      readonly w: Parameter;
      constructor() {
        super();
        this.fc = new Linear(1, 1);
        this.registerModule("fc", this.fc);
        this.w = param(1);
        this.registerParameter("w", this.w);
      }
      forward(x: Tensor): Tensor { return x; }
    }
    const m = new M();
    expect(keys(m)).toEqual(["w", "fc.weight", "fc.bias"]);
    expect(m.namedChildren().map(([k]) => k)).toEqual(["fc"]);
  });

  it("register, then assign: one entry, in the registered position", () => {
    class M extends Module {
      declare a: Linear;
      constructor() {
        super();
        const a = new Linear(1, 1);
        this.registerModule("a", a);
        this.registerModule("b", new Linear(1, 1));
        this.a = a;
      }
      forward(x: Tensor): Tensor { return x; }
    }
    expect(keys(new M())).toEqual(["a.weight", "a.bias", "b.weight", "b.bias"]);
  });

  it("properties assigned between explicit calls keep the order of the calls and assignments", () => {
    class M extends Module {
      declare second: Linear;
      constructor() {
        super();
        this.registerModule("first", new Linear(1, 1));
        this.second = new Linear(1, 1);
        this.registerModule("third", new Linear(1, 1));
      }
      forward(x: Tensor): Tensor { return x; }
    }
    expect(new M().namedChildren().map(([k]) => k)).toEqual(["first", "second", "third"]);
  });

  it("registering another object under a property's name sets the property too: they never differ", () => {
    class M extends Module {
      fc = new Linear(1, 1);
      readonly replacement = new Linear(1, 2);
      constructor() {
        super();
        this.registerModule("fc", this.replacement);
      }
      forward(x: Tensor): Tensor { return this.fc.forward(x); }
    }
    const m = new M();
    expect(m.fc).toBe(m.replacement);
    // The same child under two names: listed once by namedChildren, under both in the state dict (PyTorch).
    expect(m.namedChildren()).toEqual([["fc", m.replacement]]);
    expect(keys(m)).toEqual(["fc.weight", "fc.bias", "replacement.weight", "replacement.bias"]);
  });

  it("explicit registration refuses a name that is a plain property, another kind's entry, or has a dot", () => {
    class M extends Module {
      readonly size = 3;
      readonly fc = new Linear(1, 1);
      forward(x: Tensor): Tensor { return x; }
      try(what: string): void {
        if (what === "property") this.registerParameter("size", param(1));
        if (what === "kind") this.registerParameter("fc", param(1));
        if (what === "dot") this.registerModule("a.b", new Linear(1, 1));
        if (what === "type") this.registerParameter("p", tensor([1]) as Parameter);
      }
    }
    const m = new M();
    expect(() => m.try("property")).toThrow(/M\.registerParameter\("size"\): "size" is already a property holding 3/);
    expect(() => m.try("kind")).toThrow(/"fc" is already a registered module/);
    expect(() => m.try("dot")).toThrow(/a name must be a non-empty string without "\."/);
    expect(() => m.try("type")).toThrow(/expected a Parameter or null, got a Tensor of shape \[1\]/);
  });

  it("existing modules keep their keys and order (explicit registration of assigned properties)", () => {
    const rng = new Rng(0);
    expect(keys(new Linear(2, 3, { rng }))).toEqual(["weight", "bias"]);
    expect(keys(new Linear(2, 3, { bias: false, rng }))).toEqual(["weight"]);
    expect(keys(new Sequential(new Linear(2, 3, { rng }), new Dropout(0.5, { rng }), new Linear(3, 1, { rng })))).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    // Sequential's `layers` is a plain array: its modules are registered by index only, once.
    expect(new Sequential(new Linear(1, 1)).namedChildren().map(([k]) => k)).toEqual(["0"]);
  });
});

describe("reassignment, null and deletion", () => {
  it("reassigning a child replaces its entry in place (same position, new tensors)", () => {
    const m = new ResidualMLP(2, 4, 1);
    const fresh = new Residual(4, new Rng(9));
    (m as { block1: Residual }).block1 = fresh;
    expect(keys(m)).toEqual(RESIDUAL_MLP_KEYS);
    expect(m.stateDict()["block1.fc1.weight"]).toBe(fresh.fc1.weight);
    expect(m.parameters()).toContain(fresh.gate);
  });

  it("reassigning a parameter property replaces it in place, also one registered explicitly (Linear.weight)", () => {
    const lin = new Linear(2, 2);
    const w = new Parameter(new Float32Array(4), [2, 2]);
    (lin as { weight: Parameter }).weight = w;
    expect(keys(lin)).toEqual(["weight", "bias"]);
    expect(lin.parameters()[0]).toBe(w);
    expect(Array.from(lin.forward(tensor([[1, 1]])).data)).toEqual(Array.from(lin.bias!.data)); // the forward uses it too
  });

  it("null keeps the slot (PyTorch's None): no keys, and a later value takes the same position", () => {
    const m = new ResidualMLP(2, 4, 1);
    (m as { block1: Residual | null }).block1 = null;
    expect(keys(m)).toEqual(RESIDUAL_MLP_KEYS.filter((k) => !k.startsWith("block1.")));
    expect(m.namedChildren().map(([k]) => k)).toEqual(["inp", "block2", "head"]);
    (m as { block1: Residual | null }).block1 = new Residual(4, new Rng(1));
    expect(keys(m)).toEqual(RESIDUAL_MLP_KEYS);

    const r = new Residual(2, new Rng(0));
    (r as { gate: Parameter | null }).gate = null;
    expect(keys(r)).toEqual(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    (r as { gate: Parameter | null }).gate = param(2);
    expect(keys(r)[0]).toBe("gate");
  });

  it("null on a name that was never registered registers nothing; undefined is as null", () => {
    class M extends Module {
      maybe: Linear | null = null;
      forward(x: Tensor): Tensor { return x; }
    }
    const m = new M();
    expect(keys(m)).toEqual([]);
    m.maybe = new Linear(1, 1);
    expect(keys(m)).toEqual(["maybe.weight", "maybe.bias"]);
    (m as { maybe: unknown }).maybe = undefined;
    expect(keys(m)).toEqual([]);
  });

  it("a Parameter assigned where a Module was (or the reverse) moves the entry, as PyTorch", () => {
    const m = new Sequential();
    const any = m as unknown as Record<string, unknown>;
    any.x = new Linear(1, 1);
    any.y = param(1);
    expect(keys(m)).toEqual(["y", "x.weight", "x.bias"]);
    any.x = param(2);
    expect(m.namedChildren()).toEqual([]);
    // Among the parameters by property order (PyTorch appends it: ["y", "x"]).
    expect(keys(m)).toEqual(["x", "y"]);
    any.x = new Linear(1, 1);
    expect(keys(m)).toEqual(["y", "x.weight", "x.bias"]);
  });

  it("any other value on a registered name is a TypeError, named, when the registry is next read", () => {
    const lin = new Linear(2, 2);
    (lin as unknown as { weight: Tensor }).weight = tensor([[1, 2], [3, 4]]);
    expect(() => lin.parameters()).toThrow(/Linear\.weight holds a Tensor of shape \[2, 2\], but "weight" is a registered parameter: assign a Parameter or null/);
    const m = new ResidualMLP(1, 2, 1);
    m.parameters(); // the registry has seen head as a module
    (m as unknown as { head: number }).head = 3;
    expect(() => m.stateDict()).toThrow(/ResidualMLP\.head holds 3, but "head" is a registered module: assign a Module or null/);
  });

  it("the scan sees each property's value at a read, not the assignments in between", () => {
    // Replaced by a number before anything read the registry: head was never seen as a module, so
    // it is a plain property (no error), as if the module had never been assigned.
    const m = new ResidualMLP(1, 2, 1);
    (m as unknown as { head: number }).head = 3;
    expect(keys(m)).toEqual(RESIDUAL_MLP_KEYS.filter((k) => !k.startsWith("head.")));
    // Positions do not depend on when reads happen: null and back before any read keeps the place.
    const a = new ResidualMLP(1, 2, 1);
    const b1 = a.block1;
    (a as { block1: Residual | null }).block1 = null;
    (a as { block1: Residual | null }).block1 = b1;
    expect(keys(a)).toEqual(RESIDUAL_MLP_KEYS);
  });

  it("delete removes the entry, as PyTorch's __delattr__", () => {
    const m = new ResidualMLP(2, 4, 1);
    delete (m as { block2?: Residual }).block2;
    expect(keys(m)).toEqual(RESIDUAL_MLP_KEYS.filter((k) => !k.startsWith("block2.")));
  });
});

describe("what is never registered", () => {
  it("plain values, Tensors, arrays and objects of modules, #private, non-enumerable and prototype properties", () => {
    const rng = new Rng(0);
    class M extends Module {
      readonly n = 3;
      readonly name = "m";
      readonly t = tensor([1, 2]); // a Tensor property is not a buffer: buffers are explicit
      readonly list = [new Linear(1, 1, { rng })]; // PyTorch: a list of modules is not registered either
      readonly byName = { a: new Linear(1, 1, { rng }) };
      readonly params = [param(1)];
      readonly #hidden = new Linear(1, 1, { rng });
      constructor() {
        super();
        // A reference that is not a child (a teacher model, a parent): a non-enumerable property.
        Object.defineProperty(this, "teacher", { value: new Linear(1, 1, { rng }), enumerable: false });
      }
      get viaGetter(): Linear { return this.#hidden; }
      forward(x: Tensor): Tensor { return this.#hidden.forward(x); }
    }
    const m = new M();
    expect(keys(m)).toEqual([]);
    expect(m.parameters()).toEqual([]);
    expect(m.namedChildren()).toEqual([]);
    expect(m.buffers()).toEqual([]);
  });

  it("buffers stay explicit: registerBuffer, and reassigning a registered buffer's property updates it in place", () => {
    class Stat extends Module {
      running: Tensor;
      readonly w = param(1);
      constructor() {
        super();
        this.running = tensor([0, 0]);
        this.registerBuffer("running", this.running);
        this.registerBuffer("count", tensor([0]));
      }
      forward(x: Tensor): Tensor { return x; }
    }
    const s = new Stat();
    expect(keys(s)).toEqual(["w", "running", "count"]);
    expect(s.parameters()).toEqual([s.w]);
    const next = tensor([5, 6]);
    s.running = next;
    expect(keys(s)).toEqual(["w", "running", "count"]);
    expect(s.stateDict().running).toBe(next);
    expect(s.buffers()[0]).toBe(next);
  });
});

describe("shared modules, tied weights and cycles", () => {
  it("a parameter held twice (tied) is one parameter and one flat slot, but two state-dict keys (as PyTorch)", () => {
    class Tied extends Module {
      readonly enc = new Linear(3, 3);
      readonly dec = new Linear(3, 3);
      constructor() {
        super();
        (this.dec as { weight: Parameter }).weight = this.enc.weight;
      }
      forward(x: Tensor): Tensor { return this.dec.forward(this.enc.forward(x)); }
    }
    const m = new Tied();
    expect(m.namedParameters().map(([k]) => k)).toEqual(["enc.weight", "enc.bias", "dec.bias"]);
    expect(keys(m)).toEqual(["enc.weight", "enc.bias", "dec.weight", "dec.bias"]);
    const { layout } = m.flatten();
    expect(layout.map((l) => l.name)).toEqual(["enc.weight", "enc.bias", "dec.bias"]);
    expect(m.dec.weight.data).toBe(m.enc.weight.data);
  });

  it("a module reachable twice is listed once; a cycle does not loop, and stateDict names it", () => {
    const shared = new Linear(2, 2);
    const m = new Sequential(shared, new ReLU(), shared);
    expect(m.namedModules().map(([k]) => k)).toEqual(["", "0", "1"]);
    expect(m.parameters()).toHaveLength(2);
    expect(keys(m)).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]); // PyTorch's state dict too

    const parent = new ResidualMLP(1, 2, 1);
    (parent.block1 as unknown as { owner: Module }).owner = parent; // enumerable: a child, so a cycle
    expect(parent.namedModules().map(([k]) => k)).toContain("block1.fc1");
    expect(parent.parameters()).toHaveLength(RESIDUAL_MLP_KEYS.length);
    expect(() => parent.stateDict()).toThrow(/the module at "block1\.owner" is one of its own ancestors/);
  });
});

describe("a model of plain properties trains, flattens and loads", () => {
  // y = sin(x0) + x1², 64 points: a small regression the residual MLP fits quickly.
  const rng = new Rng(7);
  const x = randn([64, 2], rng);
  const y = new Tensor(Float32Array.from({ length: 64 }, (_, i) => Math.sin(x.data[2 * i]) + x.data[2 * i + 1] ** 2), [64, 1]);

  /** Plain SGD by hand over parameters() (@weft/layers' tests do not need @weft/optim). */
  function train(m: Module, steps: number, lr = 0.05): number[] {
    const params = m.parameters();
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      m.zeroGrad();
      const loss = mseLoss(m.forward(x), y);
      loss.backward();
      losses.push(loss.item());
      for (const p of params) for (let i = 0; i < p.size; i++) p.data[i] -= lr * p.grad!.data[i];
    }
    return losses;
  }

  it("every parameter gets a gradient (none silently frozen) and the loss falls", () => {
    const m = new ResidualMLP(2, 16, 1);
    const before = m.parameters().map((p) => Float32Array.from(p.data));
    const losses = train(m, 200);
    for (const [name, p] of m.namedParameters()) {
      expect(p.grad, name).not.toBeNull();
      expect(p.grad!.data.some((g) => g !== 0), name).toBe(true);
    }
    m.parameters().forEach((p, i) => expect(Array.from(p.data)).not.toEqual(Array.from(before[i])));
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 5);
  });

  it("flatten() covers every property-registered parameter, in state-dict order, and training goes through it", () => {
    const m = new ResidualMLP(2, 16, 1);
    const values = m.parameters().flatMap((p) => Array.from(p.data));
    const { params, grads, layout } = m.flatten();
    expect(layout.map((l) => l.name)).toEqual(RESIDUAL_MLP_KEYS);
    expect(params.length).toBe(m.parameters().reduce((s, p) => s + p.size, 0));
    expect(Array.from(params)).toEqual(values);
    for (const p of m.parameters()) {
      expect(p.data.buffer).toBe(params.buffer);
      expect(p.grad!.data.buffer).toBe(grads.buffer);
    }
    const losses = train(m, 50);
    expect(losses[49]).toBeLessThan(losses[0]);
    expect(Array.from(params)).toEqual(m.parameters().flatMap((p) => Array.from(p.data)));
  });

  it("loadStateDict round-trips between two instances; strict names what is missing or unexpected", () => {
    const a = new ResidualMLP(2, 8, 1, 1);
    const b = new ResidualMLP(2, 8, 1, 2);
    b.loadStateDict(a.stateDict());
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));

    const state: Record<string, Tensor> = { ...a.stateDict(), "block3.gate": tensor([1]) };
    delete state["block2.fc1.bias"];
    expect(() => b.loadStateDict(state)).toThrow(/missing keys: block2\.fc1\.bias\. unexpected keys: block3\.gate/);
    expect(b.loadStateDict(state, false)).toEqual({ missingKeys: ["block2.fc1.bias"], unexpectedKeys: ["block3.gate"] });
  });
});
