/**
 * `pnpm bench:scaling [--quick] [--json] [--out DIR] [--repeats R] [--backend js|wasm|both]`
 * `node bench/dist/scaling.js --from bench/results/scaling.json [--backend js|wasm]` re-renders md
 * and svg (and the derived speedups) from a run's records, without measuring (`--backend`
 * there keeps one backend's records).
 *
 * The kernel backend is a dimension of every table: the whole plan below runs once per backend
 * (`both`, the default: js, then wasm), every thread and process of a pass on that backend, and
 * speedups compare points of the same backend only.
 *
 * Strong scaling (global batch 32 … 1024, W = 1 … cores and one oversubscribed point), weak
 * scaling (128 rows per worker), the same with BatchNorm, the machine's side-by-side ceiling,
 * the plain loop against the engine at W = 1, and a hidden-width sweep. Repeats of the points
 * that are compared are interleaved in one process. Writes scaling.json, scaling.md and
 * scaling.svg to bench/results (or --out; --quick writes only with --out) and prints the tables.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmSimdSupported } from "@weft/tensor";
import { backendsArg, intArg, parseArgs, type BackendChoice } from "./cli-args.js";
import { measureInterleaved, type Point } from "./interleave.js";
import { describeMachine } from "./machine.js";
import type { MeasureOptions } from "./measure.js";
import { EngineRunner, PlainRunner, PlainWorkerRunner, type Runner } from "./runners.js";
import { deriveSpeedups, pointRecord, toJson, withBackends, type RunnerKind, type ScalingRecord, type ScalingResults, type Section } from "./scaling-records.js";
import { scalingChart, scalingMarkdown } from "./scaling-report.js";
import { sideBySide } from "./side-by-side.js";
import { selectBackend } from "./train-point.js";
import { parameterCount, randomData, type Dataset } from "./workload.js";

const args = parseArgs(process.argv.slice(2), ["out", "repeats", "cores", "from", "backend"], ["quick", "json"]);
const quick = args.has("quick");
const backends = backendsArg(args, wasmSimdSupported());
const cores = intArg(args, "cores", availableParallelism());
const SEED = 0;
const repeats = intArg(args, "repeats", quick ? 1 : 5);

/** Everything the run measures; --quick shrinks it to seconds (for the CI smoke test). */
const plan = quick
  ? {
      hidden: [64, 32], workers: [1, 2], strongBatches: [32, 64], plainBatches: [32], perWorkerBatch: 32, bnBatches: [64], ceilingBatches: [64],
      widths: [32], widthBatch: 64, rows: 256, sweepRepeats: 1,
      o: { steps: 2, repeats, warmup: 1, targetMs: 0 } as MeasureOptions, ceilingArgs: ["--steps", "2", "--repeats", String(repeats), "--warmup", "1"],
    }
  : {
      hidden: [256, 128], workers: [...Array.from({ length: cores }, (_, i) => i + 1), cores + 1], strongBatches: [32, 64, 128, 256, 512, 1024], plainBatches: [128, 256, 1024],
      perWorkerBatch: 128, bnBatches: [128, 256, 1024], ceilingBatches: [128, 256, 1024], widths: [64, 128, 512, 1024, 2048], widthBatch: 256, rows: 4096, sweepRepeats: 3,
      o: { steps: 0, repeats, warmup: 4, targetMs: 400 } as MeasureOptions, ceilingArgs: ["--repeats", String(repeats), "--warmup", "4", "--target-ms", "400"],
    };

type ModelPoint = Point & { hidden: number[]; bn: boolean; backend: BackendChoice };

const log = (s: string) => (args.has("json") ? process.stderr : process.stdout).write(s + "\n");

async function pools(workers: readonly number[], hidden: number[], bn: boolean, data: Dataset): Promise<Map<number, EngineRunner>> {
  const m = new Map<number, EngineRunner>();
  for (const w of workers) m.set(w, await EngineRunner.create(w, hidden, bn, data, SEED));
  return m;
}

async function closeAll(runners: Iterable<Runner>): Promise<void> {
  for (const r of runners) await r.close();
}

/** Measures `points` interleaved; one record per point. */
async function measurePoints(section: Section, points: ModelPoint[], o: MeasureOptions, onRepeat?: (r: number) => void): Promise<ScalingRecord[]> {
  const results = await measureInterleaved(points, o, onRepeat);
  return points.map((p, i) => pointRecord(section, p.backend, p.runner.kind as RunnerKind, p.runner.workers, p.batch, p.hidden, p.bn, parameterCount(p.hidden, p.bn), results[i]));
}

/** 1. Strong and weak scaling and the plain loop on the standard model, all interleaved in one set. */
async function standard(be: BackendChoice, data: Dataset): Promise<ScalingRecord[]> {
  log(`[${be}] strong/weak scaling, plain loop: W = ${plan.workers.join(", ")} …`);
  const { hidden } = plan;
  const engines = await pools(plan.workers, hidden, false, data);
  const plain = [new PlainRunner(hidden, false, data, SEED), new PlainWorkerRunner(hidden, false, data, SEED)];
  const point = (runner: Runner, batch: number): ModelPoint => ({ runner, batch, hidden, bn: false, backend: be });
  const strong = plan.strongBatches.flatMap((b) => plan.workers.map((w) => point(engines.get(w)!, b)));
  // Weak points that coincide with strong ones (W × 128 among the strong batches) are measured once.
  const weak = plan.workers.map((w) => strong.find((s) => s.runner === engines.get(w) && s.batch === w * plan.perWorkerBatch) ?? point(engines.get(w)!, w * plan.perWorkerBatch));
  const plainPoints = plan.plainBatches.flatMap((b) => plain.map((r) => point(r, b)));
  const all = [...new Set([...strong, ...weak, ...plainPoints])];
  const recs = await measurePoints("strong", all, plan.o, (r) => log(`  [${be}] repeat ${r + 1}/${plan.o.repeats} done`));
  const recOf = (p: ModelPoint, section: Section) => ({ ...recs[all.indexOf(p)], section });
  await closeAll([...engines.values(), ...plain]);
  return [...strong.map((p) => recOf(p, "strong")), ...weak.map((p) => recOf(p, "weak")), ...plainPoints.map((p) => recOf(p, "plain"))];
}

