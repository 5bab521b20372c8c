/**
 * The main-thread side of data-parallel training: a pool of W worker_threads over shared memory
 * (parameters, W gradient slots, the reduced gradient, optimiser state, data), driven through
 * comlink. W workers give the result of one: the golden `train` cases check it.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Remote } from "comlink";
import type { Sequential, StateEntry } from "@weft/layers";
import { Rng, Tensor, backend, type ArenaStats } from "@weft/tensor";
import { Comlink, nodeEndpoint } from "./comlink.js";
import { AbortedError, CTL, abort, controlWords, progressSlot } from "./control.js";
import { checkLossSpec, type L1Spec, type LossSpec } from "./loss-spec.js";
import { buildModel, type LayerSpec } from "./model-spec.js";
import { allocateMemory, dataBytes, planMemory, views, type MemoryLayout } from "./memory.js";
import { OPTIMIZER_STATE_NAMES } from "./plan.js";
import type { DataBuffers, EvalResult, NonFinitePolicy, OptimizerSpec, StepsRequest, StepsResult, WorkerInit } from "./protocol.js";

type WorkerApi = {
  setup(init: WorkerInit): Promise<void>;
  setData(d: DataBuffers): void;
  runSteps(req: StepsRequest): StepsResult;
  evaluate(indices: SharedArrayBuffer, count: number, batchSize: number): EvalResult;
  getState(): { buffers: Record<string, Float32Array>; optimizerStep: number };
  setState(buffers: Record<string, Float32Array>, optimizerStep: number | null): void;
  arenaStats(): ArenaStats;
};

export interface DataParallelOptions {
  /** The model as data: a list of layers (BatchNorm1d becomes SyncBatchNorm across workers). */
  model: LayerSpec[];
  /** Initial state dict (PyTorch keys); without it the model is initialised from `seed`. */
  state?: Record<string, StateEntry>;
  loss: LossSpec;
  l1?: L1Spec;
  optimizer: OptimizerSpec;
  /** Number of worker_threads (default: the machine's available parallelism). */
  workers?: number;
  seed?: number;
  /** What to do on a non-finite loss: throw (default) or skip the step. */
  nonFinite?: NonFinitePolicy;
  /**
   * A worker that stops responding for this long aborts the run with a {@link WorkerError}
   * naming it (default 30 s): at W ≥ 2, the others waited this long for it at a barrier; at
   * W = 1, where there is no barrier, none of its steps finished in this time.
   */
  barrierTimeoutMs?: number;
  /** Module URL whose `transformBatch(x, rows, features, rng, rank, step)` each worker applies to training batches; `rng` is that worker's generator for that global step. */
  hooks?: string;
  /**
   * Bytes of each worker's step arena, in the run's shared memory (default 32 MiB): the batch,
   * the activations and their gradients and the loss temporaries of one step live there, reused
   * step after step (no garbage), and the wasm kernels work on them in place. A step that needs
   * more takes the rest from the JS heap — correct, only slower; {@link DataParallel.arenaStats}
   * tells. 0 turns the arenas off.
   */
  arenaBytes?: number;
  /**
   * The dataset, placed in the run's shared memory next to the workers' arenas (then each
   * step's batch gather is one `copyWithin` a row, allocating nothing). Same as calling
   * {@link DataParallel.setData} after create, which also accepts any other dataset later (one
   * that does not fit this room gets buffers of its own).
   */
  data?: DataSet;
}

/** A dataset for {@link DataParallel.setData}: x [rows, features] and class indices or dense targets. */
export interface DataSet {
  x: Float32Array;
  features: number;
  y: Int32Array | Float32Array;
  /** Width of a dense target row (omit for class indices in an Int32Array). */
  targetWidth?: number;
}

export interface StepStats {
  /** Each step's batch loss (mean reduction, plus the L1 term if any). */
  losses: Float64Array;
  skipped: number[];
  /** Per-rank milliseconds spent in [compute, waiting at barriers, all-reduce, optimizer]. */
  timings: Float64Array;
}

/**
 * Error from a failed run, naming the worker and the step: one that threw or exited, or
 * (`stalled`) one that stopped responding — stuck, or slower than `barrierTimeoutMs`.
 */
