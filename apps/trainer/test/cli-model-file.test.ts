// `weft train --model FILE`: a user's own network (an ES module exporting createModel(ctx)) through
// the whole CLI — training, the run directory, --resume, eval and predict — and its refusals.
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { loadSafetensors } from "@weft/layers";
import { Rng, Tensor, argmax, noGrad, readSafetensorsFile } from "@weft/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEmbeddedMnist } from "../src/data/index.js";
import { requireBuild, weft } from "./cli-helpers.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const SMALL = ["--splits", "1000,200,200", "--workers", "2", "--batch-size", "100"];
const root = mkdtempSync(join(tmpdir(), "weft-model-file-"));
const run = join(root, "run");
// A copy of the fixture that one test deletes (beside the fixtures, so that its imports of @weft/* resolve).
const net = fixture(`.tmp-net-${process.pid}.mjs`);
const bytes = (dir: string, file: string) => readFileSync(join(dir, file));
const lines = (dir: string) => readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const withoutClock = (dir: string) => lines(dir).map(({ seconds: _s, samplesPerSec: _r, ...rest }) => rest);

beforeAll(async () => {
  requireBuild();
  copyFileSync(fixture("tiny-net.mjs"), net);
  const r = await weft(["train", "--model", fixture("tiny-net.mjs"), ...SMALL, "--epochs", "3", "--out", run, "--json"]);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(net, { force: true });
});