/** 2. The machine's ceiling: W independent 1-worker processes at batch / W rows each (on backend `be`). */
async function ceiling(be: BackendChoice): Promise<ScalingRecord[]> {
  const recs: ScalingRecord[] = [];
  for (const b of plan.ceilingBatches) {
    for (const w of plan.workers.filter((x) => x > 1)) {
      const perProcess = Math.floor(b / w);
      log(`[${be}] side-by-side ceiling: ${w} processes × batch ${perProcess} …`);
      const s = await sideBySide(w, perProcess, ["--hidden", plan.hidden.join(","), "--backend", be, ...plan.ceilingArgs]);
      recs.push({
        section: "ceiling", backend: be, engine: "side-by-side", workers: w, batch: b, hidden: plan.hidden, bn: false, params: parameterCount(plan.hidden, false),
        samplesPerSec: s.samplesPerSec, msPerStep: NaN, speedup: NaN, pairedSpeedup: null, efficiency: NaN, breakdown: null, perProcess: s.perProcess,
      });
    }
  }
  return recs;
}

/** 3. Strong scaling with BatchNorm (SyncBatchNorm across workers), W = 1 … cores. */
async function withBatchNorm(be: BackendChoice, data: Dataset): Promise<ScalingRecord[]> {
  log(`[${be}] strong scaling with BatchNorm …`);
  const ws = plan.workers.filter((w) => w <= cores);
  const engines = await pools(ws, plan.hidden, true, data);
  const points = plan.bnBatches.flatMap((b) => ws.map((w): ModelPoint => ({ runner: engines.get(w)!, batch: b, hidden: plan.hidden, bn: true, backend: be })));
  const recs = await measurePoints("strong-bn", points, plan.o);
  await closeAll(engines.values());
  return recs;
}

/** 4. Width sweep at a fixed batch, W = 1 and W = cores (the standard width is taken from `standardRecs`). */
async function widths(be: BackendChoice, data: Dataset, standardRecs: ScalingRecord[]): Promise<ScalingRecord[]> {
  const recs: ScalingRecord[] = [];
  for (const width of plan.widths) {
    log(`[${be}] width sweep: 784-${width}-${width / 2}-10 …`);
    const hidden = [width, Math.max(1, width / 2)];
    const engines = await pools([1, cores], hidden, false, data);
    const points = [1, cores].map((w): ModelPoint => ({ runner: engines.get(w)!, batch: plan.widthBatch, hidden, bn: false, backend: be }));
    recs.push(...(await measurePoints("width", points, { ...plan.o, repeats: plan.sweepRepeats, warmup: Math.min(plan.o.warmup, 2), minSteps: 1 })));
    await closeAll(engines.values());
  }
  const std = standardRecs.filter((x) => x.section === "strong" && x.backend === be && x.batch === plan.widthBatch && (x.workers === 1 || x.workers === cores));
  return [...recs, ...std.map((r) => ({ ...r, section: "width" as const }))];
}

/**
 * The whole plan on backend `be`: this thread, the engine's workers (DataParallel hands them this
 * thread's backend), the plain loop's worker and the side-by-side processes (WEFT_BACKEND).
 */
async function measureBackend(be: BackendChoice, data: Dataset): Promise<ScalingRecord[]> {
  selectBackend(be);
  const records = await standard(be, data);
  records.push(...(await ceiling(be)), ...(await withBatchNorm(be, data)));
  records.push(...(await widths(be, data, records)));
  return records;
}

async function measureAll(): Promise<ScalingResults> {
  const started = performance.now();
  const machine = describeMachine(backends);
  const data = randomData(plan.rows, SEED);
  const records: ScalingRecord[] = [];
  const durationSecByBackend: Partial<Record<BackendChoice, number>> = {};
  for (const be of backends) {
    const t0 = performance.now();
    records.push(...(await measureBackend(be, data)));
    durationSecByBackend[be] = Math.round((performance.now() - t0) / 1000);
  }
  deriveSpeedups(records);
  return {
    bench: "scaling", machine, loadAvgEnd: Number(loadavg()[0].toFixed(2)), quick, cores, workers: plan.workers, backends,
    durationSec: Math.round((performance.now() - started) / 1000), durationSecByBackend, records,
  };
}

const from = args.get("from") as string | undefined;
let results: ScalingResults;
if (from) {
  results = withBackends(JSON.parse(readFileSync(from, "utf8")) as ScalingResults);
  if (args.has("backend")) {
    // Re-rendering one backend's view of a run: its records and speedups are self-contained.
    results.records = results.records.filter((r) => backends.includes(r.backend));
    results.backends = results.backends.filter((b) => backends.includes(b));
  }
  deriveSpeedups(results.records);
} else {
  results = await measureAll();
}
const md = scalingMarkdown(results);
const out = (args.get("out") as string | undefined) ?? (from ? dirname(from) : quick ? undefined : fileURLToPath(new URL("../results/", import.meta.url)));
if (out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "scaling.json"), toJson(results));
  writeFileSync(join(out, "scaling.md"), md);
  writeFileSync(join(out, "scaling.svg"), scalingChart(results));
  log(`wrote ${join(out, "scaling.{json,md,svg}")}`);
}
if (args.has("json")) console.log(JSON.stringify(results, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
else console.log(md);
