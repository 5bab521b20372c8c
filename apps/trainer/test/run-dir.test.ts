import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from "../src/checkpoint.js";
import { clearLeftovers, createRunDir } from "../src/run-dir.js";

const root = mkdtempSync(join(tmpdir(), "weft-rundir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function checkpoint(epoch: number): Checkpoint {
  const w = Float32Array.from({ length: 6 }, (_, i) => epoch * 10 + i);
  return {
    epoch, step: epoch * 8, stopped: false, metrics: Array.from({ length: epoch }, (_, e) => ({ epoch: e + 1, trainLoss: 2 / (e + 1), valLoss: 1 / (e + 1), valAccuracy: 0.5, samplesPerSec: 1000, seconds: 1, lr: 0.001, gradNorms: { "0.Linear": 0.1 } })),
    model: { "0.weight": { shape: [2, 3], data: w }, "1.running_mean": { shape: [2], data: new Float32Array([epoch, -epoch]) } },
    optimizer: { type: "Adam", step: epoch * 8, state: { expAvg: w.map((v) => v / 2), expAvgSq: w.map((v) => v * v) } },
    best: epoch > 1 ? { "0.weight": { shape: [2, 3], data: w } } : undefined,
  };
}

describe("checkpoints", () => {
  it("round-trip: tensors, optimizer arrays and step, metrics, best weights", () => {
    const dir = join(root, "roundtrip");
    createRunDir(dir);
    expect(loadCheckpoint(dir)).toBeNull();
    saveCheckpoint(dir, checkpoint(1));
    saveCheckpoint(dir, checkpoint(2));
    const c = loadCheckpoint(dir)!;
    const want = checkpoint(2);
    expect(c.epoch).toBe(2);
    expect(c.step).toBe(16);
    expect(c.metrics).toEqual(want.metrics);
    expect(c.model["0.weight"]).toEqual(want.model["0.weight"]);
    expect(c.model["1.running_mean"]!.data).toEqual(want.model["1.running_mean"]!.data);
    expect(c.optimizer).toEqual({ type: "Adam", step: 16, state: want.optimizer.state });
    expect(c.best!["0.weight"]!.data).toEqual(want.model["0.weight"]!.data);
    expect(readdirSync(join(dir, "checkpoints"))).toEqual(["epoch-2"]); // older ones are dropped
  });

  it("a writer killed mid-checkpoint leaves the previous one loadable, and the next write clears the debris", () => {
    const dir = join(root, "killed");
    createRunDir(dir);
    saveCheckpoint(dir, checkpoint(1));
    // What kill -9 can leave at any moment of writing epoch 2: a half-written temp directory,
    // a complete but not yet named epoch directory, a half-written checkpoint.json temp file,
    // and half-written temp files next to the deliverables.
    mkdirSync(join(dir, "checkpoints", "epoch-2.tmp-4242"));
    writeFileSync(join(dir, "checkpoints", "epoch-2.tmp-4242", "model.safetensors"), Buffer.from([0x40, 0, 0]));
    mkdirSync(join(dir, "checkpoints", "epoch-2"));
    writeFileSync(join(dir, "checkpoints", "epoch-2", "state.json"), '{"epoch": 2, "ste');
    writeFileSync(join(dir, "checkpoint.json.tmp-4242"), '{"epoch": 2, "dir": "checkp');
    writeFileSync(join(dir, "model.safetensors.tmp-4242"), Buffer.from([1, 2, 3]));

    const c = loadCheckpoint(dir)!;
    expect(c.epoch).toBe(1);
    expect(c.model["0.weight"]!.data).toEqual(checkpoint(1).model["0.weight"]!.data);

    clearLeftovers(dir);
    expect(existsSync(join(dir, "checkpoint.json.tmp-4242"))).toBe(false);
    expect(existsSync(join(dir, "model.safetensors.tmp-4242"))).toBe(false);
    saveCheckpoint(dir, checkpoint(2)); // replaces the unnamed epoch-2 directory
    expect(loadCheckpoint(dir)!.epoch).toBe(2);
    expect(readdirSync(join(dir, "checkpoints"))).toEqual(["epoch-2"]);
  });

  it("deletes only what weft wrote in checkpoints/, and follows a checkpoints/ that is a symlink to another disk", () => {
    // The recipe: a run's checkpoints/ replaced by a link to a directory of the user's.
    const dir = join(root, "linked");
    createRunDir(dir);
    saveCheckpoint(dir, checkpoint(1));
    const elsewhere = join(root, "other-disk");
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, "thesis.txt"), "precious");
    mkdirSync(join(elsewhere, "epochs-of-another-tool"));
    renameSync(join(dir, "checkpoints", "epoch-1"), join(elsewhere, "epoch-1"));
    rmSync(join(dir, "checkpoints"), { recursive: true });
    symlinkSync(elsewhere, join(dir, "checkpoints"));
    expect(loadCheckpoint(dir)!.epoch).toBe(1); // read through the link
    saveCheckpoint(dir, checkpoint(2));
    expect(readdirSync(elsewhere).sort()).toEqual(["epoch-2", "epochs-of-another-tool", "thesis.txt"]);
    expect(readFileSync(join(elsewhere, "thesis.txt"), "utf8")).toBe("precious");
    expect(loadCheckpoint(dir)!.epoch).toBe(2);
    // The same in a plain checkpoints/: a user's file there survives the pruning of old epochs.
    const plain = join(root, "plain");
    createRunDir(plain);
    saveCheckpoint(plain, checkpoint(1));
    writeFileSync(join(plain, "checkpoints", "notes.md"), "mine");
    saveCheckpoint(plain, checkpoint(2));
    expect(readdirSync(join(plain, "checkpoints")).sort()).toEqual(["epoch-2", "notes.md"]);
  });

  it("refuses a checkpoints/ link that names no directory, with the path", () => {
    const dir = join(root, "dangling");
    createRunDir(dir);
    symlinkSync(join(root, "no-such-disk"), join(dir, "checkpoints"));
    expect(() => saveCheckpoint(dir, checkpoint(1))).toThrow(`${join(dir, "checkpoints")} is a symbolic link to ${join(root, "no-such-disk")}, which is not a directory: point it at a directory (weft writes its epoch-<n> checkpoints there) or remove it`);
  });

  it("clears only weft's own temp files, not a user's file that looks like one", () => {
    const dir = join(root, "debris");
    createRunDir(dir);
    saveCheckpoint(dir, checkpoint(1));
    writeFileSync(join(dir, "report.html.tmp-77"), "");
    mkdirSync(join(dir, "checkpoints", "epoch-2.tmp-77"));
    writeFileSync(join(dir, "draft.tmp-2024"), "a user's file");
    writeFileSync(join(dir, "checkpoints", "backup.tmp-1"), "a user's file");
    clearLeftovers(dir);
    expect(readdirSync(dir).sort()).toEqual(["checkpoint.json", "checkpoints", "draft.tmp-2024"]);
    expect(readdirSync(join(dir, "checkpoints")).sort()).toEqual(["backup.tmp-1", "epoch-1"]);
  });

  it("loads only a checkpoint under <run>/checkpoints/ (no path traversal through checkpoint.json)", () => {
    const other = join(root, "other");
    createRunDir(other);
    saveCheckpoint(other, checkpoint(1));
    const dir = join(root, "victim");
    createRunDir(dir);
    saveCheckpoint(dir, checkpoint(1));
    const pointer = join(dir, "checkpoint.json");
    for (const bad of ["../other/checkpoints/epoch-1", "../../../../etc", "/etc", "checkpoints/../../other/checkpoints/epoch-1", "checkpoints/epoch-1/..", "checkpoints/epoch-2"]) {
      writeFileSync(pointer, JSON.stringify({ epoch: 1, dir: bad }));
      expect(() => loadCheckpoint(dir), bad).toThrow(`${pointer}: "dir" is ${JSON.stringify(bad)}; expected "checkpoints/epoch-1" (a checkpoint of this run, under ${join(dir, "checkpoints")})`);
    }
    // An epoch directory that is itself a link out of the run is refused too.
    rmSync(join(dir, "checkpoints", "epoch-1"), { recursive: true });
    symlinkSync(join(other, "checkpoints", "epoch-1"), join(dir, "checkpoints", "epoch-1"));
    writeFileSync(pointer, JSON.stringify({ epoch: 1, dir: "checkpoints/epoch-1" }));
    expect(() => loadCheckpoint(dir)).toThrow(`${join(dir, "checkpoints", "epoch-1")} is not a directory of this run (a symbolic link or a file): weft writes each checkpoint as a directory`);
  });

  it("counts a directory holding only the temp files of a run killed before it started as empty", () => {
    const dir = join(root, "killed-at-start");
    mkdirSync(dir);
    writeFileSync(join(dir, "config.json.tmp-4242"), '{"options": {"da');
    createRunDir(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses to start a run in a directory that holds something", () => {
    const dir = join(root, "busy");
    mkdirSync(dir);
    writeFileSync(join(dir, "x"), "");
    expect(() => createRunDir(dir)).toThrow(/already exists and is not empty: continue that run with --resume/);
  });
});

