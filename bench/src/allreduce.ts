/**
 * `pnpm bench:allreduce [--quick] [--json] [--out DIR] [--repeats R] [--backend js|wasm|both]`
 * (`--mpi`: MPI's all-reduce across 2 processes instead: see allreduce-mpi.ts)
 *
 * The engine's gradient reduce-scatter (SharedCommunicator.reduceScatter: a barrier, then each
 * rank's range summed over the W gradient slots in shared memory) for 0.1 M, 1 M and 10 M floats at W = 1 and 2 worker_threads, per kernel backend —
 * the engine's all-reduce path follows the backend: the JS loop under `js`, the wasm SIMD kernel
 * under `wasm` (the default backend); `--backend` (default both) picks which — against a plain
 * single-thread `Float32Array.set` of the same bytes in the same run (no weft kernel: backend
 * "—"); and the round-trip latency of one barrier across 2 workers (Atomics, the same on either
 * backend). Writes allreduce.json and allreduce.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { backend, wasmSimdSupported, type WasmMemory } from "@weft/tensor";
import type { AllReduceJob } from "./allreduce-worker.js";
import { backendsArg, intArg, parseArgs, type BackendChoice } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";
import { fmtPct, median, sig } from "./summary.js";

// --mpi: the MPI all-reduce across processes instead (allreduce-mpi.ts), which exits when done.
if (process.argv.includes("--mpi")) await import("./allreduce-mpi.js").then(() => process.exit(0));
const args = parseArgs(process.argv.slice(2), ["out", "repeats", "backend"], ["quick", "json"]);
const quick = args.has("quick");
// 235,146 = the standard workload's parameters (784-256-128-10): the all-reduce a training step does.
const sizes = quick ? [100_000] : [100_000, 235_146, 1_000_000, 10_000_000];
const repeats = intArg(args, "repeats", quick ? 2 : 9);
const workerCounts = [1, 2];
/** The backends whose all-reduce path is measured (`--backend`; both: js, then wasm where SIMD runs). */
const backends: BackendChoice[] = backendsArg(args, wasmSimdSupported());
if (backends.includes("wasm") && !wasmSimdSupported()) throw new Error("--backend wasm: this JavaScript host cannot run WebAssembly SIMD (128-bit)");
/** The backend, hence the all-reduce path, the engine takes by default here (WEFT_BACKEND or the host's default). */
const defaultBackend: BackendChoice = backend();
const WasmMemoryCtor = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory } }).WebAssembly.Memory;
/** Enough operations per repeat to time tens of ms (fewer for the big sizes: each pass is ms). */
const iterationsFor = (n: number) => (quick ? 3 : Math.max(5, Math.round(3e7 / n)));

/** Runs W workers on one job; resolves with rank 0's per-repeat ms per operation. */
async function runJob(mode: AllReduceJob["mode"], be: BackendChoice, worldSize: number, n: number, iterations: number): Promise<number[]> {
  const control = new SharedArrayBuffer(8 * 4);
  // The engine's layout (packages/parallel/src/memory.ts): 64-byte aligned slots, then the reduced gradient.
  const stride = Math.ceil((n * 4) / 64) * 64;
  const slotsAt = 64;
  const reducedAt = slotsAt + worldSize * stride;
  const bytes = reducedAt + stride + 64;
  const pages = Math.ceil(bytes / 65536);
  const memory = be === "wasm" ? new WasmMemoryCtor({ initial: pages, maximum: pages, shared: true }) : new SharedArrayBuffer(pages * 65536);
  const buffer = (be === "wasm" ? (memory as WasmMemory).buffer : memory) as SharedArrayBuffer;
  const all = new Float32Array(buffer, slotsAt, (worldSize * stride) / 4);
  for (let i = 0; i < all.length; i++) all[i] = (i % 1000) * 1e-3;
  const url = new URL("./allreduce-worker.js", import.meta.url);
  const workers = Array.from({ length: worldSize }, (_, rank) =>
    new Worker(url, { workerData: { mode, backend: be, rank, worldSize, n, control, memory, slots: slotsAt, stride, reduced: reducedAt, iterations, repeats } satisfies AllReduceJob }));
  const [times] = await Promise.all([
    new Promise<number[]>((resolve, reject) => {
      workers[0].once("message", resolve);
      workers[0].once("error", reject);
    }),
    ...workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once("error", reject);
      w.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`allreduce worker exited with ${code}`))));
    })),
  ]);
  return times as number[];
}

/** `Float32Array.set` of n floats on this thread: ms per copy, per repeat. */
function memcpy(n: number, iterations: number): number[] {
  const src = new Float32Array(n).map((_, i) => i);
  const dst = new Float32Array(n);
  const times: number[] = [];
  for (let rep = -1; rep < repeats; rep++) {
    const t0 = performance.now();
    for (let k = 0; k < iterations; k++) dst.set(src);
    if (rep >= 0) times.push((performance.now() - t0) / iterations);
  }
  return times;
}

interface Row {
  kind: "memcpy" | "allreduce";
  /** The kernel backend, which picks the all-reduce's path: `wasm` the SIMD kernel, `js` the JS loop (null for memcpy: no weft kernel). */
  backend: BackendChoice | null;
  floats: number;
  workers: number;
  /** median ms per operation. */
  ms: number;
  /** gradient bytes (4n) per second: what memcpy's figure means too. */
  gbPerSec: number;
  /** bytes read + written per second: (W + 1)·4n for the all-reduce, 2·4n for memcpy. */
  trafficGbPerSec: number;
  /** gbPerSec over the memcpy of the same bytes, same run. */
  vsMemcpy: number;
  iterations: number;
  runs: number[];
}

