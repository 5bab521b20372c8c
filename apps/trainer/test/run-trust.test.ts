// --resume, eval and predict read a run directory back and trust none of it: every bad value of
// config.json, checkpoint.json, state.json and the checkpoint's tensor files ends with exit 2 and
// one paragraph naming the file (and the key), before any worker starts.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeSafetensors, readSafetensorsFile } from "@weft/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oneParagraph, tinyCsv, weftHere } from "./cli-helpers.js";

const root = mkdtempSync(join(tmpdir(), "weft-trust-"));
const base = join(root, "base");
const csv = join(root, "data.csv");
// 180 training rows in batches of 30: 6 steps an epoch.
const RUN = ["--data", `csv:${csv}`, "--splits", "180,30,30", "--hidden", "8", "--workers", "1", "--batch-size", "30"];

beforeAll(async () => {
  writeFileSync(csv, tinyCsv(240, 6));
  const r = await weftHere(["train", ...RUN, "--epochs", "2", "--out", base, "--json"]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let copies = 0;
/** A fresh copy of the 2-epoch run. */
function copy(): string {
  const dir = join(root, `copy-${copies++}`);
  cpSync(base, dir, { recursive: true });
  return dir;
}
const editJson = (path: string, edit: (j: Record<string, any>) => void) => {
  const j = JSON.parse(readFileSync(path, "utf8"));
  edit(j);
  writeFileSync(path, JSON.stringify(j));
};
const ckpt = (dir: string, file: string) => join(dir, "checkpoints", "epoch-2", file);

type Case = [string, (dir: string) => void, (dir: string) => string];
const cases: Case[] = [
  ["batchSize 0 (looped forever)", (d) => editJson(join(d, "config.json"), (j) => (j.options.batchSize = 0)),
    (d) => `--batch-size (key "options.batchSize" in ${d}/config.json) must be an integer in [1, 65536], got 0`],
  ["a negative batchSize", (d) => editJson(join(d, "config.json"), (j) => (j.options.batchSize = -3)), (d) => `key "options.batchSize" in ${d}/config.json) must be an integer in [1, 65536], got -3`],
  ["hidden widths that are not a list", (d) => editJson(join(d, "config.json"), (j) => (j.options.hidden = { a: 1 })), (d) => `--hidden (key "options.hidden" in ${d}/config.json) must be a comma-separated list`],
  ["a model spec that is not a list (was: spec.map is not a function)", (d) => editJson(join(d, "config.json"), (j) => (j.model = "x")), (d) => `${d}/config.json: "model" is "x", which its options do not give`],
  ["a model edited by hand", (d) => editJson(join(d, "config.json"), (j) => (j.model[0].outFeatures = 9)), (d) => `${d}/config.json: "model" is [{"type":"Linear"`],
  ["a missing option", (d) => editJson(join(d, "config.json"), (j) => delete j.options.seed), (d) => `${d}/config.json: "options" lacks "seed"`],
  ["an unknown option", (d) => editJson(join(d, "config.json"), (j) => (j.options.batchsize = 3)), (d) => `${d}/config.json: unknown key "options.batchsize"`],
  ["a zero std", (d) => editJson(join(d, "config.json"), (j) => (j.standardization.std = 0)), (d) => `${d}/config.json: "standardization" is {"mean":`],
  ["one per-feature std too few", (d) => editJson(join(d, "config.json"), (j) => j.standardization.std.pop()), (d) => `${d}/config.json: "standardization" is {"mean":`],
  ["class names that do not match the classes", (d) => editJson(join(d, "config.json"), (j) => (j.data.classNames = ["a", "b"])), (d) => `${d}/config.json: "data.classNames" is ["a","b"]; expected a list of 3 class names (one a class)`],
  ["a task edited to regression", (d) => editJson(join(d, "config.json"), (j) => (j.options.task = "regression")), (d) => `${d}/config.json: "data.classes" is 3; expected 0 (a regression run)`],
  ["an unknown task", (d) => editJson(join(d, "config.json"), (j) => (j.options.task = "ranking")), (d) => `--task (key "options.task" in ${d}/config.json) must be one of classification, regression, got "ranking"`],
  ["state.json epoch -5 (trained \"epoch −4/2\")", (d) => editJson(ckpt(d, "state.json"), (j) => (j.epoch = -5)), (d) => `${ckpt(d, "state.json")}: "epoch" is -5; expected 2, the epoch checkpoint.json names`],
  ["state.json step \"x\" (written back as \"x777777777\")", (d) => editJson(ckpt(d, "state.json"), (j) => (j.step = "x")), (d) => `${ckpt(d, "state.json")}: "step" is "x"; expected a non-negative integer`],
  ["a step count that does not match the epochs", (d) => editJson(ckpt(d, "state.json"), (j) => (j.step = 7)), (d) => `${ckpt(d, "state.json")}: "step" is 7; expected 12 (epoch 2 × 6 steps an epoch of this run)`],
  ["metrics of the wrong length", (d) => editJson(ckpt(d, "state.json"), (j) => (j.metrics = [])), (d) => `${ckpt(d, "state.json")}: "metrics" is []; expected an array of 2 epoch lines`],
  ["a non-finite validation loss", (d) => editJson(ckpt(d, "state.json"), (j) => (j.metrics[1].valLoss = "NaN")), (d) => `${ckpt(d, "state.json")}: "metrics[1].valLoss" is "NaN"; expected a finite number`],
  ["a checkpoint.json that is not JSON", (d) => writeFileSync(join(d, "checkpoint.json"), '{"epoch": 2, "di'), (d) => `${d}/checkpoint.json cannot be read as JSON`],
  ["an optimiser file without expAvgSq (resumed silently degraded)", (d) => {
    const path = ckpt(d, "optimizer.safetensors");
    const { tensors, metadata } = readSafetensorsFile(path);
    delete tensors.expAvgSq;
    writeFileSync(path, encodeSafetensors(tensors, metadata));
  }, (d) => `${ckpt(d, "optimizer.safetensors")}: holds expAvg, maxExpAvgSq; a Adam checkpoint holds expAvg, expAvgSq, maxExpAvgSq (missing expAvgSq)`],
  ["an optimiser step that is not a number", (d) => {
    const path = ckpt(d, "optimizer.safetensors");
    const { tensors, metadata } = readSafetensorsFile(path);
    writeFileSync(path, encodeSafetensors(tensors, { ...metadata, step: "abc" }));
  }, (d) => `${ckpt(d, "optimizer.safetensors")}: metadata "step" is "abc"; expected an integer in [0, 12]`],
  ["a truncated checkpoint model (exited 1 without the file)", (d) => {
    const path = ckpt(d, "model.safetensors");
    writeFileSync(path, readFileSync(path).subarray(0, 200));
  }, (d) => `${ckpt(d, "model.safetensors")}: invalid safetensors:`],
  ["a mis-shaped checkpoint model", (d) => {
    const path = ckpt(d, "model.safetensors");
    const { tensors } = readSafetensorsFile(path);
    tensors["0.weight"] = { shape: [2, 3], data: new Float32Array(6) };
    writeFileSync(path, encodeSafetensors(tensors));
  }, (d) => `${ckpt(d, "model.safetensors")} does not fit this run's model:`],
  ["a NaN in the checkpoint's weights", (d) => {
    const path = ckpt(d, "model.safetensors");
    const { tensors } = readSafetensorsFile(path);
    tensors["0.bias"]!.data[3] = Number.NaN;
    writeFileSync(path, encodeSafetensors(tensors));
  }, (d) => `${ckpt(d, "model.safetensors")}: tensor "0.bias" holds NaN at index 3: the checkpoint is corrupt`],
];

describe("--resume re-validates what it reads", () => {
  it.each(cases)("%s: exit 2, naming the file and key", async (_what, mutate, message) => {
    const dir = copy();
    mutate(dir);
    const r = await weftHere(["train", "--resume", dir, "--epochs", "3"]);
    expect(r.code, r.stderr).toBe(2);
    expect(oneParagraph(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).toContain(message(dir));
  });

  it("and resumes a run it has not been given a reason to refuse", async () => {
    const r = await weftHere(["train", "--resume", copy(), "--epochs", "3"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("resuming after epoch 2");
  });
});

describe("eval and predict check config.json the same way", () => {
  it("an edited model spec or option is exit 2 naming config.json", async () => {
    const dir = copy();
    editJson(join(dir, "config.json"), (j) => (j.model = [{ type: "Linear", inFeatures: 6, outFeatures: 3 }, { type: "Conv2d" }]));
    const ev = await weftHere(["eval", "--model", dir]);
    expect(ev.code).toBe(2);
    expect(ev.stderr).toContain(`${dir}/config.json: "model" is [{"type":"Linear","inFeatures":6,"outFeatures":3},{"type"..., which its options do not give`);
    editJson(join(dir, "config.json"), (j) => (j.options.norm = "group"));
    const pr = await weftHere(["predict", "--model", dir, "--input", csv]);
    expect(pr.code).toBe(2);
    expect(pr.stderr).toContain(`--norm (key "options.norm" in ${dir}/config.json) must be one of batch, layer, none, got "group"`);
  });
});
