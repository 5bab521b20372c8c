/**
 * saveSafetensors / loadSafetensors: a whole model (parameters and BatchNorm buffers) to a file
 * with PyTorch's state-dict keys, and back; strict errors name the file and the keys.
 * BatchNorm1d comes from @weft/norm (built, resolved from the workspace root); it is only used here.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng, Tensor, randn, readSafetensorsFile, writeSafetensorsFile, type NamedTensor } from "@weft/tensor";
import { BatchNorm1d } from "@weft/norm";
import { Linear, ReLU, Sequential, Sigmoid, loadSafetensors, saveSafetensors, type Module } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "weft-layers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function model(seed: number): Sequential {
  const rng = new Rng(seed);
  return new Sequential(new Linear(3, 4, { rng }), new BatchNorm1d(4) as unknown as Module, new ReLU(), new Linear(4, 2, { rng }), new Sigmoid());
}

const KEYS = ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "3.weight", "3.bias"];

const values = (m: Module): Record<string, number[]> =>
  Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));

/** A model whose BatchNorm has seen two training batches (so its buffers are not the defaults). */
function trained(seed: number): Sequential {
  const m = model(seed);
  m.forward(randn([8, 3], new Rng(1)));
  m.forward(randn([8, 3], new Rng(2)));
  return m;
}

describe("safetensors checkpoints", () => {
  it("the state dict has PyTorch's keys, BatchNorm's buffers included, in order", () => {
    expect(Object.keys(model(0).stateDict())).toEqual(KEYS);
    expect(model(0).namedParameters().map(([k]) => k)).toEqual(["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"]);
  });

  it("round-trips parameters and buffers bit-exactly; the loaded model computes the same outputs", () => {
    const a = trained(1);
    expect(a.stateDict()["1.num_batches_tracked"].data[0]).toBe(2);
    const path = join(dir, "model.safetensors");
    saveSafetensors(a, path, { format: "pt", epoch: "3" });

    const b = model(2);
    expect(values(b)).not.toEqual(values(a));
    expect(loadSafetensors(b, path)).toEqual({ format: "pt", epoch: "3" });
    expect(values(b)).toEqual(values(a));

    const x = randn([5, 3], new Rng(9));
    a.eval();
    b.eval();
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
  });

  it("writes a standard file: F32 tensors with the state dict's keys, shapes and order, metadata first", () => {
    const path = join(dir, "header.safetensors");
    saveSafetensors(trained(3), path, { format: "pt" });
    const bytes = readFileSync(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    expect(Object.keys(header)).toEqual(["__metadata__", ...KEYS]);
    expect(header["__metadata__"]).toEqual({ format: "pt" });
    expect(header["0.weight"]).toEqual({ dtype: "F32", shape: [4, 3], data_offsets: [0, 48] });
    expect(header["1.num_batches_tracked"].shape).toEqual([]);
    let end = 0;
    for (const k of KEYS) {
      expect(header[k].dtype).toBe("F32");
      expect(header[k].data_offsets[0]).toBe(end);
      end = header[k].data_offsets[1];
    }
    expect(bytes.length).toBe(8 + headerLength + end);
  });

  it("strict: a file with a missing key is an error naming the file and the key; the model is unchanged", () => {
    const full = readSafetensorsFile(join(dir, "model.safetensors")).tensors;
    const partial: Record<string, NamedTensor> = { ...full };
    delete partial["1.running_var"];
    const path = join(dir, "partial.safetensors");
    writeSafetensorsFile(path, partial);
    const m = model(4);
    const before = values(m);
    expect(() => loadSafetensors(m, path)).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: loadStateDict: missing keys: 1\\.running_var`));
    expect(values(m)).toEqual(before);
  });

  it("strict: unexpected and mis-shaped keys are errors too", () => {
    const full = readSafetensorsFile(join(dir, "model.safetensors")).tensors;
    const path = join(dir, "odd.safetensors");
    writeSafetensorsFile(path, { ...full, "5.weight": { shape: [1], data: new Float32Array(1) }, "3.bias": { shape: [3], data: new Float32Array(3) } });
    expect(() => loadSafetensors(model(5), path)).toThrow(/mis-shaped keys: 3\.bias: expected \[2\], got \[3\].*unexpected keys: 5\.weight/);
  });

  it("non-strict loads what matches", () => {
    const full = readSafetensorsFile(join(dir, "model.safetensors")).tensors;
    const partial: Record<string, NamedTensor> = { "0.weight": full["0.weight"], "0.bias": full["0.bias"] };
    const path = join(dir, "first-layer.safetensors");
    writeSafetensorsFile(path, partial);
    const m = model(6);
    loadSafetensors(m, path, false);
    expect(Array.from(m.stateDict()["0.weight"].data)).toEqual(Array.from(full["0.weight"].data));
  });

  it("a model without buffers (Linear and activations only) round-trips too", () => {
    const rng = new Rng(7);
    const a = new Sequential(new Linear(2, 3, { rng }), new ReLU(), new Linear(3, 1, { bias: false, rng }));
    const path = join(dir, "mlp.safetensors");
    saveSafetensors(a, path);
    const b = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1, { bias: false }));
    loadSafetensors(b, path);
    expect(values(b)).toEqual(values(a));
    const { tensors } = readSafetensorsFile(path);
    expect(Object.keys(tensors)).toEqual(["0.weight", "0.bias", "2.weight"]);
    expect(tensors["0.weight"].data).toBeInstanceOf(Float32Array);
    expect((b.layers[0] as Linear).weight).toBeInstanceOf(Tensor);
  });
});