const rows: Row[] = [];
const log = (s: string) => (args.has("json") ? process.stderr : process.stdout).write(s + "\n");
for (const n of sizes) {
  const it = iterationsFor(n);
  log(`${n.toLocaleString("en-US")} floats …`);
  const mc = memcpy(n, it);
  const memcpyMs = median(mc);
  const bytes = 4 * n;
  rows.push({ kind: "memcpy", backend: null, floats: n, workers: 1, ms: sig(memcpyMs), gbPerSec: sig(bytes / memcpyMs / 1e6), trafficGbPerSec: sig((2 * bytes) / memcpyMs / 1e6), vsMemcpy: 1, iterations: it, runs: mc.map((t) => sig(t)) });
  for (const be of backends) for (const w of workerCounts) {
    const times = await runJob("reduce", be, w, n, it);
    const t = median(times);
    rows.push({ kind: "allreduce", backend: be, floats: n, workers: w, ms: sig(t), gbPerSec: sig(bytes / t / 1e6), trafficGbPerSec: sig(((w + 1) * bytes) / t / 1e6), vsMemcpy: sig(memcpyMs / t), iterations: it, runs: times.map((x) => sig(x)) });
  }
}
const barrierIterations = quick ? 200 : 20_000;
const barrierW = 2;
log(`barrier round trips, W = ${barrierW} …`);
const barrierRuns = (await runJob("barrier", "js", barrierW, 0, barrierIterations)).map((ms) => ms * 1000);
const barrier = { workers: barrierW, medianMicroseconds: sig(median(barrierRuns)), iterations: barrierIterations, runsMicroseconds: barrierRuns.map((x) => sig(x)) };

const machine = describeMachine(backends);
const results = { bench: "allreduce", machine, quick, repeats, backends, defaultBackend, rows, barrier };
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const md = [
  `# All-reduce benchmark${quick ? " (--quick: not results)" : ""}`,
  "",
  `Machine: ${machineLine(machine)}.`,
  "",
  "`pnpm bench:allreduce`: the engine's gradient reduce-scatter of one step (`SharedCommunicator.reduceScatter`, the collective the engine's step calls) — the W worker_threads meet at a barrier, then each sums its own range of the W gradient slots (shared memory, rank order) into the reduced gradient — against one thread copying the same bytes with `Float32Array.set`, in the same run. " +
    `Medians of ${repeats} repeats; the data is the same every repeat, so sizes that fit in cache (0.1 M floats = 0.4 MB) are measured warm, as is the copy. ` +
    `Kernel backend${backends.length > 1 ? "s" : ""}: ${backends.join(" and ")} (the \`backend\` column). The engine's all-reduce path follows the backend: \`wasm\` — the wasm \`sumRanks\` kernel over the slots in a shared WebAssembly.Memory, in place (WebAssembly SIMD, the default backend); \`js\` — the engine's JS loop over a SharedArrayBuffer (WEFT_BACKEND=js). memcpy is no weft kernel (backend —). ` +
    `The engine's default backend here: **${defaultBackend}**. ` +
    "\"GB/s\" is gradient bytes (4 × floats) per second, the same definition as memcpy's; \"traffic\" counts every byte read and written ((W + 1) × 4 × floats; 2 × for memcpy). At W = 1 the engine skips the reduce entirely (its one slot is the reduced gradient: reduceScatter of a buffer onto itself is nothing); the row shows a reduce-scatter onto another buffer, one copy.",
  "",
  "| floats | backend | what | ms | GB/s | traffic GB/s | vs memcpy |",
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) => `| ${r.floats.toLocaleString("en-US")} | ${r.backend ?? "—"} | ${r.kind === "memcpy" ? "memcpy (`Float32Array.set`), 1 thread" : `all-reduce, W = ${r.workers}`} | ${r.ms < 0.1 ? r.ms.toFixed(4) : fmt(r.ms)} | ${fmt(r.gbPerSec)} | ${fmt(r.trafficGbPerSec)} | ${fmtPct(r.vsMemcpy)} |`),
  "",
  `Barrier round trip across ${barrier.workers} worker_threads (Atomics.wait/notify on a shared Int32Array, SharedCommunicator.barrier — the same code on either backend): **${fmt(barrier.medianMicroseconds)} µs** median over ${repeats} repeats of ${barrier.iterations.toLocaleString("en-US")} barriers.`,
  "",
  "Target (issue 6): the all-reduce at W = 2 moves gradients at ≥ 50% of single-thread memcpy bandwidth — " +
    rows.filter((r) => r.kind === "allreduce" && r.workers === 2).map((r) => `${r.backend}, ${r.floats.toLocaleString("en-US")} floats: ${fmtPct(r.vsMemcpy)} (${r.vsMemcpy >= 0.5 ? "met" : "**missed**"})`).join("; ") + ` — the engine's default backend here is ${defaultBackend}.`,
  "",
].join("\n");

const out = (args.get("out") as string | undefined) ?? (quick ? undefined : fileURLToPath(new URL("../results/", import.meta.url)));
if (out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "allreduce.json"), JSON.stringify(results, null, 1));
  writeFileSync(join(out, "allreduce.md"), md);
  log(`wrote ${join(out, "allreduce.{json,md}")}`);
}
if (args.has("json")) console.log(JSON.stringify(results));
else console.log(md);
