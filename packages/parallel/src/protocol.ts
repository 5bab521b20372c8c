/** What the main thread sends a worker (structured-clone data, SharedArrayBuffers by reference). */
import type { StateEntry } from "@weft/layers";
import type { Backend, WasmMemory } from "@weft/tensor";
import type { ClipSpec } from "./engine.js";
import type { L1Spec, LossSpec } from "./loss-spec.js";
import type { ModelSource } from "./model-factory.js";
import type { MemoryLayout } from "./memory.js";

export interface OptimizerSpec {
  type: string;
  config: Record<string, unknown>;
}

/**
 * A parameter group, as PyTorch's `param_groups` entries: the parameters by their state-dict
 * names, and the optimiser options that differ for them (`lr`, `weightDecay`, …). Parameters in
 * no group form the default group, with the optimiser's own config.
 */
export interface ParamGroup {
  params: string[];
  [option: string]: unknown;
}

export type NonFinitePolicy = "stop" | "skip";

/** What a worker's createModel(ctx) gets, besides its rng and rank. */
export interface ModelContextData {
  inputShape: number[];
  numClasses?: number;
  options?: unknown;
}

export interface WorkerInit {
  rank: number;
  /** The main thread's kernel backend, so every worker computes with the same kernels. */
  backend: Backend;
  worldSize: number;
  seed: number;
  model: ModelSource;
  context: ModelContextData;
  /** Names and sizes of the parameters of the main thread's build, in order: every worker's build must match. */
  paramLayout: { name: string; size: number }[];
  /** Rank 0 only: the state dict of the main thread's build (its buffers are broadcast to the others). */
  state: Record<string, StateEntry> | null;
  /** Whether BatchNorms become SyncBatchNorm over the run's communicator (W > 1). */
  syncBatchNorm: boolean;
  /** The built-in loss, or null: the model file's `loss`, else cross-entropy / MSE by target kind. */
  loss: LossSpec | null;
  l1?: L1Spec;
  optimizer: OptimizerSpec;
  paramGroups: ParamGroup[];
  accumulationSteps: number;
  clip: ClipSpec | null;
  nonFinite: NonFinitePolicy;
  barrierTimeoutMs: number;
  communicator?: CommunicatorSpec;
  /** Module URL exporting optional `transformBatch(x, rows, features, rng, rank, step)` (e.g. augmentation). */
  hooks?: string;
  control: SharedArrayBuffer;
  /** W float64 slots for the communicator's all-reduce and broadcast (calls of any length go in chunks). */
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
  xKind: "float32" | "int32";
  /** One sample's shape (`[features]`, `[C, H, W]`, `[T]`). */
  sampleShape: number[];
  /** True when x and y lie in the run's buffer, next to the workers' arenas: the batch gather is a copyWithin, no allocation. */
  inRun: boolean;
  y: SharedArrayBuffer;
  yOffset: number;
  /** Int32 class indices, or float32 values. */
  targetKind: "index" | "dense";
  /** One sample's target shape (`[]`, `[T]`, `[width]`). */
  targetShape: number[];
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
}

export interface StepsResult {
  losses: Float64Array;
  skipped: number[];
  gradNorms: number[];
}

/** An evaluation's totals over every rank (each rank returns the same). */
export interface EvalResult {
  /** The loss summed over the target elements. */
  lossSum: number;
  correct: number;
  rows: number;
  /** Target elements (rows × elements per sample). */
  elements: number;
}

/**
 * A communicator in place of the run's SharedCommunicator — across hosts, say: a module URL
 * exporting `createCommunicator({ local, options })`, which gets this worker's
 * SharedCommunicator (the host's W threads) and returns the EngineCommunicator the engine and
 * SyncBatchNorm use. Its `rank` and `worldSize` are global: batches split over all of them.
 */
export interface CommunicatorSpec {
  module: string;
  options?: unknown;
}
