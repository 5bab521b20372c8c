/**
 * `pnpm bench:allreduce --mpi [--quick] [--json] [--out DIR] [--repeats R]`
 *
 * MPI all-reduce (in place, MPI_SUM over float32: what MpiCommunicator does with each worker's
 * gradient range across hosts) between 2 ranks of `mpirun -np 2` on this machine, for 0.1 M, 1 M
 * and 10 M floats, over shared memory (`--mca btl self,vader`) and over TCP loopback
 * (`--mca btl tcp,self`), against `Float32Array.set` of the same bytes in the same rank process,
 * the same run. Each figure: the median over repeats of the slower rank's ms per call. Writes
 * allreduce-mpi.json and allreduce-mpi.md. Needs Open MPI (scripts/ensure-mpi.sh) and the built
 * @weft/mpi addon.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { intArg, parseArgs } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";
import { sig } from "./summary.js";

/** One size on one transport, rank-max medians. */
export interface MpiAllReduceRow {
  transport: "shm" | "tcp";
  floats: number;
  allReduceMs: number;
  /** Gradient bytes (4 × floats) per ms of all-reduce, in GB/s (memcpy's definition; at 2 ranks also the ring's bus bandwidth). */
  gbPerS: number;
  memcpyMs: number;
  /** memcpy time / all-reduce time. */
  vsMemcpy: number;
}

const args = parseArgs(process.argv.slice(2).filter((a) => a !== "--mpi"), ["out", "repeats"], ["quick", "json"]);
const quick = args.has("quick");
const sizes = quick ? [100_000] : [100_000, 1_000_000, 10_000_000];
const repeats = intArg(args, "repeats", quick ? 2 : 9);
const log = (s: string) => (args.has("json") ? process.stderr : process.stdout).write(s + "\n");

const TRANSPORTS = { shm: "self,vader", tcp: "tcp,self" } as const;
const rankScript = fileURLToPath(new URL("./allreduce-mpi-rank.js", import.meta.url));
const root = typeof process.getuid === "function" && process.getuid() === 0 ? ["--allow-run-as-root"] : [];

const rows: MpiAllReduceRow[] = [];
for (const [transport, btl] of Object.entries(TRANSPORTS) as [keyof typeof TRANSPORTS, string][]) {
  log(`mpirun -np 2 --mca btl ${btl}: ${sizes.length} sizes × ${repeats} repeats`);
  const job = spawnSync("mpirun", [...root, "--oversubscribe", "--mca", "btl", btl, "-np", "2", process.execPath, rankScript, sizes.join(","), String(repeats)], { encoding: "utf8" });
  if (job.error) throw new Error(`bench:allreduce --mpi: mpirun not found (${job.error.message}): install Open MPI (scripts/ensure-mpi.sh, or apt-get install -y openmpi-bin libopenmpi-dev) and build @weft/mpi`);
  if (job.status !== 0) throw new Error(`bench:allreduce --mpi: mpirun (${transport}) exited ${job.status}:\n${job.stderr}${job.stdout}`);
  const line = job.stdout.trim().split("\n").pop()!;
  for (const r of JSON.parse(line) as Omit<MpiAllReduceRow, "transport">[]) rows.push({ transport, ...r });
}

const header = "| transport | floats | MPI all-reduce | GB/s | Float32Array.set | memcpy / all-reduce |\n| --- | ---: | ---: | ---: | ---: | ---: |";
const table = rows.map((r) => `| ${r.transport} | ${r.floats.toLocaleString("en-US")} | ${sig(r.allReduceMs, 3)} ms | ${sig(r.gbPerS, 3)} | ${sig(r.memcpyMs, 3)} ms | ${(100 * r.vsMemcpy).toFixed(0)}% |`).join("\n");
const machine = describeMachine();
const md = `# MPI all-reduce, 2 ranks (mpirun -np 2 on this machine)\n\n${machineLine(machine)}\n\nMedian of ${repeats} repeats of the slower rank's ms per call (in place, MPI_SUM, float32); memcpy: the same bytes by \`Float32Array.set\` in the rank's process, the same run.\n\n${header}\n${table}\n`;
log(md);
const results = { bench: "allreduce-mpi", date: new Date().toISOString(), machine, repeats, rows };
const out = (args.get("out") as string | undefined) ?? (quick ? undefined : fileURLToPath(new URL("../results/", import.meta.url)));
if (out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "allreduce-mpi.json"), JSON.stringify(results, null, 1));
  writeFileSync(join(out, "allreduce-mpi.md"), md);
  log(`wrote ${join(out, "allreduce-mpi.{json,md}")}`);
}
if (args.has("json")) console.log(JSON.stringify(results));
