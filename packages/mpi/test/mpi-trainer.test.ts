/**
 * `weft train --distributed mpi` under `mpirun --allow-run-as-root --oversubscribe -np 2`: the same
 * training as one process with the workers of both; resume from rank 0's run directory; a failing
 * rank ends the job naming itself. Like mpi.test.ts these FAIL without Open MPI (CI installs it),
 * and they run the built CLI (`pnpm build` first; `pnpm test` does).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mpirun, run } from "./mpirun.js";

const cli = fileURLToPath(new URL("../../../apps/trainer/dist/cli.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "weft-mpi-train-"));
/** The ranks' TMPDIR: their scratch directories must be gone at the end. */
const rankTmp = join(root, "tmp");
const csv = join(root, "data.csv");
const RUN = ["--data", `csv:${csv}`, "--splits", "600,60,60", "--hidden", "16", "--batch-size", "20", "--seed", "1", "--json"];

beforeAll(() => {
  mkdirSync(rankTmp);
  // 3 classes, 6 features, a learnable pattern (as apps/trainer's tests' tinyCsv).
  const lines = ["label,f0,f1,f2,f3,f4,f5"];
  for (let i = 0; i < 720; i++) lines.push([i % 3, ...Array.from({ length: 6 }, (_, j) => (Math.sin(i * 7.3 + j * 1.7) + (i % 3) * (j % 2 ? 0.8 : -0.5)).toFixed(4))].join(","));
  writeFileSync(csv, `${lines.join("\n")}\n`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const inTmp = { TMPDIR: rankTmp };
const weft = (args: string[]) => [process.execPath, cli, "train", ...args];

/** metrics.jsonl's per-epoch lines. */
const epochs = (dir: string) => readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((m) => m.epoch !== undefined);

describe("weft train --distributed mpi", () => {
  it("2 ranks × 1 worker train as 1 process × 2 workers (per-epoch train loss within 5e-4 relative); only rank 0 writes, and prints", async () => {
    const local = await run(process.execPath, [cli, "train", ...RUN, "--epochs", "3", "--workers", "2", "--out", join(root, "local")], inTmp);
    expect(local.code, local.stderr).toBe(0);
    const job = await mpirun(["-np", "2", ...weft([...RUN, "--epochs", "3", "--workers", "1", "--distributed", "mpi", "--out", join(root, "mpi")])], inTmp);
    expect(job.code, job.stderr).toBe(0);
    const a = epochs(join(root, "local")), b = epochs(join(root, "mpi"));
    expect(b).toHaveLength(3);
    b.forEach((m, k) => expect(Math.abs(m.trainLoss - a[k].trainLoss) / a[k].trainLoss, `epoch ${k + 1}`).toBeLessThan(5e-4));
    // One rank's output (rank 0's): 3 epoch lines and one test line, not two of each.
    const events = job.stdout.trim().split("\n").map((l) => JSON.parse(l).event);
    expect(events.filter((e) => e === "epoch")).toHaveLength(3);
    expect(events.filter((e) => e === "test")).toHaveLength(1);
    expect(readdirSync(rankTmp)).toEqual([]); // rank 1's scratch run is gone
  });

  it("--resume continues rank 0's run directory: 2 + 1 epochs give the bits of 3", async () => {
    const part = await mpirun(["-np", "2", ...weft([...RUN, "--epochs", "2", "--workers", "2", "--distributed", "mpi", "--out", join(root, "part")])], inTmp);
    expect(part.code, part.stderr).toBe(0);
    const resumed = await mpirun(["-np", "2", ...weft(["--resume", join(root, "part"), "--epochs", "3", "--distributed", "mpi", "--json"])], inTmp);
    expect(resumed.code, resumed.stderr).toBe(0);
    const whole = await mpirun(["-np", "2", ...weft([...RUN, "--epochs", "3", "--workers", "2", "--distributed", "mpi", "--out", join(root, "whole")])], inTmp);
    expect(whole.code, whole.stderr).toBe(0);
    expect(readFileSync(join(root, "part", "model.safetensors")).equals(readFileSync(join(root, "whole", "model.safetensors")))).toBe(true);
    expect(epochs(join(root, "part")).map((m) => m.trainLoss)).toEqual(epochs(join(root, "whole")).map((m) => m.trainLoss));
  }, 150_000); // three mpirun jobs

  it("processes with different --workers are refused on every rank (exit 2), not left hanging in MPI's setup", async () => {
    const out = join(root, "mismatch");
    const job = await mpirun(["-np", "1", ...weft([...RUN, "--workers", "1", "--distributed", "mpi", "--out", out]), ":", "-np", "1", ...weft([...RUN, "--workers", "2", "--distributed", "mpi", "--out", out])], inTmp);
    expect(job.code).toBe(2);
    expect(job.stderr).toContain("weft train: --distributed mpi: the ranks asked for different numbers of channels (from 1 to 2)");
    expect(job.stderr).toContain("give every process the same --workers (its default is each host's cores)");
  });

  it("a rank whose worker throws (WEFT_FAULT) ends the job non-zero within 30 s, naming the rank and rank 0's run directory", async () => {
    const out = join(root, "fault");
    const args = weft([...RUN, "--epochs", "3", "--workers", "1", "--distributed", "mpi", "--out", out]);
    const job = await mpirun(["-np", "1", ...args, ":", "-np", "1", "-x", "WEFT_FAULT=worker:0:step:40", ...args], inTmp);
    expect(job.code).toBe(1);
    expect(job.ms).toBeLessThan(30_000);
    expect(job.stderr).toContain(`MPI rank 1 of 2: weft train: worker 0 failed at step 40: injected fault (WEFT_FAULT=worker:0:step:40) (in epoch 2); the checkpoint of epoch 1 in ${out} is intact`);
  });
});