export class WorkerError extends Error {
  constructor(readonly rank: number, readonly step: number, readonly original: string, readonly stalled = false) {
    super(`worker ${rank} ${stalled ? "stopped responding" : "failed"} at step ${step}: ${original}`);
    this.name = "WorkerError";
  }
}

/**
 * Floats of a model's parameters, from its spec alone (nothing allocated: a run too big to
 * build can be refused before it is). Layers it does not know count 0; buildModel names them.
 */
function parameterCount(spec: readonly LayerSpec[]): number {
  let n = 0;
  for (const l of spec) {
    if (l.type === "Linear") n += l.inFeatures * l.outFeatures + (l.bias ?? true ? l.outFeatures : 0);
    else if (l.type === "BatchNorm1d") n += l.affine ?? true ? 2 * l.numFeatures : 0;
    else if (l.type === "LayerNorm") {
      const d = (Array.isArray(l.normalizedShape) ? l.normalizedShape : [l.normalizedShape]).reduce((a: number, b: number) => a * b, 1);
      n += l.elementwiseAffine ?? true ? 2 * d : 0;
    }
  }
  return n;
}

/** A wasm32 memory holds at most 65,536 pages of 64 KiB. */
const WASM_MEMORY_LIMIT_BYTES = 2 ** 32;

/** What {@link DataParallel.planMemory} reports: the run's one shared memory, before anything is allocated. */
export interface MemoryPlan {
  /** Floats of the flat parameters. */
  parameters: number;
  /** Bytes of the run's shared memory (parameters, W gradient slots, the reduced gradient, optimiser state, W arenas and, under wasm, W kernel scratches; the dataset when it fits). */
  totalBytes: number;
  /** The parameter-sized arrays among them: 1 + W + 1 + the optimiser's state arrays. */
  parameterCopies: number;
  /** Names of the optimiser's state arrays (what its checkpoints hold). */
  optimizerState: string[];
  /** Bytes per worker of arena and kernel scratch. */
  perWorkerBytes: number;
  /** Whether the dataset lies in that memory (else it gets buffers of its own, of `dataBytes`). */
  dataInRun: boolean;
  dataBytes: number;
  /** What the backend allows the shared memory to be: 4 GiB under wasm, null (the machine's memory) under js. */
  limitBytes: number | null;
}


/** Rows, target kind and width of a dataset; throws naming `what` when its parts do not agree. */
function checkDataSet(what: string, data: DataSet): { rows: number; dense: boolean; width: number } {
  const rows = data.x.length / data.features;
  if (!Number.isInteger(rows)) throw new Error(`${what}: x has ${data.x.length} values, not a multiple of ${data.features} features`);
  const dense = data.targetWidth !== undefined;
  if (!dense && !(data.y instanceof Int32Array)) throw new Error(`${what}: class-index targets must be an Int32Array (or give targetWidth for dense targets)`);
  const width = data.targetWidth ?? 1;
  if (data.y.length !== rows * width) throw new Error(`${what}: ${rows} rows of x but ${data.y.length / width} rows of targets`);
  return { rows, dense, width };
}

/** The run's memory stays under 2 GiB with the dataset in it (a wasm32 memory can hold 4 GiB; headroom for the rest of the process). */
const MAX_RUN_BYTES = 2 ** 31;

