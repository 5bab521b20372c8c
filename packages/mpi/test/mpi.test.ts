/**
 * @weft/mpi under real mpirun: each test starts `mpirun --allow-run-as-root --oversubscribe -np 2`
 * on this machine (shared memory, and TCP with `--mca btl tcp,self`) over a rank script in
 * fixtures/, which writes what each rank ended with; the checks are here.
 *
 * Without Open MPI these tests FAIL (never skip), saying what to install: CI installs it
 * (scripts/ensure-mpi.sh); locally, install it or expect this file's failures. They run the
 * built packages (dist/ and the addon): `pnpm build` first (`pnpm test` does).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { expectClose, loadGoldenFiles, type GTensor, type Tol } from "../../../test/golden/cases.js";
import { mpirun, requireMpi } from "./mpirun.js";

const fixture = (f: string) => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "weft-mpi-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Result = { losses: number[]; gradNorms?: number[]; eval?: { loss: number; accuracy: number }; state: Record<string, { shape: number[]; data: number[] }> };
interface RankFile { rank: number; size: number; workers: number; results: Record<string, Result> }

/** Runs train-rank.mjs on 2 ranks; both ranks' files. */
async function train(mode: "golden" | "random", workers: number, extra: string[] = []): Promise<RankFile[]> {
  const out = join(dir, `${mode}-${workers}-${extra.join("_").replace(/[^a-z0-9]/gi, "")}`);
  // extra: mpirun flags (e.g. -x WEFT_MPI_TEST_BLOCKING=1, --mca btl tcp,self)
  const job = await mpirun([...extra, "-np", "2", process.execPath, fixture("train-rank.mjs"), mode, String(workers), out]);
  if (job.code !== 0) throw new Error(`mpirun exited ${job.code}:\n${job.output}`);
  return [0, 1].map((r) => JSON.parse(readFileSync(`${out}.${r}.json`, "utf8")) as RankFile);
}

const trainCases = loadGoldenFiles().flatMap(({ file, cases }) => cases.filter((c) => c.kind === "train").map((c) => ({ key: `${file}/${c.name}`, c })));

function expectGolden(files: RankFile[]): void {
  const [a, b] = files;
  expect(a.size).toBe(2);
  // Every rank of every host ends with the same bits.
  expect(b.results).toEqual(a.results);
  expect(Object.keys(a.results).sort()).toEqual(trainCases.map((t) => t.key).sort());
  for (const { key, c } of trainCases) {
    const r = a.results[key];
    const tol = c.tol as Tol;
    (c.losses as number[]).forEach((e, k) => expectClose(`${key}: loss of batch ${k}`, [], [r.losses[k]], { shape: [], data: [e] }, tol));
    const expected = c.stateAfter as Record<string, GTensor>;
    expect(Object.keys(r.state).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, e] of Object.entries(expected)) expectClose(`${key}: ${name} after training`, e.shape.length === 0 ? [] : r.state[name].shape, r.state[name].data, e, tol);
  }
}

