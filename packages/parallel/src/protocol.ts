/** What the main thread sends a worker at init (structured-clone data, SharedArrayBuffers by reference). */
import type { StateEntry } from "@weft/layers";
import type { Backend, WasmMemory } from "@weft/tensor";
import type { L1Spec, LossSpec } from "./loss-spec.js";
import type { LayerSpec } from "./model-spec.js";
import type { MemoryLayout } from "./memory.js";

export interface OptimizerSpec {
  type: string;
  config: Record<string, unknown>;
}

export type NonFinitePolicy = "stop" | "skip";

export interface WorkerInit {
  rank: number;
  /** The main thread's kernel backend, so every worker computes with the same kernels. */
  backend: Backend;
  worldSize: number;
  seed: number;
  model: LayerSpec[];
  /** Buffers (and parameters, overwritten by the shared ones) to load before training. */
  state: Record<string, StateEntry>;
  loss: LossSpec;
  l1?: L1Spec;
  optimizer: OptimizerSpec;
  nonFinite: NonFinitePolicy;
  barrierTimeoutMs: number;
  /** Module URL exporting optional `transformBatch(x, rows, features, rng, rank, step)` (e.g. augmentation). */
  hooks?: string;
  control: SharedArrayBuffer;
  /** W slots of float64 for the communicator's all-reduce (SyncBatchNorm statistics). */
  commScratch: SharedArrayBuffer;
  /** Parameters, gradient slots, reduced gradient, optimiser state (and wasm scratch), laid out by `layout`. */
  buffer: SharedArrayBuffer;
  /** The shared WebAssembly.Memory whose buffer is `buffer` (wasm backend), else null. */
  memory: WasmMemory | null;
  layout: MemoryLayout;
  /** Per-rank time breakdown in ms (float64 × 4: compute, wait, reduce, optimizer). */
  timings: SharedArrayBuffer;
}

export interface DataBuffers {
  /** The buffer x lies in at byte `xOffset`: the run's own (dataset given at creation) or one of its own. */
  x: SharedArrayBuffer;
  xOffset: number;
  /** True when x and y lie in the run's buffer, next to the workers' arenas: the batch gather is a copyWithin, no allocation. */
  inRun: boolean;
  yOffset: number;
  features: number;
  /** Int32 class indices, or float32 rows of `targetWidth`. */
  y: SharedArrayBuffer;
  targetKind: "index" | "dense";
  targetWidth: number;
  rows: number;
}

export interface StepsRequest {
  /** Row indices into the dataset (SharedArrayBuffer of int32). */
  indices: SharedArrayBuffer;
  /** [offset, size] into `indices` of each step's batch. */
  batches: Int32Array;
  /** Global step number of the first step (for errors and fault injection). */
  firstStep: number;
  lr?: number;
  train: boolean;
  /** Per-step, per-rank shares of each batch's loss (float64, steps × W), reused across calls. */
  losses: SharedArrayBuffer;
}

export interface StepsResult {
  skipped: number[];
}

export interface EvalResult {
  lossSum: number;
  correct: number;
  rows: number;
}
