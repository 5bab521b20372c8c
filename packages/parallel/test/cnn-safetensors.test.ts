/**
 * A CNN built from layer specs, trained a few steps through the engine, saves a model.safetensors
 * whose keys, dtypes and shapes are exactly those of the equivalent torch.nn.Sequential's
 * state_dict(), in its order, so `model.load_state_dict(load_file("model.safetensors"))` works
 * unchanged (packages/parallel/README.md shows the PyTorch side). The expected layout below is
 * written out from PyTorch's documented parameter shapes (Conv2d weight [out, in/groups, kh, kw],
 * BatchNorm2d weight/bias/running_mean/running_var [C] and a scalar num_batches_tracked,
 * Linear weight [out, in]); Sequential indexes its children 0, 1, 2, …
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Sequential, loadSafetensors, saveSafetensors } from "@weft/layers";
import { Rng } from "@weft/tensor";
import { DataParallel, buildModel, type LayerSpec } from "@weft/parallel";

// nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
//               nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
//               nn.Flatten(), nn.Linear(64, 10))
const SPEC: LayerSpec[] = [
  { type: "Conv2d", inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1, bias: false },
  { type: "BatchNorm2d", numFeatures: 8 },
  { type: "ReLU" },
  { type: "MaxPool2d", kernelSize: 2 },
  { type: "Conv2d", inChannels: 8, outChannels: 16, kernelSize: 3, padding: 1 },
  { type: "BatchNorm2d", numFeatures: 16 },
  { type: "ReLU" },
  { type: "AdaptiveAvgPool2d", outputSize: 2 },
  { type: "Flatten" },
  { type: "Linear", inFeatures: 64, outFeatures: 10 },
];

/** torch.nn.Sequential's state_dict() of the model above: key → shape, in order (all float32 here). */
const TORCH_LAYOUT: [string, number[]][] = [
  ["0.weight", [8, 1, 3, 3]],
  ["1.weight", [8]], ["1.bias", [8]], ["1.running_mean", [8]], ["1.running_var", [8]], ["1.num_batches_tracked", []],
  ["4.weight", [16, 8, 3, 3]], ["4.bias", [16]],
  ["5.weight", [16]], ["5.bias", [16]], ["5.running_mean", [16]], ["5.running_var", [16]], ["5.num_batches_tracked", []],
  ["9.weight", [10, 64]], ["9.bias", [10]],
];

/** The safetensors header of a file: name → {dtype, shape, data_offsets}, in file order. */
function header(path: string): [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][] {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const json = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  return Object.entries(json).filter(([k]) => k !== "__metadata__");
}

describe("a CNN's model.safetensors", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-cnn-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("has torch.nn.Sequential's keys, dtypes and layouts, after training through the engine at W = 2", async () => {
    const rng = new Rng(7);
    const rows = 12;
    const x = new Float32Array(rows * 64);
    rng.fillNormal(x);
    const y = Int32Array.from({ length: rows }, (_, i) => i % 10);
    const dp = await DataParallel.create({ model: SPEC, loss: { type: "crossEntropyLoss" }, optimizer: { type: "Adam", config: { lr: 1e-2 } }, workers: 2, seed: 3 });
    const state = await (async () => {
      try {
        await dp.setData({ x, sampleShape: [1, 8, 8], y });
        await dp.runSteps(Int32Array.from({ length: rows }, (_, i) => i), [[0, 6], [6, 6]]);
        return await dp.stateDict();
      } finally {
        await dp.close();
      }
    })();
    const model = buildModel(SPEC) as Sequential;
    model.loadStateDict(state);
    const path = join(dir, "model.safetensors");
    saveSafetensors(model, path);

    const h = header(path);
    expect(h.map(([k, v]) => [k, v.shape])).toEqual(TORCH_LAYOUT);
    expect(new Set(h.map(([, v]) => v.dtype))).toEqual(new Set(["F32"]));
    // The tensors tile the data section in key order, as torch's save_file writes them.
    h.forEach(([, v], i) => expect(v.data_offsets[0]).toBe(i === 0 ? 0 : h[i - 1][1].data_offsets[1]));
    // Two training batches went through each BatchNorm2d.
    expect(Array.from(model.stateDict()["1.num_batches_tracked"].data)).toEqual([2]);

    // And it loads back (strict: every key) into a fresh model of the same spec.
    const again = buildModel(SPEC);
    loadSafetensors(again, path);
    expect(Array.from(again.stateDict()["4.weight"].data)).toEqual(Array.from(model.stateDict()["4.weight"].data));
  });
});
