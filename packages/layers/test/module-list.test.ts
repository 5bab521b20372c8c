/**
 * ModuleList and ModuleDict: containers whose modules are registered (a plain array's are not),
 * with torch.nn.ModuleList's index keys and torch.nn.ModuleDict's name keys.
 */
import { describe, expect, it } from "vitest";
import { Rng, Tensor, tensor } from "@weft/tensor";
import { Linear, Module, ModuleDict, ModuleList, ReLU, mseLoss } from "../src/index.js";

const keys = (m: Module): string[] => Object.keys(m.stateDict());
const rng = new Rng(0);
const lin = (i = 2, o = 2): Linear => new Linear(i, o, { rng });

/** A stack of blocks in a ModuleList property, as a PyTorch user writes `self.blocks = nn.ModuleList(...)`. */
class Stack extends Module {
  readonly blocks: ModuleList<Linear>;
  readonly plain: Linear[];
  constructor(n: number) {
    super();
    this.blocks = new ModuleList(Array.from({ length: n }, () => lin()));
    this.plain = [lin()]; // a plain array: not registered (PyTorch's rule too)
  }
  forward(x: Tensor): Tensor {
    for (const b of this.blocks) x = b.forward(x).relu();
    return x;
  }
}

describe("ModuleList", () => {
  it("registers its modules as 0, 1, …: PyTorch's keys under the owning property", () => {
    const s = new Stack(3);
    expect(keys(s)).toEqual(["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "blocks.2.weight", "blocks.2.bias"]);
    expect(s.namedModules().map(([k]) => k)).toEqual(["", "blocks", "blocks.0", "blocks.1", "blocks.2"]);
  });

  it("is indexable and iterable; at() takes negative indices; length", () => {
    const a = lin();
    const b = new ReLU();
    const list = new ModuleList<Module>([a, b]);
    expect(list.length).toBe(2);
    expect(list[0]).toBe(a);
    expect(list[1]).toBe(b);
    expect(list.at(-1)).toBe(b);
    expect(list.at(2)).toBeUndefined();
    expect([...list]).toEqual([a, b]);
    expect(list.namedChildren()).toEqual([["0", a], ["1", b]]);
  });

  it("append and extend add at the end; insert and pop re-key as PyTorch", () => {
    const [a, b, c, d] = [lin(), lin(), lin(), lin()];
    const list = new ModuleList<Linear>().append(a).extend([b, c]);
    expect(list.namedChildren()).toEqual([["0", a], ["1", b], ["2", c]]);
    list.insert(1, d);
    expect(list.namedChildren()).toEqual([["0", a], ["1", d], ["2", b], ["3", c]]);
    expect(keys(list)).toEqual(["0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias", "3.weight", "3.bias"]);
    expect(list.pop(1)).toBe(d);
    expect(list.namedChildren()).toEqual([["0", a], ["1", b], ["2", c]]);
    expect(list.pop()).toBe(c);
    expect([...list]).toEqual([a, b]);
    expect(list.length).toBe(2);
    expect(list[2]).toBeUndefined();
    list.insert(-1, c); // before the last, as Python's list.insert
    expect([...list]).toEqual([a, c, b]);
    expect(() => new ModuleList().pop()).toThrow(/index -1 is out of range for 0 modules/);
  });

  it("list[i] = m replaces module i in place", () => {
    const list = new ModuleList([lin(), lin()]);
    const fresh = lin(2, 5);
    list[0] = fresh;
    expect(list.namedChildren()[0]).toEqual(["0", fresh]);
    expect(keys(list)).toEqual(["0.weight", "0.bias", "1.weight", "1.bias"]);
    expect(list.stateDict()["0.weight"].shape).toEqual([5, 2]);
  });

  it("refuses what is not a Module, and has no forward of its own", () => {
    expect(() => new ModuleList().append({} as Linear)).toThrow(/ModuleList\.append: expected a Module/);
    expect(() => new ModuleList([lin()]).forward(tensor([[1, 2]]))).toThrow(/ModuleList has no forward: loop over it/);
  });

  it("a model looping over a ModuleList trains every block (a plain array's module would stay frozen)", () => {
    const s = new Stack(2);
    const x = tensor([[0.5, -1], [1, 2]]);
    mseLoss(s.forward(x), tensor([[1, 0], [0, 1]])).backward();
    for (const [name, p] of s.namedParameters()) expect(p.grad, name).not.toBeNull();
    expect(s.parameters()).not.toContain(s.plain[0].weight);
  });
});

describe("ModuleDict", () => {
  it("registers by name in insertion order; set replaces in place; delete removes", () => {
    const [enc, dec, head] = [lin(), lin(), lin(2, 3)];
    const d = new ModuleDict({ enc, dec });
    expect(keys(d)).toEqual(["enc.weight", "enc.bias", "dec.weight", "dec.bias"]);
    d.set("head", head);
    const enc2 = lin();
    d.set("enc", enc2);
    expect(d.namedChildren()).toEqual([["enc", enc2], ["dec", dec], ["head", head]]);
    expect(d.get("enc")).toBe(enc2);
    expect(d.has("dec")).toBe(true);
    expect(d.size).toBe(3);
    expect(d.delete("dec")).toBe(true);
    expect(d.delete("dec")).toBe(false);
    expect(keys(d)).toEqual(["enc.weight", "enc.bias", "head.weight", "head.bias"]);
    expect([...d.keys()]).toEqual(["enc", "head"]);
    expect([...d.values()]).toEqual([enc2, head]);
    expect([...d]).toEqual([["enc", enc2], ["head", head]]);
  });

  it("takes pairs too; names that are methods are fine (entries are not properties); refuses a dotted name", () => {
    const d = new ModuleDict([["keys", lin()], ["forward", lin()]]);
    expect(d.namedChildren().map(([k]) => k)).toEqual(["keys", "forward"]);
    expect(typeof d.keys).toBe("function");
    expect(() => d.set("a.b", lin())).toThrow(/a name must be a non-empty string without "\."/);
    expect(() => d.set("", lin())).toThrow(/non-empty/);
    expect(() => d.forward(tensor([1]))).toThrow(/ModuleDict has no forward/);
  });

  it("nested in a model: its children's keys are prefixed by the property and the name", () => {
    class Heads extends Module {
      readonly trunk = lin(2, 4);
      readonly heads = new ModuleDict({ cls: lin(4, 3), reg: lin(4, 1) });
      forward(x: Tensor): Tensor { return this.heads.get("cls")!.forward(this.trunk.forward(x)); }
    }
    expect(keys(new Heads())).toEqual(["trunk.weight", "trunk.bias", "heads.cls.weight", "heads.cls.bias", "heads.reg.weight", "heads.reg.bias"]);
  });
});
