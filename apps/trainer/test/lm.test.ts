/** `weft train --task lm` and `weft sample`, in process (main() with captured streams), on a small text file. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cosineLr, epochEnds } from "../src/lm-train.js";
import { weftHere } from "./cli-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "weft-lm-"));
const text = join(dir, "words.txt");
// 300 made-up "names" from a few syllables: something to learn, deterministic.
const syl = ["an", "bel", "cor", "da", "el", "fi", "go", "ha", "is", "jo"];
writeFileSync(text, Array.from({ length: 300 }, (_, i) => syl[i % 10] + syl[(i * 7 + 3) % 10] + (i % 3 ? syl[(i * 3) % 10] : "")).join("\n") + "\n");
const SMALL = ["--task", "lm", "--data", `text:${text}`, "--steps", "8", "--epochs", "2", "--batch-size", "8", "--workers", "2", "--block-size", "8", "--d-model", "16", "--heads", "2", "--layers", "1", "--ff", "32"];
const events = (stdout: string) => stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

describe("weft train --task lm", () => {
  const out = join(dir, "run");
  const trained = weftHere(["train", ...SMALL, "--out", out, "--json"], 120_000);

  it("trains, reports the held-out loss in nats/char per epoch and in the test event, and saves the run", async () => {
    const r = await trained;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const ev = events(r.stdout);
    expect(ev.map((e) => e.event)).toEqual(["start", "epoch", "epoch", "test"]);
    expect(ev[0]).toMatchObject({ task: "lm", workers: 2, steps: 8, epochs: 2 });
    for (const e of ev.slice(1, 3)) {
      expect(e.valLoss as number).toBeGreaterThan(0.5);
      expect(e.valLoss as number).toBeLessThan(4);
      expect(e.tokensPerSec as number).toBeGreaterThan(0);
    }
    expect(ev[1]).toMatchObject({ epoch: 1, step: 4 });
    expect(ev[3]).toMatchObject({ split: "test" });
    expect(Number.isFinite(ev[3].loss)).toBe(true);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    expect(config.task).toBe("lm");
    expect(config.vocabulary[0]).toBe("\n");
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(3);
  });

  it("resumes bit for bit: from epoch 1's checkpoint to the same final model", async () => {
    await trained;
    const final = readFileSync(join(out, "model.safetensors"));
    writeFileSync(join(out, "checkpoint.json"), JSON.stringify({ epoch: 1, dir: "checkpoints/epoch-1" }));
    const r = await weftHere(["train", "--task", "lm", "--resume", out, "--json"], 120_000);
    expect(r.code).toBe(0);
    expect(events(r.stdout).map((e) => e.event)).toEqual(["start", "epoch", "test"]);
    expect(Buffer.compare(readFileSync(join(out, "model.safetensors")), final)).toBe(0);
  });

  it("weft sample prints --count documents, the same for the same seed", async () => {
    await trained;
    const a = await weftHere(["sample", "--model", out, "--count", "6", "--seed", "4"]);
    expect(a.code).toBe(0);
    const lines = a.stdout.split("\n").slice(0, -1);
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(/^[a-z]*$/);
    expect((await weftHere(["sample", "--model", out, "--count", "6", "--seed", "4"])).stdout).toBe(a.stdout);
    const b = await weftHere(["sample", "--model", out, "--count", "6", "--seed", "5", "--temperature", "2"]);
    expect(b.stdout).not.toBe(a.stdout);
  });

  it("names bad flags and a run of another kind", async () => {
    await trained;
    const r = await weftHere(["train", ...SMALL.map((a, i) => (SMALL[i - 1] === "--heads" ? "3" : a)), "--out", join(dir, "bad")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--heads 3 must divide --d-model 16/);
    const s = await weftHere(["sample", "--model", dir]);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/no config.json there/);
    expect((await weftHere(["sample", "--count", "2"])).stderr).toMatch(/--model is required/);
    expect((await weftHere(["train", "--task", "lm", "--hidden", "8"])).stderr).toMatch(/unknown flag --hidden/);
    const e = await weftHere(["eval", "--model", join(dir, "run")]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/is a language-model run .*weft sample --model/);
    const h = await weftHere(["train", "--task", "lm", "--help"]);
    expect(h.stdout).toMatch(/^Usage: weft train --task lm/);
    expect((await weftHere(["sample", "--help"])).stdout).toMatch(/^Usage: weft sample --model/);
  });
});

describe("the step schedule", () => {
  it("epochs end evenly over the steps; the cosine decays from lr to 0", () => {
    expect(epochEnds(2000, 10)).toEqual([200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800, 2000]);
    expect(epochEnds(8, 3)).toEqual([3, 5, 8]);
    expect(cosineLr(3e-3, 0, 100)).toBe(3e-3);
    expect(cosineLr(3e-3, 50, 100)).toBeCloseTo(1.5e-3, 12);
    expect(cosineLr(3e-3, 100, 100)).toBeCloseTo(0, 12);
  });
});
