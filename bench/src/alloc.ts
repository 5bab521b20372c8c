/**
 * `pnpm bench:alloc [--steps N] [--backend js|wasm|both] [--quick] [--json] [--out DIR]`
 *
 * Per-step allocation in steady state, as issue 7 asks to check it: the engine (1 worker, the
 * standard workload 784-256-128-10, batch 128, Adam; and with BatchNorm) trains 200 steps, then
 * N more (default 1,000) inside a child `node --trace-gc`; every garbage collection V8 reports
 * in that window — in any isolate, the worker's included — is counted, with its reason and
 * pause. Each kernel backend (js, wasm) runs with the step arena (the default) and without one
 * (`arenaBytes: 0`: every temporary from the JS heap, as before the arenas). Writes alloc.json
 * and alloc.md.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmSimdSupported } from "@weft/tensor";
import { backendsArg, intArg, parseArgs } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";
import { sig } from "./summary.js";

const args = parseArgs(process.argv.slice(2), ["steps", "out", "backend"], ["quick", "json"]);
const quick = args.has("quick");
const steps = intArg(args, "steps", quick ? 32 : 1000);
const warmup = quick ? 8 : 200;
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Gc {
  kind: string;
  reason: string;
  pauseMs: number;
  /** Heap (MB) before and after, as --trace-gc prints it. */
  before: number;
  after: number;
  isolate: string;
}

/** One --trace-gc line: `[pid:0xISOLATE] 804 ms: Scavenge 10.8 (15.5) -> 6.9 (15.5) MB, 0.15 / 0.00 ms  (…) allocation failure;` */
const GC_LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: ([A-Za-z-]+(?: [A-Za-z-]+)*?) ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB, ([\d.]+) \/ [\d.]+ ms\s+(?:\(.*?\))?\s*(.*?);?\s*$/;

function parseGc(line: string): Gc | null {
  const m = GC_LINE.exec(line);
  if (!m) return null;
  return { isolate: m[1], kind: m[2], before: Number(m[3]), after: Number(m[4]), pauseMs: Number(m[5]), reason: m[6].replace(/;$/, "").trim() || "?" };
}

export interface AllocRow {
  backend: "js" | "wasm";
  model: string;
  arena: boolean;
  steps: number;
  msPerStep: number;
  gcEvents: number;
  gcPauseMs: number;
  gcShareOfTime: number;
  /** GC events by V8's reason ("external memory pressure" = typed arrays, "allocation failure" = a full young generation). */
  reasons: Record<string, number>;
  /** JS heap allocated in the window, estimated from the heap sizes around each GC (MB; 0.1 MB resolution per event). */
  heapMbAllocated: number;
  /** That per step, in KB. */
  kbPerStep: number;
  arenaHighWaterBytes: number;
  arenaOverflows: number;
}

