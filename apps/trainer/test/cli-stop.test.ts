// How a run stops when it cannot go on: a stuck worker (at any W, W = 1 included) and Ctrl-C or
// SIGTERM — each with one paragraph saying what happened and whether the run can be resumed.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { oneParagraph, requireBuild, tinyCsv, weft, weftHere } from "./cli-helpers.js";

const root = mkdtempSync(join(tmpdir(), "weft-stop-"));
const csv = join(root, "data.csv");
const RUN = ["--data", `csv:${csv}`, "--splits", "600,60,60", "--hidden", "16", "--batch-size", "20"];

beforeAll(() => {
  requireBuild();
  writeFileSync(csv, tinyCsv(720, 6));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.WEFT_FAULT;
});

/** weft's temp files anywhere in a run directory. */
const debris = (dir: string): string[] =>
  [...readdirSync(dir), ...(existsSync(join(dir, "checkpoints")) ? readdirSync(join(dir, "checkpoints")) : [])].filter((e) => e.includes(".tmp-"));

describe("a stuck worker", () => {
  it("at W = 1 (no barrier to time out at) ends the run after --worker-timeout, naming it and the flag", async () => {
    process.env.WEFT_FAULT = "worker:0:step:5:hang";
    const r = await weftHere(["train", ...RUN, "--workers", "1", "--worker-timeout", "0.5", "--epochs", "1", "--out", join(root, "w1")]);
    expect(r.code).toBe(1);
    expect(oneParagraph(r.stderr), r.stderr).toBe(true);
    expect(r.stderr).toBe(
      "weft train: worker 0 stopped responding at step 5: no step finished within 0.5 s — it is stuck, or its steps take longer than that: " +
        "raise --worker-timeout (in epoch 1); no epoch had completed, so there is no checkpoint to resume. (--verbose shows the stack trace)\n",
    );
    expect(r.ms).toBeLessThan(10_000);
  });

  it("at W = 3 is named by its own rank (rank 0 was reported as \"worker 2 failed\")", async () => {
    process.env.WEFT_FAULT = "worker:0:step:2:hang";
    const r = await weftHere(["train", ...RUN, "--workers", "3", "--worker-timeout", "0.5", "--epochs", "1", "--out", join(root, "w3")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^weft train: worker 0 stopped responding at step 2: it did not reach the barrier within 0\.5 s — it is stuck, or its steps take longer than that: raise --worker-timeout \(in epoch 1\)/);
  });
});

describe("SIGINT and SIGTERM", () => {
  /** Starts a long run and sends `signal` once `ready(dir)` holds. */
  const interrupt = (dir: string, signal: NodeJS.Signals, ready: () => boolean) =>
    weft(["train", ...RUN, "--workers", "2", "--epochs", "500", "--out", dir], {
      onStart: (child) => {
        const poll = setInterval(() => {
          if (ready()) {
            clearInterval(poll);
            child.kill(signal);
          }
        }, 5);
        child.on("close", () => clearInterval(poll));
      },
    });

  it("Ctrl-C after a checkpoint: exit 130, where it stopped and how to resume, no temp files; the resume works", async () => {
    const dir = join(root, "sigint");
    const r = await interrupt(dir, "SIGINT", () => existsSync(join(dir, "checkpoint.json")));
    expect(r.signal).toBeNull(); // it handled the signal and exited itself
    expect(r.code).toBe(130);
    expect(oneParagraph(r.stderr), r.stderr).toBe(true);
    const m = /^weft train: interrupted by SIGINT in epoch (\d+) of 500; the checkpoint of epoch (\d+) is intact: resume with weft train --resume (.*)\.\n$/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    expect(Number(m![1])).toBe(Number(m![2]) + 1);
    expect(m![3]).toBe(dir);
    expect(debris(dir)).toEqual([]);
    const resumed = await weft(["train", "--resume", dir, "--epochs", String(Number(m![1]))]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`resuming after epoch ${m![2]}`);
  });

  it("SIGTERM before the first checkpoint: exit 143, nothing to resume from but the saved options", async () => {
    const dir = join(root, "sigterm");
    const r = await interrupt(dir, "SIGTERM", () => existsSync(join(dir, "config.json")));
    expect(r.code).toBe(143);
    expect(r.stderr).toMatch(/^weft train: interrupted by SIGTERM in epoch 1 of 500; no epoch had completed: resume with weft train --resume .*sigterm\.\n$/);
    expect(debris(dir)).toEqual([]);
  });
});