const STALL_HINT = "(stuck, or its steps take longer than that: raise barrierTimeoutMs)";

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1)} GiB`;

export class DataParallel {
  /** The main thread's copy of the model: its parameters are the shared ones (live). */
  readonly model: Sequential;
  readonly worldSize: number;
  /** Shared flat parameters. */
  readonly params: Float32Array;
  /** The all-reduced gradient of the last step. */
  readonly grad: Float32Array;
  /** Optimiser state arrays (shared), by name. */
  readonly optimizerState: Record<string, Float32Array>;
  private readonly control: Int32Array;
  private readonly remotes: Remote<WorkerApi>[];
  private readonly threads: Worker[];
  private losses: Float64Array;
  private readonly timings: Float64Array;
  private stepCount = 0;
  private exitError: Error | null = null;
  private closed = false;
  private dataRows = 0;
  private targetWidth = 1;
  private optimizerType = "";
  private runBuffer!: SharedArrayBuffer;
  private inRun = false;
  /** Calls to the workers in flight (setData must not overwrite the data region under one). */
  private busy = 0;
  private layout!: MemoryLayout;
  private timeoutMs = 30_000;

  private constructor(model: Sequential, worldSize: number, params: Float32Array, grad: Float32Array, optimizerState: Record<string, Float32Array>, control: Int32Array, threads: Worker[], losses: Float64Array, timings: Float64Array) {
    this.model = model;
    this.worldSize = worldSize;
    this.params = params;
    this.grad = grad;
    this.optimizerState = optimizerState;
    this.control = control;
    this.threads = threads;
    this.remotes = threads.map((t) => Comlink.wrap<WorkerApi>(nodeEndpoint(t)));
    this.losses = losses;
    this.timings = timings;
    for (const [rank, t] of threads.entries()) {
      t.on("error", (e) => this.onExit(rank, e.message));
      t.on("exit", (code) => {
        if (!this.closed) this.onExit(rank, `exited unexpectedly with code ${code}`);
      });
    }
  }

  /** Floats of the parameters of a model spec, counted without building it (layers it does not know count 0). */
  static parameterCount(spec: readonly LayerSpec[]): number {
    return parameterCount(spec);
  }

  /**
   * The run's shared memory for a model of `parameters` floats, as {@link create} will lay it
   * out on the current backend (or, with `wasm`, the one named) — to check a run fits before
   * starting it.
   */
  static planMemory(o: { parameters: number; workers: number; optimizer: string; arenaBytes?: number; data?: { rows: number; features: number; targetWidth?: number }; wasm?: boolean }): MemoryPlan {
    const stateNames = OPTIMIZER_STATE_NAMES[o.optimizer];
    if (!stateNames) throw new Error(`optimizer: unknown type ${JSON.stringify(o.optimizer)} (known: ${Object.keys(OPTIMIZER_STATE_NAMES).join(", ")})`);
    const wasm = o.wasm ?? backend() === "wasm";
    const room = o.data ? dataBytes(o.data.rows, o.data.features, o.data.targetWidth ?? 1).total : 0;
    // A dataset too big for one 32-bit memory next to the rest keeps buffers of its own (setData's path).
    const dataInRun = room > 0 && Number.isInteger(room) && planMemory(o.parameters, o.workers, stateNames, wasm, o.arenaBytes, room).totalBytes <= MAX_RUN_BYTES;
    const layout = planMemory(o.parameters, o.workers, stateNames, wasm, o.arenaBytes, dataInRun ? room : 0);
    return {
      parameters: o.parameters,
      totalBytes: layout.totalBytes,
      parameterCopies: 2 + o.workers + stateNames.length,
      optimizerState: [...stateNames],
      perWorkerBytes: layout.arenaBytes + layout.scratchBytes,
      dataInRun,
      dataBytes: room,
      limitBytes: wasm ? WASM_MEMORY_LIMIT_BYTES : null,
    };
  }

  /** Starts W workers, each building the model over the shared parameters. */
  static async create(options: DataParallelOptions): Promise<DataParallel> {
    checkLossSpec(options.loss);
    const worldSize = options.workers ?? availableParallelism();
    if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`workers must be a positive integer, got ${worldSize}`);
    const stateNames = OPTIMIZER_STATE_NAMES[options.optimizer.type];
    if (!stateNames) throw new Error(`optimizer: unknown type ${JSON.stringify(options.optimizer.type)} (known: ${Object.keys(OPTIMIZER_STATE_NAMES).join(", ")})`);
    const seed = options.seed ?? 0;
    const wasm = backend() === "wasm";
    const data = options.data;
    if (data) checkDataSet("data", data); // before any worker exists: a bad dataset costs no pool
    // The memory is checked from the spec, before the model (of that size) is built.
    const plan = DataParallel.planMemory({
      parameters: parameterCount(options.model), workers: worldSize, optimizer: options.optimizer.type, arenaBytes: options.arenaBytes,
      data: data ? { rows: data.x.length / data.features, features: data.features, targetWidth: data.targetWidth } : undefined,
    });
    if (plan.limitBytes !== null && plan.totalBytes > plan.limitBytes) {
      throw new Error(
        `DataParallel.create: the run needs ${gib(plan.totalBytes)} of shared memory (${plan.parameters.toLocaleString("en-US")} parameters × ${plan.parameterCopies} copies ` +
          `+ ${worldSize} workers × ${gib(plan.perWorkerBytes)} of arena and scratch); a wasm memory holds at most ${gib(plan.limitBytes)}: ` +
          "use fewer workers or a smaller model (or WEFT_BACKEND=js)",
      );
    }
    const model = buildModel(options.model, { rng: new Rng(seed) });
    if (options.state) model.loadStateDict(options.state);
    const n = model.parameters().reduce((s, p) => s + p.size, 0);
    // Nothing to train (and backward would fail on the loss's first step with an autograd error).
    if (n === 0) {
      throw new Error(`DataParallel.create: the model (${options.model.map((l) => l.type).join(", ") || "no layers"}) has no parameters to train: add a Linear layer (or a LayerNorm/BatchNorm1d with affine parameters)`);
    }
    const layout = planMemory(n, worldSize, stateNames, wasm, options.arenaBytes, plan.dataInRun ? plan.dataBytes : 0);
    const { buffer, memory } = allocateMemory(layout, wasm);
    const v = views(buffer, layout);
    const params = v.params;
    model.flatten({ params });
    const state: Record<string, StateEntry> = {};
    for (const [k, t] of Object.entries(model.stateDict())) state[k] = { shape: [...t.shape], data: Float32Array.from(t.data) };
    const maxFeatures = options.model.reduce((m, l) => Math.max(m, "numFeatures" in l ? l.numFeatures : 0), 0);
    const commScratch = new SharedArrayBuffer(worldSize * (2 * maxFeatures + 16) * 8);
    const control = new Int32Array(new SharedArrayBuffer(controlWords(worldSize) * 4));
    control[CTL.FAILED_RANK] = -1;
    const timingsSab = new SharedArrayBuffer(8 * 4 * worldSize);
    const threads: Worker[] = [];
    for (let r = 0; r < worldSize; r++) threads.push(new Worker(new URL("./worker.js", import.meta.url)));
    const dp = new DataParallel(model, worldSize, params, worldSize === 1 ? v.grads[0] : v.reduced, v.state, control, threads, new Float64Array(new SharedArrayBuffer(8 * worldSize * 64)), new Float64Array(timingsSab));
    dp.optimizerType = options.optimizer.type;
    dp.timeoutMs = options.barrierTimeoutMs ?? 30_000;
    dp.runBuffer = buffer;
    dp.layout = layout;
    await dp.guard(
      -1,
      dp.remotes.map((w, rank) =>
        w.setup({
          rank, backend: backend(), worldSize, seed, model: options.model, state, loss: options.loss, l1: options.l1, optimizer: options.optimizer,
          nonFinite: options.nonFinite ?? "stop", barrierTimeoutMs: dp.timeoutMs, hooks: options.hooks,
          control: control.buffer as SharedArrayBuffer, commScratch, buffer, memory, layout, timings: timingsSab,
        }),
      ),
    );
    if (data) {
      try {
        await dp.setData(data);
      } catch (e) {
        await dp.close(); // the caller never gets dp: nothing else could end its threads
        throw e;
      }
    }
    return dp;
  }

  private onExit(rank: number, message: string): void {
    if (this.closed || this.exitError) return;
    abort(this.control, rank, this.stepCount + Atomics.load(this.control, CTL.STEPS_DONE));
    this.exitError = new WorkerError(rank, Atomics.load(this.control, CTL.FAILED_STEP), message);
  }

  /**
   * Awaits every worker's call. On a failure (a worker throws, exits or times out) it waits
   * briefly for the first failing worker's own message, terminates the pool and throws one
   * WorkerError naming that worker and step — never waiting on a worker that cannot answer.
   */
  private async guard<T>(step: number, calls: Promise<T>[], watchSteps = false): Promise<T[]> {
    this.busy++;
    try {
      return await this.settle(step, calls, watchSteps);
    } finally {
      this.busy--;
    }
  }

  /**
   * The stall check of a W = 1 run, which has no barrier to time out at: called every poll
   * during runSteps, it ends the call when the worker has begun no new step for the timeout.
   */
  private stallWatch(): () => boolean {
    const slot = progressSlot(0);
    let seen = Atomics.load(this.control, slot);
    let since = Date.now();
    return () => {
      const now = Atomics.load(this.control, slot);
      if (now !== seen) [seen, since] = [now, Date.now()];
      if (Date.now() - since <= this.timeoutMs || this.exitError) return false;
      const step = Math.max(0, now - 1);
      abort(this.control, 0, step, true);
      this.exitError = new WorkerError(0, step, `no step finished within ${this.timeoutMs} ms ${STALL_HINT}`, true);
      return true;
    };
  }

  private async settle<T>(step: number, calls: Promise<T>[], watchSteps: boolean): Promise<T[]> {
    const errors = new Map<number, unknown>();
    let wake: () => void = () => {};
    const failed = new Promise<void>((resolve) => (wake = resolve));
    calls.forEach((p, rank) =>
      p.catch((reason) => {
        errors.set(rank, reason);
        wake();
      }),
    );
    const stalled = watchSteps && this.worldSize === 1 ? this.stallWatch() : () => false;
    const poll = setInterval(() => {
      if (stalled() || this.exitError || this.closed) wake();
    }, 20);
    try {
      const all = Promise.all(calls);
      all.catch(() => {});
      const done = await Promise.race([all.then((v) => ({ v })), failed.then(() => null)]);
      if (done) return done.v;
      if (this.closed && errors.size === 0 && !this.exitError) throw new Error("DataParallel: the pool was closed while a call was in flight");
      if (this.exitError) throw this.exitError;
      // A worker that stopped responding was named by one that timed out waiting for it.
      if (Atomics.load(this.control, CTL.STALLED) === 1) {
        const [rank, at] = [Atomics.load(this.control, CTL.FAILED_RANK), Atomics.load(this.control, CTL.FAILED_STEP)];
        throw new WorkerError(rank, at, `it did not reach the barrier within ${this.timeoutMs} ms ${STALL_HINT}`, true);
      }
      // Let the first failing worker's own error arrive (it set FAILED_RANK before waking the others).
      const deadline = Date.now() + 1000;
      while (!this.exitError && !errors.has(Atomics.load(this.control, CTL.FAILED_RANK)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      if (this.exitError) throw this.exitError;
      const failedRank = Atomics.load(this.control, CTL.FAILED_RANK);
      const rank = errors.has(failedRank) ? failedRank : [...errors.keys()][0];
      const reason = errors.get(rank);
      const where = rank === failedRank ? Atomics.load(this.control, CTL.FAILED_STEP) : step;
      throw new WorkerError(rank, where, reason instanceof Error ? reason.message : String(reason));
    } catch (e) {
      await this.close();
      throw e;
    } finally {
      clearInterval(poll);
    }
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error("DataParallel: the pool is closed (after close() or a worker failure); create a new one");
  }

  /** Throws unless every index addresses a row of the current dataset (checked here, so a mistake never costs the pool). */
  private checkIndices(what: string, indices: Int32Array): void {
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i];
      if (!(r >= 0 && r < this.dataRows)) throw new Error(`${what}: index ${i} is row ${r}, outside the ${this.dataRows} rows of the data (setData first)`);
    }
  }

  /** Copies a dataset into shared memory once; steps then address rows by index. */
  async setData(data: DataSet): Promise<void> {
    this.ensureOpen();
    // The run's data region may be the one a running step gathers from: no overwriting under it.
    if (this.busy > 0) throw new Error("setData: a runSteps or evaluate call is still in flight; await it first");
    const { rows, dense, width } = checkDataSet("setData", data);
    // In the run's memory when it has the room (a dataset given to create), else in buffers of its own.
    const need = dataBytes(rows, data.features, width);
    const inRun = need.total <= this.layout.dataBytes;
    const x = inRun ? this.runBuffer : new SharedArrayBuffer(Math.max(4, data.x.length * 4));
    const y = inRun ? this.runBuffer : new SharedArrayBuffer(Math.max(4, data.y.length * 4));
    const xOffset = inRun ? this.layout.data : 0;
    const yOffset = inRun ? this.layout.data + need.x : 0;
    new Float32Array(x, xOffset, data.x.length).set(data.x);
    if (dense) new Float32Array(y, yOffset, data.y.length).set(data.y);
    else new Int32Array(y, yOffset, data.y.length).set(data.y);
    this.dataRows = rows;
    this.targetWidth = width;
    this.inRun = inRun;
    const buffers: DataBuffers = { x, xOffset, inRun, y, yOffset, features: data.features, targetKind: dense ? "dense" : "index", targetWidth: width, rows };
    await this.guard(this.stepCount, this.remotes.map((w) => w.setData(buffers)));
  }

  /**
   * Runs consecutive training steps inside the workers without any message per step. Batch k is
   * rows `indices[batches[k][0] … + batches[k][1])` of the data. Returns each batch's mean loss.
   */
  async runSteps(indices: Int32Array, batches: [number, number][], options: { lr?: number; onProgress?: (stepsDone: number) => void } = {}): Promise<StepStats> {
    this.ensureOpen();
    // Two calls would take the same step numbers and share the loss buffer (and the workers' generators).
    if (this.busy > 0) throw new Error("runSteps: another call to the workers (runSteps, evaluate, setData, a state read) is still in flight; await it first");
    const W = this.worldSize;
    for (const [o, s] of batches) {
      if (!Number.isInteger(o) || !Number.isInteger(s) || s < 1 || o < 0 || o + s > indices.length) {
        throw new Error(`runSteps: batch [${o}, ${o + s}) must be a non-empty range of whole rows inside the ${indices.length} indices`);
      }
    }
    this.checkIndices("runSteps", indices);
    if (this.losses.length < batches.length * W) this.losses = new Float64Array(new SharedArrayBuffer(8 * W * batches.length));
    const sharedIdx = new SharedArrayBuffer(Math.max(4, indices.length * 4));
    new Int32Array(sharedIdx).set(indices);
    const flat = new Int32Array(batches.length * 2);
    batches.forEach(([o, s], k) => flat.set([o, s], 2 * k));
    this.timings.fill(0);
    Atomics.store(this.control, CTL.STEPS_DONE, 0);
    const first = this.stepCount;
    const progress = options.onProgress
      ? setInterval(() => options.onProgress!(Atomics.load(this.control, CTL.STEPS_DONE)), 100)
      : null;
    let results: StepsResult[];
    try {
      results = await this.guard(first, this.remotes.map((w) => w.runSteps({ indices: sharedIdx, batches: flat, firstStep: first, lr: options.lr, train: true, losses: this.losses.buffer as SharedArrayBuffer })), true);
    } finally {
      if (progress) clearInterval(progress);
    }
    this.stepCount += batches.length;
    const losses = new Float64Array(batches.length);
    batches.forEach((_, k) => {
      let s = 0; // the ranks' shares of the batch's loss, added in rank order
      for (let r = 0; r < W; r++) s += this.losses[k * W + r];
      losses[k] = s;
    });
    options.onProgress?.(batches.length);
    return { losses, skipped: results[0].skipped, timings: Float64Array.from(this.timings) };
  }

  /** Mean loss and accuracy (class-index targets) of the given rows, in eval mode, split over the workers. */
  async evaluate(indices: Int32Array, batchSize = 1024): Promise<{ loss: number; accuracy: number }> {
    this.ensureOpen();
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`evaluate: batchSize must be a positive integer, got ${batchSize}`);
    if (indices.length === 0) throw new Error("evaluate: no rows given");
    this.checkIndices("evaluate", indices);
    const sharedIdx = new SharedArrayBuffer(Math.max(4, indices.length * 4));
    new Int32Array(sharedIdx).set(indices);
    const parts = await this.guard(this.stepCount, this.remotes.map((w) => w.evaluate(sharedIdx, indices.length, batchSize)));
    const lossSum = parts.reduce((s, p) => s + p.lossSum, 0);
    const correct = parts.reduce((s, p) => s + p.correct, 0);
    // The mean reduction: over every target element (dense targets have targetWidth per row), as in training.
    return { loss: lossSum / (indices.length * this.targetWidth), accuracy: correct / indices.length };
  }

  /** Rows of the current dataset. */
  get rows(): number {
    return this.dataRows;
  }

  /** Whether the current dataset lies in the run's shared memory (see the `data` option), where the batch gather allocates nothing. */
  get dataInRunMemory(): boolean {
    return this.inRun;
  }

  /** Each worker's step-arena statistics (bytes of the largest step, heap fallbacks), by rank. */
  async arenaStats(): Promise<ArenaStats[]> {
    return this.guard(this.stepCount, this.remotes.map((w) => w.arenaStats()));
  }

  /** The model's state dict (PyTorch keys), buffers fetched from worker 0. Copies. */
  async stateDict(): Promise<Record<string, Tensor>> {
    this.ensureOpen();
    const [{ buffers }] = await this.guard(this.stepCount, [this.remotes[0].getState()]);
    const out: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(this.model.stateDict())) {
      const data = buffers[k] ?? Float32Array.from(t.data);
      if (buffers[k]) t.data.set(buffers[k]); // keep the main copy's buffers current
      out[k] = new Tensor(Float32Array.from(data), t.shape);
    }
    return out;
  }

  /** Every worker's buffers (running statistics), to check they agree. Copies. */
  async workerBuffers(): Promise<Record<string, Float32Array>[]> {
    this.ensureOpen();
    const states = await this.guard(this.stepCount, this.remotes.map((w) => w.getState()));
    return states.map((s) => s.buffers);
  }

  /** The optimiser's step count and state arrays (copies), for checkpoints. */
  async optimizerStateDict(): Promise<{ type: string; step: number; state: Record<string, Float32Array> }> {
    this.ensureOpen();
    const [{ optimizerStep }] = await this.guard(this.stepCount, [this.remotes[0].getState()]);
    const state: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(this.optimizerState)) state[k] = Float32Array.from(v);
    return { type: this.optimizerType, step: optimizerStep, state };
  }

  /** Restores model buffers, parameters and optimiser state saved by stateDict/optimizerStateDict. */
  async loadState(model: Record<string, StateEntry>, optimizer?: { step: number; state: Record<string, ArrayLike<number>> }, stepCount?: number): Promise<void> {
    this.ensureOpen();
    // Validate everything before changing anything: a bad checkpoint leaves the run as it was.
    if (optimizer) {
      for (const [k, v] of Object.entries(optimizer.state)) {
        const dst = this.optimizerState[k];
        if (!dst || dst.length !== v.length) throw new Error(`loadState: optimizer state ${k} does not fit this model/optimizer`);
      }
      // A missing array would leave this run's (zeros) in its place: a silently different optimiser.
      const missing = Object.keys(this.optimizerState).filter((k) => !Object.hasOwn(optimizer.state, k));
      if (missing.length > 0) throw new Error(`loadState: optimizer state lacks ${missing.join(", ")} (a ${this.optimizerType} checkpoint holds ${Object.keys(this.optimizerState).join(", ")})`);
      if (!Number.isInteger(optimizer.step) || optimizer.step < 0) throw new Error(`loadState: optimizer step must be a non-negative integer, got ${optimizer.step}`);
    }
    this.model.loadStateDict(model); // strict: throws on any missing, unexpected or mis-shaped key before copying
    const buffers: Record<string, Float32Array> = {};
    for (const [k, t] of this.model.namedBuffers()) buffers[k] = Float32Array.from(t.data);
    if (optimizer) for (const [k, v] of Object.entries(optimizer.state)) this.optimizerState[k].set(v);
    // Without optimiser state the workers keep their optimiser as it is (step and moments together).
    await this.guard(this.stepCount, this.remotes.map((w) => w.setState(buffers, optimizer?.step ?? null)));
    if (stepCount !== undefined) this.stepCount = stepCount;
  }

  /** Global steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Terminates the workers. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.remotes) r[Comlink.releaseProxy]();
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}

export { AbortedError };