function measure(backend: "js" | "wasm", bn: boolean, arena: boolean): AllocRow {
  const child = fileURLToPath(new URL("./alloc-child.js", import.meta.url));
  const r = spawnSync(process.execPath, ["--trace-gc", child, "--steps", String(steps), "--warmup", String(warmup), "--arena-bytes", String(arena ? 32 << 20 : 0), ...(bn ? ["--bn"] : [])], {
    encoding: "utf8",
    env: { ...process.env, WEFT_BACKEND: backend },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`bench:alloc child (${backend}, arena ${arena}) failed with ${r.status}: ${r.stderr.slice(-2000)}`);
  const lines = r.stdout.split("\n");
  const start = lines.findIndex((l) => l.includes("@@alloc-start")), end = lines.findIndex((l) => l.includes("@@alloc-end"));
  const resultLine = r.stderr.split("\n").find((l) => l.startsWith("@@alloc-result "));
  if (start < 0 || end < 0 || !resultLine) throw new Error(`bench:alloc child printed no markers or result: ${r.stderr.slice(-1000)}`);
  const result = JSON.parse(resultLine.slice("@@alloc-result ".length)) as { ms: number; arena: { highWater: number; overflows: number } };
  // Heap allocated between consecutive GCs of one isolate: its heap before a GC minus after the previous one.
  const lastAfter = new Map<string, number>();
  for (const l of lines.slice(0, start)) {
    const g = parseGc(l);
    if (g) lastAfter.set(g.isolate, g.after);
  }
  const gcs = lines.slice(start + 1, end).map(parseGc).filter((g): g is Gc => g !== null);
  let allocated = 0;
  const reasons: Record<string, number> = {};
  for (const g of gcs) {
    const prev = lastAfter.get(g.isolate);
    if (prev !== undefined) allocated += Math.max(0, g.before - prev);
    lastAfter.set(g.isolate, g.after);
    reasons[g.reason] = (reasons[g.reason] ?? 0) + 1;
  }
  const pause = gcs.reduce((s, g) => s + g.pauseMs, 0);
  return {
    backend, model: bn ? "784-256-BN-128-BN-10" : "784-256-128-10", arena, steps,
    msPerStep: sig(result.ms / steps), gcEvents: gcs.length, gcPauseMs: sig(pause), gcShareOfTime: sig(pause / result.ms),
    reasons, heapMbAllocated: sig(allocated), kbPerStep: sig((allocated * 1024) / steps),
    arenaHighWaterBytes: result.arena.highWater, arenaOverflows: result.arena.overflows,
  };
}

const backends = backendsArg(args, wasmSimdSupported());
const rows: AllocRow[] = [];
for (const backend of backends) {
  for (const bn of [false, true]) {
    for (const arena of [true, false]) {
      log(`${backend}, ${bn ? "BN" : "MLP"}, arena ${arena ? "on" : "off"}: ${warmup} + ${steps} steps …`);
      rows.push(measure(backend, bn, arena));
    }
  }
}

const machine = describeMachine();
const results = { bench: "alloc", machine, quick, steps, warmup, rows };
const reasonText = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${v} × ${k}`).join(", ") || "none";
const md = [
  `# Per-step allocation${quick ? " (--quick: not results)" : ""}`,
  "",
  `Machine: ${machineLine(machine)}.`,
  "",
  `\`pnpm bench:alloc\`: the engine with 1 worker trains the standard workload (batch 128, Adam) for ${warmup} steps, then ${steps.toLocaleString("en-US")} more under \`node --trace-gc\`; the table counts every GC V8 reported in those ${steps.toLocaleString("en-US")} steps, in any isolate (the worker's included). ` +
    "\"arena\": the engine's default — each step's batch, activations, gradients and loss temporaries live in a per-worker arena in the run's shared memory, reset every step; \"no arena\" (`arenaBytes: 0`) allocates them on the JS heap as the code did before. " +
    "\"external memory pressure\" GCs are V8 reacting to typed-array (ArrayBuffer) allocation; \"allocation failure\"/\"task\" ones collect the young generation of small JS objects. " +
    "\"JS heap KB/step\" estimates the JS objects a step allocates (autograd nodes, closures, shapes) from the heap sizes around each GC (0.1 MB resolution per GC).",
  "",
  "| backend | model | arena | ms/step | GCs | GC pause ms | share of time | reasons | JS heap KB/step | arena high water | heap fallbacks |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ...rows.map((r) => `| ${r.backend} | ${r.model} | ${r.arena ? "arena" : "no arena"} | ${r.msPerStep} | ${r.gcEvents} | ${r.gcPauseMs} | ${(100 * r.gcShareOfTime).toFixed(2)}% | ${reasonText(r.reasons)} | ${r.kbPerStep} | ${r.arena ? `${(r.arenaHighWaterBytes / 2 ** 20).toFixed(2)} MiB` : "–"} | ${r.arena ? r.arenaOverflows : "–"} |`),
  "",
].join("\n");

const out = (args.get("out") as string | undefined) ?? (quick ? undefined : fileURLToPath(new URL("../results/", import.meta.url)));
if (out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "alloc.json"), JSON.stringify(results, null, 1));
  writeFileSync(join(out, "alloc.md"), md);
  log(`wrote ${join(out, "alloc.{json,md}")}`);
}
if (args.has("json")) console.log(JSON.stringify(results));
else console.log(md);
