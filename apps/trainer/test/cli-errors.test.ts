import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRAIN_FLAGS } from "../src/config.js";
import { SMALL, requireBuild, weft } from "./cli-helpers.js";

const root = mkdtempSync(join(tmpdir(), "weft-errors-"));
beforeAll(requireBuild);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** One paragraph: a single line, no stack frames. */
function expectOneParagraph(stderr: string): void {
  expect(stderr.trim().split("\n")).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe("weft train errors", () => {
  it("a worker fault ends the CLI within 10 s with exit 1 and one paragraph on stderr", async () => {
    const out = join(root, "fault");
    const r = await weft(["train", ...SMALL, "--epochs", "2", "--out", out], { env: { WEFT_FAULT: "worker:1:step:3" } });
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(10_000);
    expectOneParagraph(r.stderr);
    expect(r.stderr).toMatch(/^weft train: worker 1 failed at step 3: injected fault .* \(in epoch 1\); no epoch had completed/);
  });

  it("--verbose adds the stack trace", async () => {
    const r = await weft(["train", ...SMALL, "--epochs", "1", "--out", join(root, "fault-verbose"), "--verbose"], { env: { WEFT_FAULT: "worker:0:step:2" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/worker 0 failed at step 2/);
    expect(r.stderr).toMatch(/^\s+at /m);
  });

  it("a fault after a checkpoint says how to resume", async () => {
    const out = join(root, "fault-late");
    const r = await weft(["train", ...SMALL, "--epochs", "3", "--out", out], { env: { WEFT_FAULT: "worker:1:step:15" } });
    expect(r.code).toBe(1);
    expectOneParagraph(r.stderr);
    expect(r.stderr).toContain(`(in epoch 2); the checkpoint of epoch 1 in ${out} is intact: continue with weft train --resume ${out}`);
  });

  it("bad data: exit 2, an error naming the file and line, nothing written", async () => {
    const csv = join(root, "ragged.csv");
    writeFileSync(csv, "label,a,b\n1,0.5,0.25\n0,0.5\n");
    const out = join(root, "never");
    const r = await weft(["train", "--data", `csv:${csv}`, "--out", out]);
    expect(r.code).toBe(2);
    expectOneParagraph(r.stderr);
    expect(r.stderr).toContain(`${csv}: line 3: ragged row: expected 3 columns, got 2`);
    expect(existsSync(out)).toBe(false);
    const idx = join(root, "labels-as-images.idx");
    writeFileSync(idx, Buffer.from([0, 0, 8, 1, 0, 0, 0, 1, 7]));
    const swapped = await weft(["train", "--data", `idx:${idx},${idx}`, "--out", out]);
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).toMatch(/wrong magic number 0x00000801, expected 0x00000803/);
    expect(existsSync(out)).toBe(false);
  });

  it("a bad flag: exit 2 before any work, naming the flag and the range", async () => {
    const out = join(root, "never2");
    const r = await weft(["train", "--batch-size", "0", "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("weft train: --batch-size must be an integer in [1, 65536], got \"0\".\n");
    expect(existsSync(out)).toBe(false);
    const unknown = await weft(["fit"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "fit"/);
  });

  it("--help lists every flag with its default", async () => {
    const r = await weft(["train", "--help"]);
    expect(r.code).toBe(0);
    for (const f of TRAIN_FLAGS) expect(r.stdout).toContain(`--${f.name}`);
    expect(r.stdout).toContain("[default: 128]");
    const top = await weft(["--help"]);
    expect(top.stdout).toMatch(/weft train[\s\S]*weft eval[\s\S]*weft predict/);
  });
});