describe("weft train --model FILE", () => {
  it("trains the file's module on images [1, 28, 28] and records the file in config.json", () => {
    const config = JSON.parse(readFileSync(join(run, "config.json"), "utf8"));
    const sha = createHash("sha256").update(readFileSync(fixture("tiny-net.mjs"))).digest("hex");
    expect(config.model).toEqual({ file: fixture("tiny-net.mjs"), sha256: sha, inputShape: [1, 28, 28], numClasses: 10 });
    expect(config.options.model).toBe(fixture("tiny-net.mjs"));
    expect(config.loss).toBeNull();
    const m = lines(run);
    expect(m).toHaveLength(4); // 3 epochs and the test line
    expect(m[2].trainLoss).toBeLessThan(m[0].trainLoss);
    // Per-layer gradient norms by top-level child: the file's `body` and `head`.
    expect(Object.keys(m[0].gradNorms).sort()).toEqual(["body.Sequential", "head.Linear"]);
    expect(m[3].accuracy).toBeGreaterThan(0.8);
    // PyTorch state-dict keys of the file's tree.
    const { tensors } = readSafetensorsFile(join(run, "model.safetensors"));
    expect(Object.keys(tensors).sort()).toEqual([
      "body.0.bias", "body.0.weight", "body.1.bias", "body.1.num_batches_tracked", "body.1.running_mean", "body.1.running_var", "body.1.weight",
      "head.bias", "head.weight",
    ]);
    expect(tensors["body.0.weight"]!.shape).toEqual([32, 784]);
    expect(tensors["body.1.num_batches_tracked"]!.data[0]).toBe(30); // 3 epochs × 10 steps
    expect(readFileSync(join(run, "report.html"), "utf8")).toContain("tiny-net.mjs");
  });

  it("--resume continues bit for bit (dropout inside the file's block included)", async () => {
    const dir = join(root, "split");
    const first = await weft(["train", "--model", fixture("tiny-net.mjs"), ...SMALL, "--epochs", "1", "--out", dir]);
    expect(first.code, first.stderr).toBe(0);
    const resumed = await weft(["train", "--resume", dir, "--epochs", "3"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("resuming after epoch 1");
    expect(bytes(dir, "model.safetensors").equals(bytes(run, "model.safetensors"))).toBe(true);
    expect(bytes(dir, "optimizer.safetensors").equals(bytes(run, "optimizer.safetensors"))).toBe(true);
    expect(withoutClock(dir)).toEqual(withoutClock(run));
  }, 120_000);

  it("eval reproduces the test line; predict agrees with the module rebuilt by hand from model.safetensors", async () => {
    const ev = await weft(["eval", "--model", run, "--json"]);
    expect(ev.code, ev.stderr).toBe(0);
    const test = lines(run).at(-1);
    const got = JSON.parse(ev.stdout);
    expect(got).toMatchObject({ event: "eval", split: "test", rows: 200, accuracy: test.accuracy });
    expect(got.loss).toBeCloseTo(test.loss, 4);

    const ds = loadEmbeddedMnist();
    const rows = [1, 777, 4242, 9000];
    const idx = Buffer.alloc(16 + rows.length * 784);
    idx.writeUInt32BE(0x803, 0);
    idx.writeUInt32BE(rows.length, 4);
    idx.writeUInt32BE(28, 8);
    idx.writeUInt32BE(28, 12);
    rows.forEach((r, i) => {
      for (let k = 0; k < 784; k++) idx[16 + i * 784 + k] = Math.round(ds.x[r * 784 + k]! * 255);
    });
    writeFileSync(join(root, "in.idx.gz"), gzipSync(idx));
    const pr = await weft(["predict", "--model", run, "--input", join(root, "in.idx.gz")]);
    expect(pr.code, pr.stderr).toBe(0);
    const predicted = pr.stdout.trim().split("\n").map(Number);

    // The same network built here from the file, loaded and fed [n, 1, 28, 28] standardised pixels.
    const { createModel } = await import(pathToFileURL(fixture("tiny-net.mjs")).href);
    const model = createModel({ rng: new Rng(0), inputShape: [1, 28, 28], numClasses: 10, rank: 0, worldSize: 1 });
    loadSafetensors(model, join(run, "model.safetensors"));
    model.eval();
    const { mean, std } = JSON.parse(readFileSync(join(run, "config.json"), "utf8")).standardization;
    const x = Float32Array.from(idx.subarray(16), (b) => (b / 255 - mean) / std);
    const expected = noGrad(() => Array.from(argmax(model.forward(new Tensor(x, [rows.length, 1, 28, 28])), 1)));
    expect(predicted).toEqual(expected);
  }, 60_000);

  it("uses the file's own loss when it exports one, in training, validation and eval", async () => {
    const dir = join(root, "offset");
    const r = await weft(["train", "--model", fixture("offset-loss-net.mjs"), ...SMALL, "--epochs", "1", "--out", dir, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const [epoch, test] = lines(dir);
    // Cross-entropy + 5: every figure sits 5 above a cross-entropy (which is below 3 here).
    for (const v of [epoch.trainLoss, epoch.valLoss, test.loss]) expect(v).toBeGreaterThan(5);
    expect(test.loss).toBeLessThan(8);
    const ev = await weft(["eval", "--model", dir, "--json"]);
    expect(JSON.parse(ev.stdout).loss).toBeCloseTo(test.loss, 4);
  }, 60_000);

  it("takes CSV rows as [features]", async () => {
    const rng = new Rng(3);
    const csv = ["a,b,label"];
    for (let i = 0; i < 300; i++) {
      const a = rng.uniform() * 2 - 1;
      const b = rng.uniform() * 2 - 1;
      csv.push(`${a.toFixed(4)},${b.toFixed(4)},${a + b > 0 ? 1 : 0}`);
    }
    const file = join(root, "two.csv");
    writeFileSync(file, `${csv.slice(1).map((l) => { const [a, b, y] = l.split(","); return `${y},${a},${b}`; }).join("\n")}\n`);
    const dir = join(root, "csv");
    const r = await weft(["train", "--model", fixture("tiny-net.mjs"), "--data", `csv:${file}`, "--splits", "200,50,50", "--workers", "2", "--batch-size", "50", "--epochs", "2", "--out", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).model.inputShape).toEqual([2]);
  }, 60_000);
});

describe("the README's example model file", () => {
  it("examples/my-model.mjs trains as the README shows", async () => {
    const example = fileURLToPath(new URL("../../../examples/my-model.mjs", import.meta.url));
    const dir = join(root, "example");
    const r = await weft(["train", "--model", example, ...SMALL, "--epochs", "1", "--out", dir, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(lines(dir).at(-1).accuracy).toBeGreaterThan(0.5); // one epoch of 1,000 digits: it learns (chance is 0.1)
    expect(Object.keys(lines(dir)[0].gradNorms).sort()).toEqual(["blocks.ModuleList", "head.Linear", "inp.Linear"]);
  }, 60_000);
});

describe("runs saved before --model existed", () => {
  it("load without options.model (it means the built-in MLP)", async () => {
    const dir = join(root, "old");
    const r = await weft(["train", ...SMALL, "--hidden", "16", "--epochs", "1", "--out", dir]);
    expect(r.code, r.stderr).toBe(0);
    const path = join(dir, "config.json");
    const config = JSON.parse(readFileSync(path, "utf8"));
    expect(config.options.model).toBeNull();
    delete config.options.model;
    writeFileSync(path, JSON.stringify(config));
    const ev = await weft(["eval", "--model", dir]);
    expect(ev.code, ev.stderr).toBe(0);
    const again = await weft(["train", "--resume", dir, "--epochs", "2"]);
    expect(again.code, again.stderr).toBe(0);
  }, 60_000);
});

describe("weft train --model refusals", () => {
  it("refuses the MLP's flags beside --model", async () => {
    const r = await weft(["train", "--model", fixture("tiny-net.mjs"), "--hidden", "64", "--dropout", "0.1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--hidden, --dropout shape the built-in network: with --model your file's createModel builds the network, so leave them out");
  });

  it("names a missing file, a file without createModel, and a module of the wrong output shape", async () => {
    const missing = await weft(["train", "--model", join(root, "nope.mjs"), ...SMALL, "--out", join(root, "x1")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`--model ${join(root, "nope.mjs")}: no such file`);

    const none = await weft(["train", "--model", fixture("no-create.mjs"), ...SMALL, "--out", join(root, "x2")]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/exports no createModel\(ctx\) function \(it exports: model\)/);

    const wrong = await weft(["train", "--model", fixture("wrong-output.mjs"), ...SMALL, "--out", join(root, "x3")]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`--model ${fixture("wrong-output.mjs")}: the model's output [2, 3] for input [2, 1, 28, 28] does not fit targets [2] (class indices)`);
    expect(existsSync(join(root, "x3"))).toBe(false); // refused before training: no half-made run directory
  }, 60_000);

  it("a resumed run whose model file is gone says so", async () => {
    const dir = join(root, "gone");
    const r = await weft(["train", "--model", net, ...SMALL, "--epochs", "1", "--out", dir]);
    expect(r.code, r.stderr).toBe(0);
    rmSync(net);
    const again = await weft(["train", "--resume", dir, "--epochs", "2"]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`the run's model file ${net} is gone`);
  }, 60_000);
});
