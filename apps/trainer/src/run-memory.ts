/**
 * The memory a run will take, computed from its options and the data's shape before anything
 * of that size is allocated, and checked against two limits: the 4 GiB a wasm memory holds
 * (the wasm backend keeps parameters, gradients, optimiser state and each worker's arena in one)
 * and this machine's memory. A run over either is refused with exit 2 — before the run
 * directory is created — naming the limit and a value of one flag that fits.
 *
 * What is counted (float32 = 4 bytes; P = parameters, W = workers, r = ⌈batch / W⌉ rows):
 * - the shared run memory, as the engine lays it out (DataParallel.planMemory): P × (1 + W + 1 +
 *   the optimiser's state arrays), W × (32 MiB arena + 16 MiB wasm scratch), the dataset;
 * - on the JS heap, the model's copies made while the pool starts: P × (2 + 2W) (the main
 *   thread's model and the state sent to the workers; each worker's clone and its own model
 *   before it moves onto the shared parameters) — a bound, as they need not all be alive at once;
 * - each worker's step beyond its arena: r × Σ (values kept per row by each layer: out and its
 *   gradient; norms and dropout keep a few more) — an estimate, not a measurement;
 * - the dataset as loaded (x and y).
 */
import { totalmem } from "node:os";
import { DataParallel, type LayerSpec } from "@weft/parallel";
import { backend } from "@weft/tensor";
import type { TrainOptions } from "./config.js";
import { UsageError } from "./errors.js";
import { modelSpec } from "./model.js";
import { plural } from "./plural.js";
import { optimizerSpec } from "./run-config.js";

export interface MemoryLimits {
  /** The shared memory's ceiling: 4 GiB under the wasm backend, null under js. */
  sharedBytes: number | null;
  /** This machine's memory (a cgroup's limit, if lower). */
  machineBytes: number;
}

/** The limits on this machine and backend. */
export function memoryLimits(): MemoryLimits {
  const total = totalmem();
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.() ?? 0;
  return {
    sharedBytes: backend() === "wasm" ? 2 ** 32 : null,
    machineBytes: constrained > 0 && constrained < total ? constrained : total,
  };
}

/** The data as the check needs it: its shape, and the bytes it already holds as loaded. */
export interface DataShape {
  features: number;
  classes: number;
  /** Rows the run uses (train + val + test). */
  rows: number;
  /** Bytes of the loaded dataset (x and y of every row in the file). */
  loadedBytes: number;
  /** A model file's parameter count (its activations are not estimated: the check then counts the data and the model's copies only). */
  parameters?: number;
}

export interface RunMemory {
  parameters: number;
  /** The engine's one shared memory. */
  sharedBytes: number;
  /** Everything: shared memory, heap copies of the model, activations past the arenas, the loaded data. */
  totalBytes: number;
  parameterCopies: number;
  perWorkerBytes: number;
}

/** Values kept per row and output unit by a layer in a training step (forward output and its gradient, plus saved statistics). */
const KEPT_PER_UNIT: Partial<Record<LayerSpec["type"], number>> = {
  Linear: 2, BatchNorm1d: 4, LayerNorm: 4, ReLU: 2, GELU: 3, Tanh: 2, Sigmoid: 2, LeakyReLU: 2, Dropout: 3,
  // The conv family (counted per unit of the width below, which follows Linear only: an estimate for CNNs).
  Conv1d: 2, Conv2d: 2, BatchNorm2d: 4, MaxPool2d: 3, AvgPool2d: 2, AdaptiveAvgPool2d: 2, Flatten: 0, Unflatten: 0, Dropout2d: 3,
};
const ARENA_BYTES = 32 << 20; // the engine's default step arena

function widthOf(l: LayerSpec, width: number): number {
  if (l.type === "Linear") return l.outFeatures;
  return width;
}

