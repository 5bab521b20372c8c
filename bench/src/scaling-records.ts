/** The records of `bench:scaling` (one per measured point) and how speedup and efficiency are derived. */
import type { BackendChoice } from "./cli-args.js";
import type { Breakdown, PointResult } from "./measure.js";
import type { Machine } from "./machine.js";
import { pairedRatio, sig } from "./summary.js";

export type Section =
  /** Fixed global batch, W = 1 … cores + 1 (includes the batch-size sweep at the standard width). */
  | "strong"
  /** Fixed per-worker batch: global batch = W × per-worker batch. */
  | "weak"
  /** Strong scaling with BatchNorm1d after each hidden Linear (SyncBatchNorm across workers). */
  | "strong-bn"
  /** The plain single-process loop (main thread and worker thread), to compare with the engine at W = 1. */
  | "plain"
  /** W independent 1-worker processes side by side, summed: the machine's ceiling. */
  | "ceiling"
  /** Hidden-width sweep at a fixed batch. */
  | "width";

export type RunnerKind = "weft" | "plain" | "plain-worker";

export interface ScalingRecord {
  section: Section;
  /**
   * The kernel backend of every thread and process of this point (WEFT_BACKEND). Speedups and
   * efficiency compare points of the same backend only.
   */
  backend: BackendChoice;
  /** weft: the engine; plain / plain-worker: the plain loop on the main thread / in a worker_thread. */
  engine: RunnerKind | "side-by-side";
  workers: number;
  /** Global batch (rows per step over all workers or processes). */
  batch: number;
  hidden: number[];
  bn: boolean;
  params: number;
  samplesPerSec: number;
  msPerStep: number;
  /** samples/s (median) over the same section's W = 1 engine at the same batch, model and backend, same run. */
  speedup: number;
  /**
   * The median of the per-repeat ratios to that W = 1 point, whose repeats were interleaved
   * with these (see pairedRatio); null for side-by-side processes, which were not.
   */
  pairedSpeedup: number | null;
  /** speedup / W. */
  efficiency: number;
  /** rank 0, ms/step (null for side-by-side processes). */
  breakdown: Breakdown | null;
  breakdownByRank?: Breakdown[];
  steps?: number;
  repeats?: number;
  runs?: number[];
  /** Side-by-side: each process's samples/s. */
  perProcess?: number[];
}

export interface ScalingResults {
  bench: "scaling";
  machine: Machine;
  /** Load average when the run ended (others' work on a shared machine). */
  loadAvgEnd: number;
  quick: boolean;
  cores: number;
  workers: number[];
  /** The backends measured, in the order they ran (each one's whole plan, then the next's). */
  backends: BackendChoice[];
  durationSec: number;
  /** Seconds each backend's pass took (absent in runs from before the backend dimension). */
  durationSecByBackend?: Partial<Record<BackendChoice, number>>;
  records: ScalingRecord[];
}

/** A record of an engine or plain point. */
export function pointRecord(section: Section, backend: BackendChoice, engine: RunnerKind, workers: number, batch: number, hidden: number[], bn: boolean, params: number, r: PointResult): ScalingRecord {
  return {
    section, backend, engine, workers, batch, hidden, bn, params,
    samplesPerSec: r.samplesPerSec, msPerStep: r.msPerStep, speedup: NaN, pairedSpeedup: null, efficiency: NaN,
    breakdown: r.breakdown, breakdownByRank: r.breakdownByRank, steps: r.steps, repeats: r.repeats, runs: r.runs,
  };
}

function key(r: Pick<ScalingRecord, "backend" | "hidden" | "bn">): string {
  return `${r.backend}|${r.hidden.join(",")}|${r.bn}`;
}

/**
 * Results read back with `--from`: runs from before the backend dimension measured one backend,
 * named only in `machine.weftBackend` (absent there: js, the only backend then); their records
 * get it, so that they render like a new run's.
 */
export function withBackends(results: ScalingResults): ScalingResults {
  const fallback: BackendChoice = results.machine.weftBackend === "wasm" ? "wasm" : "js";
  for (const r of results.records) r.backend ??= fallback;
  results.backends ??= [...new Set(results.records.map((r) => r.backend))];
  return results;
}

/**
 * Fills speedup and efficiency. Strong, BN, width and ceiling points compare with the engine's
 * W = 1 point at the same global batch, model and backend; weak points with W = 1 at the
 * per-worker batch. Never across backends: each backend's speedups are against its own W = 1.
 */
export function deriveSpeedups(records: ScalingRecord[]): void {
  const base = (section: Section, batch: number, r: ScalingRecord) =>
    records.find((b) => b.section === section && b.engine === "weft" && b.workers === 1 && b.batch === batch && key(b) === key(r));
  for (const r of records) {
    let b: ScalingRecord | undefined;
    if (r.section === "weak") b = records.find((x) => x.section === "weak" && x.workers === 1 && key(x) === key(r));
    else if (r.section === "ceiling") b = base("strong", r.batch, r);
    else if (r.section === "plain") b = base("strong", r.batch, r);
    else b = base(r.section, r.batch, r);
    r.speedup = b ? sig(r.samplesPerSec / b.samplesPerSec) : NaN;
    r.pairedSpeedup = b && r.runs && b.runs ? sig(pairedRatio(r.runs, b.runs)) : null;
    r.efficiency = sig(r.speedup / r.workers);
  }
}

/** scaling.json: everything measured (NaN, where a baseline is missing, becomes null). */
export function toJson(results: ScalingResults): string {
  return JSON.stringify(results, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1);
}
