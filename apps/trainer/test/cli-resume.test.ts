import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint } from "../src/checkpoint.js";
import { SMALL, requireBuild, weft } from "./cli-helpers.js";

// Everything random is on: dropout (per-worker generators), augmentation, a schedule, early stopping.
const RUN = [...SMALL, "--dropout", "0.2", "--augment", "--lr-schedule", "step:2:0.5", "--early-stopping", "4"];
const EPOCHS = "5";
const root = mkdtempSync(join(tmpdir(), "weft-resume-"));
const whole = join(root, "whole");

const bytes = (dir: string, file: string) => readFileSync(join(dir, file));
/** metrics.jsonl without the wall-clock fields. */
const metrics = (dir: string) =>
  readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => {
    const { seconds: _s, samplesPerSec: _r, ...rest } = JSON.parse(l);
    return rest;
  });

beforeAll(async () => {
  requireBuild();
  const r = await weft(["train", ...RUN, "--epochs", EPOCHS, "--out", whole]);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("--resume", () => {
  it("continues a run to N epochs bit-identical to the uninterrupted run, past a checkpoint write killed midway", async () => {
    const dir = join(root, "split");
    const first = await weft(["train", ...RUN, "--epochs", "2", "--out", dir]);
    expect(first.code, first.stderr).toBe(0);
    // Debris of a kill -9 while epoch 3's checkpoint was being written.
    mkdirSync(join(dir, "checkpoints", "epoch-3.tmp-999999"));
    writeFileSync(join(dir, "checkpoints", "epoch-3.tmp-999999", "model.safetensors"), "partial");
    writeFileSync(join(dir, "checkpoint.json.tmp-999999"), '{"epoch": 3, "di');
    writeFileSync(join(dir, "model.safetensors.tmp-999999"), "partial");
    expect(loadCheckpoint(dir)!.epoch).toBe(2);

    const resumed = await weft(["train", "--resume", dir, "--epochs", EPOCHS]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain("resuming after epoch 2");
    expect(bytes(dir, "model.safetensors").equals(bytes(whole, "model.safetensors"))).toBe(true);
    expect(bytes(dir, "optimizer.safetensors").equals(bytes(whole, "optimizer.safetensors"))).toBe(true);
    expect(metrics(dir)).toEqual(metrics(whole));
    expect(existsSync(join(dir, "checkpoint.json.tmp-999999"))).toBe(false);
    expect(existsSync(join(dir, "checkpoints", "epoch-3.tmp-999999"))).toBe(false);
  });

  it("after a real kill -9 mid-run, the last checkpoint loads and resuming gives the same bits", async () => {
    const dir = join(root, "killed");
    const killed = await weft(["train", ...RUN, "--epochs", EPOCHS, "--out", dir], {
      onStart: (child) => {
        const poll = setInterval(() => {
          if (existsSync(join(dir, "checkpoint.json"))) {
            clearInterval(poll);
            child.kill("SIGKILL");
          }
        }, 5);
        child.on("close", () => clearInterval(poll));
      },
    });
    expect(killed.signal).toBe("SIGKILL");
    const c = loadCheckpoint(dir)!;
    expect(c.epoch).toBeGreaterThanOrEqual(1);
    expect(c.epoch).toBeLessThan(Number(EPOCHS));
    const eval_ = await weft(["eval", "--model", dir]);
    expect(eval_.code, eval_.stderr).toBe(0); // model.safetensors is always whole
    const resumed = await weft(["train", "--resume", dir, "--epochs", EPOCHS]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(bytes(dir, "model.safetensors").equals(bytes(whole, "model.safetensors"))).toBe(true);
    expect(metrics(dir)).toEqual(metrics(whole));
  });

  it("refuses changed options and fewer epochs than done, and a directory that is not a run", async () => {
    const changed = await weft(["train", "--resume", whole, "--lr", "0.1"]);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/--lr cannot be given with it/);
    const fewer = await weft(["train", "--resume", whole, "--epochs", "1"]);
    expect(fewer.code).toBe(2);
    expect(fewer.stderr).toMatch(/--epochs 1: the run in .* has already completed 5 epochs/);
    const nothing = await weft(["train", "--resume", join(root, "nothing")]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/--resume .*nothing is not a weft run directory/);
  });
});