/** The memory of a run with these options (see the module comment for what is counted). */
export function runMemory(o: TrainOptions, d: DataShape, wasm: boolean): RunMemory {
  const spec = d.parameters === undefined ? modelSpec(o, d.features, d.classes) : [];
  const parameters = d.parameters ?? DataParallel.parameterCount(spec);
  const plan = DataParallel.planMemory({ parameters, workers: o.workers, optimizer: optimizerSpec(o).type, data: { rows: d.rows, features: d.features }, wasm });
  const rows = Math.ceil(o.batchSize / o.workers);
  let perRow = d.features + 3 * d.classes; // the gathered batch; the loss's softmax, its gradient, the targets
  let width = d.features;
  for (const l of spec) {
    width = widthOf(l, width);
    perRow += (KEPT_PER_UNIT[l.type] ?? 4) * width; // a layer type not listed (the sequence family): 4, as the norms
  }
  const evalRows = Math.min(1024, Math.ceil(d.rows / o.workers)); // evaluation: batches of 1,024, no gradients
  const stepBytes = 4 * Math.max(rows * perRow, (evalRows * perRow) / 2);
  const heapBytes = 4 * parameters * (2 + 2 * o.workers) + o.workers * Math.max(0, stepBytes - ARENA_BYTES);
  const dataBytes = d.loadedBytes + (plan.dataInRun ? 0 : plan.dataBytes);
  return { parameters, sharedBytes: plan.totalBytes, totalBytes: plan.totalBytes + heapBytes + dataBytes, parameterCopies: plan.parameterCopies, perWorkerBytes: plan.perWorkerBytes };
}

/** Two decimals below 10 GiB, so a run just over 4 GiB does not read as "4.0 GiB, over 4.0 GiB". */
const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 2 : 1)} GiB`;

function fits(o: TrainOptions, d: DataShape, limits: MemoryLimits): boolean {
  const m = runMemory(o, d, limits.sharedBytes !== null);
  return (limits.sharedBytes === null || m.sharedBytes <= limits.sharedBytes) && m.totalBytes <= limits.machineBytes;
}

/** The largest integer in [lo, hi] for which `ok` holds (ok is monotone: true up to some point), or null. */
function largest(lo: number, hi: number, ok: (v: number) => boolean): number | null {
  if (hi < lo || !ok(lo)) return null;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** One flag at a time, the largest value below the current one that fits (or none). */
function suggestions(o: TrainOptions, d: DataShape, limits: MemoryLimits): string[] {
  const out: string[] = [];
  const w = largest(1, o.workers - 1, (v) => fits({ ...o, workers: v }, d, limits));
  if (w !== null) out.push(`--workers ${w}`);
  const minBatch = o.norm === "batch" ? 2 : 1;
  const b = largest(minBatch, o.batchSize - 1, (v) => fits({ ...o, batchSize: v }, d, limits));
  if (b !== null) out.push(`--batch-size ${b}`);
  if (o.hidden.length > 0 && d.parameters === undefined) {
    // Every width scaled by the same factor k/1024 (at least 1).
    const scaled = (k: number) => o.hidden.map((h) => Math.max(1, Math.floor((h * k) / 1024)));
    const k = largest(1, 1023, (v) => fits({ ...o, hidden: scaled(v) }, d, limits));
    if (k !== null) out.push(`--hidden ${scaled(k).join(",")}`);
  }
  return out;
}

/**
 * Throws a {@link UsageError} when the run does not fit `limits`: which limit, what the run
 * needs and why, and the values of single flags that fit. `savedIn`: the config.json the
 * options were read from (--resume), which cannot change them, so no flag is suggested.
 */
export function checkRunMemory(o: TrainOptions, d: DataShape, limits: MemoryLimits = memoryLimits(), savedIn?: string): void {
  const wasm = limits.sharedBytes !== null;
  const m = runMemory(o, d, wasm);
  const what = `${m.parameters.toLocaleString("en-US")} parameters × ${m.parameterCopies} copies + ${plural(o.workers, "worker")} × ${gib(m.perWorkerBytes)} of arena${wasm ? " and scratch" : ""}`;
  let problem: string;
  if (wasm && m.sharedBytes > limits.sharedBytes!) {
    problem = `the run needs ${gib(m.sharedBytes)} of shared memory (${what}), over the ${gib(limits.sharedBytes!)} a wasm memory holds`;
  } else if (m.totalBytes > limits.machineBytes) {
    problem = `the run needs about ${gib(m.totalBytes)} of memory (${gib(m.sharedBytes)} shared: ${what}; the rest the model's copies while the workers start, each step's activations and the data), more than this machine's ${gib(limits.machineBytes)}`;
  } else {
    return;
  }
  if (savedIn) throw new UsageError(`${savedIn}: ${problem}: the options saved there need a machine with more memory${wasm ? " (or WEFT_BACKEND=js)" : ""}`);
  const fix = suggestions(o, d, limits);
  if (wasm && fits(o, d, { ...limits, sharedBytes: null })) fix.push("WEFT_BACKEND=js (no 4 GiB limit)");
  throw new UsageError(`${problem}. ${fix.length > 0 ? `Any one of these fits: ${fix.join("; ")}` : "No smaller --workers, --batch-size or --hidden alone fits: use a smaller model or less data"}`);
}
