import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { backend, readSafetensorsFile } from "@weft/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEmbeddedMnist } from "../src/data/index.js";
import { SMALL, requireBuild, weft, type Result } from "./cli-helpers.js";

const root = mkdtempSync(join(tmpdir(), "weft-cli-"));
const run = join(root, "run");
let trained: Result;

beforeAll(async () => {
  requireBuild();
  trained = await weft(["train", ...SMALL, "--epochs", "2", "--dropout", "0.1", "--lr-schedule", "step:1:0.5", "--out", run, "--json"]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("weft train", () => {
  it("exits 0 and prints one JSON object per line with --json", () => {
    expect(trained.code, trained.stderr).toBe(0);
    const lines = trained.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.event)).toEqual(["start", "epoch", "epoch", "test"]);
    expect(lines[1]).toMatchObject({ epoch: 1, epochs: 2, lr: 1e-3 });
    expect(lines[2]).toMatchObject({ epoch: 2, lr: 5e-4 });
    expect(lines[3]).toMatchObject({ split: "test", dir: run });
  });

  it("writes config.json with the resolved options, the standardisation and the model spec", () => {
    const config = JSON.parse(readFileSync(join(run, "config.json"), "utf8"));
    expect(config.options).toMatchObject({ data: "mnist", splits: [1000, 200, 200], epochs: 2, batchSize: 100, workers: 2, hidden: [32, 16], dropout: 0.1, seed: 0 });
    expect(config.standardization.mean).toBeGreaterThan(0.1);
    expect(config.standardization.std).toBeGreaterThan(0.2);
    expect(config.model.map((l: { type: string }) => l.type)).toEqual(["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]);
    expect(config.data).toMatchObject({ source: "mnist", features: 784, classes: 10, shape: [28, 28], rows: { train: 1000, val: 200, test: 200 } });
    // The kernels it ran on (the test process's own choice: the CLI child inherits WEFT_BACKEND);
    // the CLI turns relaxed SIMD on wherever Node can (20 with the V8 flag it sets, 24 by default)
    // unless WEFT_RELAXED_SIMD=0.
    const relaxedSimd = backend() === "wasm" && process.env.WEFT_RELAXED_SIMD !== "0";
    expect(config.kernels).toEqual({ backend: backend(), relaxedSimd, node: process.version });
  });

  it("writes metrics.jsonl: one line per epoch with per-layer gradient norms, then the test line", () => {
    const lines = readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    for (const [i, m] of lines.slice(0, 2).entries()) {
      expect(m.epoch).toBe(i + 1);
      for (const k of ["trainLoss", "valLoss", "valAccuracy", "samplesPerSec", "seconds"]) expect(Number.isFinite(m[k])).toBe(true);
      expect(Object.keys(m.gradNorms)).toEqual(["0.Linear", "1.BatchNorm1d", "4.Linear", "5.BatchNorm1d", "8.Linear"]);
      expect(Object.values(m.gradNorms).every((g) => (g as number) > 0)).toBe(true);
    }
    expect(Object.keys(lines[2])).toEqual(["split", "loss", "accuracy"]);
    expect(lines[2].split).toBe("test");
  });

  it("writes model.safetensors with PyTorch's state-dict keys (buffers included), the optimiser state and an SVG report", () => {
    const { tensors } = readSafetensorsFile(join(run, "model.safetensors"));
    expect(Object.keys(tensors)).toEqual([
      "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
      "4.weight", "4.bias", "5.weight", "5.bias", "5.running_mean", "5.running_var", "5.num_batches_tracked", "8.weight", "8.bias",
    ]);
    expect(tensors["0.weight"]!.shape).toEqual([32, 784]);
    expect(tensors["1.num_batches_tracked"]!.data[0]).toBe(20); // 2 epochs × 10 steps
    // Its metadata: what a PyTorch user needs without config.json (JSON strings).
    const meta = readSafetensorsFile(join(run, "model.safetensors")).metadata;
    const config = JSON.parse(readFileSync(join(run, "config.json"), "utf8"));
    expect(Object.keys(meta).sort()).toEqual(["architecture", "format", "image_shape", "input_shape", "standardization", "task"]);
    expect(JSON.parse(meta.input_shape!)).toEqual([784]);
    expect(JSON.parse(meta.image_shape!)).toEqual([28, 28]);
    expect(JSON.parse(meta.standardization!)).toEqual(config.standardization);
    expect(typeof config.standardization.mean).toBe("number");
    expect(JSON.parse(meta.architecture!)).toEqual(config.model);
    const opt = readSafetensorsFile(join(run, "optimizer.safetensors"));
    expect(opt.metadata).toEqual({ type: "Adam", step: "20" });
    expect(Object.keys(opt.tensors)).toEqual(["expAvg", "expAvgSq", "maxExpAvgSq"]);
    const html = readFileSync(join(run, "report.html"), "utf8");
    expect(html.match(/<svg/g)).toHaveLength(4);
    expect(html).toContain('class="confusion matrix"');
    expect(html.match(/<img src="data:image\/png;base64,/g)?.length).toBeGreaterThan(0);
    expect(html).toContain("Gradient norm per layer");
  });
});

describe("weft eval and predict", () => {
  it("eval reproduces the run's test accuracy (single process, eval mode)", async () => {
    const r = await weft(["eval", "--model", run, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    const test = JSON.parse(readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n").at(-1)!);
    expect(got).toMatchObject({ event: "eval", split: "test", rows: 200, accuracy: test.accuracy });
    expect(got.loss).toBeCloseTo(test.loss, 4);
    const val = await weft(["eval", "--model", run, "--split", "val"]);
    expect(val.stdout).toMatch(/^val split of mnist \(200 rows\): accuracy \d+\.\d\d%, loss \d\.\d{4}\n$/);
  });

  it("predict classifies raw inputs from an IDX images file and a CSV alike", async () => {
    const ds = loadEmbeddedMnist();
    const rows = [0, 2000, 4000, 6000, 8000, 9999];
    const bytes = Buffer.alloc(16 + rows.length * 784);
    bytes.writeUInt32BE(0x803, 0);
    bytes.writeUInt32BE(rows.length, 4);
    bytes.writeUInt32BE(28, 8);
    bytes.writeUInt32BE(28, 12);
    rows.forEach((r, i) => {
      for (let k = 0; k < 784; k++) bytes[16 + i * 784 + k] = Math.round(ds.x[r * 784 + k]! * 255);
    });
    writeFileSync(join(root, "in.idx.gz"), gzipSync(bytes));
    const csv = rows.map((_, i) => Array.from(bytes.subarray(16 + i * 784, 16 + (i + 1) * 784), (b) => b / 255).join(",")).join("\n");
    writeFileSync(join(root, "in.csv"), `${Array.from({ length: 784 }, (_, k) => `px${k}`).join(",")}\n${csv}\n`);

    const idx = await weft(["predict", "--model", run, "--input", join(root, "in.idx.gz")]);
    expect(idx.code, idx.stderr).toBe(0);
    const classes = idx.stdout.trim().split("\n").map(Number);
    expect(classes).toHaveLength(rows.length);
    expect(classes.every((c) => Number.isInteger(c) && c >= 0 && c < 10)).toBe(true);
    const fromCsv = await weft(["predict", "--model", run, "--input", join(root, "in.csv"), "--json"]);
    const lines = fromCsv.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.class)).toEqual(classes);
    expect(lines.every((l, i) => l.row === i && l.confidence > 0 && l.confidence <= 1)).toBe(true);
  });

  it("predict rejects a CSV value beyond float32's range with its line and column", async () => {
    const wide = Array.from({ length: 784 }, (_, j) => (j === 5 ? "2e38" : j === 9 ? "4e38" : "0.5")).join(",");
    writeFileSync(join(root, "too-big.csv"), `${wide}\n`);
    const r = await weft(["predict", "--model", run, "--input", join(root, "too-big.csv")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(root, "too-big.csv")}: line 1: column 9: "4e38" is beyond float32's range`);
  });

  it("predict rejects inputs of the wrong width with exit code 2", async () => {
    writeFileSync(join(root, "narrow.csv"), "0.1,0.2,0.3\n");
    const r = await weft(["predict", "--model", run, "--input", join(root, "narrow.csv")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/narrow\.csv: line 1: expected 784 feature columns \(or 785 with the label column as in training\), got 3/);
  });

  it("eval and predict name a missing run directory", async () => {
    const r = await weft(["eval", "--model", join(root, "nope")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--model .*nope is not a weft run directory: no such directory/);
    expect(existsSync(join(root, "nope"))).toBe(false);
  });
});