describe("@weft/mpi", () => {
  it("Open MPI is installed and the addon is built (what to install otherwise)", () => {
    expect(requireMpi).not.toThrow();
  });

  it("the addon's collectives work in place from worker threads on ArrayBuffer, SharedArrayBuffer and shared wasm memory, two channels at once", async () => {
    const out = join(dir, "collectives");
    const job = await mpirun(["-np", "2", process.execPath, fixture("collectives-rank.mjs"), out]);
    expect(job.code, job.output).toBe(0);
    const ranks = [0, 1].map((r) => JSON.parse(readFileSync(`${out}.${r}.json`, "utf8")));
    const N = 1000;
    // Σ over ranks r = 0, 1 of (r + 1)·(i mod 97) + salt = 3·(i mod 97) + 2·salt
    const sum = (salt: number) => Array.from({ length: N }, (_, i) => 3 * (i % 97) + 2 * salt);
    for (const [rank, file] of ranks.entries()) {
      expect(file.info).toMatchObject({ initialized: true, rank, size: 2, channels: 2, threadLevel: 3 });
      expect(file.threw).toMatch(/allReduce: no channel 5 \(init made 2\)/);
      for (const [channel, got] of file.perChannel.entries()) {
        expect(got.f32).toEqual(sum(0.5));
        expect(got.f64).toEqual(sum(0.25));
        expect(got.i32).toEqual(sum(3));
        expect(got.mx).toEqual([1, 0]);
        expect(got.whole).toEqual([9, 9, 9, 3, 3, 3, 9, 9, 9, 9]);
        // this rank's block of send (8 values from rank·8) summed: 3·((rank·8 + j) mod 97) + 2
        expect(got.recv).toEqual(Array.from({ length: 8 }, (_, j) => 3 * ((rank * 8 + j) % 97) + 2));
        expect(got.gathered).toEqual([0, 0, 0, channel, 1, 10, 100, channel]);
        expect(got.inPlace).toEqual([1, 2, 3, 2, 3, 4]);
        expect(got.bcast).toEqual([1.5, 2.5, channel]);
      }
    }
  });

  it("golden train cases at 2 ranks × 1 worker (shared memory) match the expected losses and state", async () => {
    expectGolden(await train("golden", 1));
  });

  it("golden train cases at 2 ranks × 2 workers with plain blocking MPI calls (mpiCommunicator({ timeoutMs: 0 })) match", async () => {
    expectGolden(await train("golden", 2, ["-x", "WEFT_MPI_TEST_BLOCKING=1"]));
  });

  it("golden train cases at 2 ranks × 2 workers (hierarchical: shared memory inside, MPI across) match", async () => {
    expectGolden(await train("golden", 2));
  });

  it("golden train cases at 2 ranks × 2 workers over TCP (--mca btl tcp,self) match", async () => {
    expectGolden(await train("golden", 2, ["--mca", "btl", "tcp,self"]));
  });

  for (const workers of [1, 2]) {
    it(`2 ranks × ${workers} worker${workers > 1 ? "s" : ""} train as 1 process × ${2 * workers} workers (BatchNorm, clipping, Adam): losses within 5e-4 relative, the same clipped norms and evaluation`, async () => {
      const [a, b] = await train("random", workers);
      expect(b.results).toEqual(a.results);
      const oneOut = join(dir, `random-local-${workers}`);
      const one = spawnSync(process.execPath, [fixture("train-rank.mjs"), "random", String(2 * workers), oneOut], { env: { ...process.env, WEFT_MPI_TEST_LOCAL: "1" }, encoding: "utf8" });
      expect(one.status, one.stderr).toBe(0);
      const local = (JSON.parse(readFileSync(`${oneOut}.0.json`, "utf8")) as RankFile).results.random;
      const mpi = a.results.random;
      expect(mpi.losses).toHaveLength(12);
      mpi.losses.forEach((l, k) => expect(Math.abs(l - local.losses[k]) / Math.abs(local.losses[k]), `step ${k}`).toBeLessThan(5e-4));
      // The clipped norm counts each range once (hosts ≠ 0 are replicas), not once per host.
      mpi.gradNorms!.forEach((g, k) => expect(Math.abs(g - local.gradNorms![k]) / local.gradNorms![k], `norm ${k}`).toBeLessThan(1e-5));
      expect(Math.abs(mpi.eval!.loss - local.eval!.loss) / local.eval!.loss).toBeLessThan(5e-4);
      expect(mpi.eval!.accuracy).toBe(local.eval!.accuracy);
    });
  }

  it("the README's example runs on 2 ranks × 2 workers", async () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeTruthy();
    // Inside the package, so that `import "@weft/mpi"` resolves as it does for a user.
    const file = fixture(".readme-example.tmp.mjs");
    writeFileSync(file, code!);
    try {
      const job = await mpirun(["-np", "2", process.execPath, file]);
      expect(job.code, job.output).toBe(0);
      expect(job.output).toMatch(/2 processes × 2 workers: losses( \d\.\d{4}){4}/);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("a rank killed by SIGKILL mid-run ends the whole job non-zero within 30 s, mpirun naming the rank", async () => {
    const out = join(dir, "killed");
    const rank = [process.execPath, fixture("train-rank.mjs"), "random", "1", out];
    const job = await mpirun(["-np", "1", ...rank, ":", "-np", "1", "-x", "WEFT_MPI_TEST_KILL=SIGKILL", ...rank]);
    expect(job.code).not.toBe(0);
    expect(job.ms).toBeLessThan(30_000);
    expect(job.output).toMatch(/rank 1 with PID \d+ on node \S+ exited on signal 9/);
  });

  it("a rank that stops (SIGSTOP: alive, silent) ends the job: the others' waits across hosts time out (barrierTimeoutMs), naming where", async () => {
    const out = join(dir, "stopped");
    const rank = [process.execPath, fixture("train-rank.mjs"), "random", "2", out];
    // The wait across hosts (1.5 s) times out well before this process's own stall watch (6 s) would
    // see its worker waiting: with equal limits the two race, and either message may come first.
    const job = await mpirun(["-x", "WEFT_MPI_TEST_TIMEOUT_MS=6000", "-x", "WEFT_MPI_TEST_WAIT_MS=1500", "-np", "1", ...rank, ":", "-np", "1", "-x", "WEFT_MPI_TEST_KILL=SIGSTOP", ...rank]);
    expect(job.code).not.toBe(0);
    expect(job.ms).toBeLessThan(30_000);
    expect(job.output).toMatch(/MPI rank 0 of 2 failed: .*MPI rank 0 \(worker \d\): .* across hosts did not complete within 1500 ms at step \d+ — another host is stuck or too slow/);
  });

  for (const mode of ["throw", "exit"]) {
    it(`a rank whose worker fails (WEFT_FAULT …:${mode}) ends the whole job non-zero within 30 s, naming the rank`, async () => {
      const out = join(dir, `fault-${mode}`);
      const rank = [process.execPath, fixture("train-rank.mjs"), "random", "1", out];
      // MPMD: the fault only in rank 1's environment.
      const job = await mpirun(["-np", "1", ...rank, ":", "-np", "1", "-x", `WEFT_FAULT=worker:0:step:3:${mode}`, ...rank]);
      expect(job.code).not.toBe(0);
      expect(job.ms).toBeLessThan(30_000);
      expect(job.output).toMatch(/MPI rank 1 of 2 failed: .*worker 0 failed at step 3/);
    });
  }
});
