import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { clearLeftovers, createRunDir, loadCheckpoint, saveCheckpoint, type Checkpoint } from "../src/run-dir.js";

const root = mkdtempSync(join(tmpdir(), "weft-rundir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function checkpoint(epoch: number): Checkpoint {
  const w = Float32Array.from({ length: 6 }, (_, i) => epoch * 10 + i);
  return {
    epoch, step: epoch * 8, stopped: false, metrics: Array.from({ length: epoch }, (_, e) => ({ epoch: e + 1, valLoss: 1 / (e + 1) })),
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

  it("refuses to start a run in a directory that holds something", () => {
    const dir = join(root, "busy");
    mkdirSync(dir);
    writeFileSync(join(dir, "x"), "");
    expect(() => createRunDir(dir)).toThrow(/already exists and is not empty: continue that run with --resume/);
  });
});

