/**
 * One point of the standard workload, in this process: the record that `pnpm bench:train`
 * prints and the sweeps build on.
 */
import { backend, enableRelaxedSimd, setBackend, wasmRelaxedSimd, type Backend } from "@weft/tensor";
import { measure, type MeasureOptions, type PointResult } from "./measure.js";
import { EngineRunner, PlainRunner, PlainWorkerRunner, type Runner } from "./runners.js";
import { fmtInt } from "./summary.js";
import { CNN_PARAMETERS, loadData, parameterCount, type Arch, type DataKind } from "./workload.js";
import { LM_BLOCK, lmData, lmParameterCount } from "./lm-workload.js";
import { LmPlainRunner, lmEngineRunner } from "./lm-runners.js";

export interface TrainPoint {
  /** `weft`: the data-parallel engine; `plain`: the single-process loop (main thread); `plain-worker`: the same in a worker_thread. */
  engine: "weft" | "plain" | "plain-worker";
  workers: number;
  batch: number;
  hidden: number[];
  bn: boolean;
  data: DataKind;
  seed: number;
  /** The model (default "mlp", the hidden/bn MLP); "cnn": the standard CNN of issue 14 (engine only); "lm": issue 15's char-LM (a sample is a window of 32 tokens). */
  arch?: Arch | "lm";
}

export type TrainRecord = TrainPoint & PointResult & {
  bench: "train"; backend: string; relaxedSimd: boolean; params: number; warmup: number; breakdownSource: string;
  /** samplesPerSec × the window length (the char-LM workload). */
  tokensPerSec?: number;
};

/** Rows of random data for a batch: a few batches' worth, so consecutive steps see different rows. */
export function rowsFor(batch: number): number {
  return Math.max(1024, 4 * batch);
}

/** Builds the runner, measures it, closes it. `beforeTimed` runs after the warm-up (side-by-side starts). */
export async function measureTrainPoint(p: TrainPoint, o: MeasureOptions & { warmup: number }, beforeTimed?: () => Promise<void>): Promise<TrainRecord> {
  const arch = p.arch ?? "mlp";
  if (arch === "lm") throw new Error("the char-LM workload is measureLmPoint's");
  if (arch === "cnn" && p.engine !== "weft") throw new Error(`--arch cnn runs on the engine only (not --${p.engine})`);
  const data = loadData(p.data, rowsFor(p.batch), p.seed);
  const runner: Runner =
    p.engine === "plain" ? new PlainRunner(p.hidden, p.bn, data, p.seed)
    : p.engine === "plain-worker" ? new PlainWorkerRunner(p.hidden, p.bn, data, p.seed)
    : await EngineRunner.create(p.workers, p.hidden, p.bn, data, p.seed, arch, p.batch);
  try {
    const r = await measure(runner, p.batch, o, beforeTimed);
    const params = arch === "cnn" ? CNN_PARAMETERS : parameterCount(p.hidden, p.bn);
    return { bench: "train", ...p, arch, backend: backend(), relaxedSimd: wasmRelaxedSimd(), params, warmup: o.warmup, ...r, breakdownSource: "rank 0, median repeat, ms/step" };
  } finally {
    await runner.close();
  }
}

/** One point of the char-LM workload (`--arch lm`): the record with `tokensPerSec`. */
export async function measureLmPoint(p: TrainPoint, o: MeasureOptions & { warmup: number }, beforeTimed?: () => Promise<void>): Promise<TrainRecord> {
  if (p.engine === "plain-worker") throw new Error("--arch lm: --plain-worker is not implemented for the char-LM workload (use --plain, or the engine)");
  const data = lmData();
  const runner: Runner = p.engine === "weft" ? await lmEngineRunner(p.workers, data, p.seed) : new LmPlainRunner(data, p.seed);
  try {
    const r = await measure(runner, p.batch, o, beforeTimed);
    return {
      bench: "train", arch: "lm", ...p, hidden: [], bn: false, backend: backend(), relaxedSimd: wasmRelaxedSimd(), params: lmParameterCount(data.vocabSize), warmup: o.warmup, ...r,
      tokensPerSec: r.samplesPerSec * LM_BLOCK, breakdownSource: "rank 0, median repeat, ms/step",
    };
  } finally {
    await runner.close();
  }
}

/** `784-256-128-10 (BN)`. */
export function modelName(hidden: readonly number[], bn: boolean): string {
  return `784-${hidden.join("-")}-10${bn ? " BN" : ""}`;
}

/** One readable line. */
export function describeRecord(r: TrainRecord): string {
  const b = r.breakdown;
  const who = r.engine === "plain" ? "plain loop (main thread)" : r.engine === "plain-worker" ? "plain loop (worker thread)" : `weft W=${r.workers}`;
  const model = r.arch === "cnn" ? "standard CNN (conv 32-64, BN, 3136-128-10)" : modelName(r.hidden, r.bn);
  const what = r.arch === "lm" ? `char-LM Transformer, names: ${fmtInt(r.tokensPerSec ?? 0)} tokens/s (${fmtInt(r.samplesPerSec)} windows/s)` : `${model}, ${r.data} data: ${fmtInt(r.samplesPerSec)} samples/s`;
  return `${who} (${r.backend} kernels), batch ${r.batch}, ${what}, ${r.msPerStep.toFixed(2)} ms/step ` +
    `(median of ${r.repeats} × ${r.steps} steps) — compute ${b.compute}, barrier wait ${b.barrierWait}, all-reduce ${b.allReduce}, optimizer ${b.optimizer} ms/step (rank 0)`;
}

/**
 * `--backend js|wasm`: the kernel backend for this process, its worker_threads and the child
 * processes it starts (they read WEFT_BACKEND). Absent: WEFT_BACKEND or the host's default.
 */
export function selectBackend(value: string | true | undefined): void {
  // As `weft train` does (its first step): relaxed SIMD's FMA in gemm on Node 20 too, unless
  // WEFT_RELAXED_SIMD=0; the record's `relaxedSimd` says which kernels ran.
  enableRelaxedSimd();
  if (value === undefined) return;
  if (value !== "js" && value !== "wasm") throw new Error(`--backend must be js or wasm, got ${String(value)}`);
  process.env.WEFT_BACKEND = value;
  setBackend(value as Backend);
}
