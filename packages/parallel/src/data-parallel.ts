/**
 * The main-thread side of data-parallel training, as PyTorch's DistributedDataParallel: any
 * model (a layer-spec list, or a model file exporting `createModel(ctx)`), built once and
 * broadcast; a pool of W worker_threads (the launcher) over one shared memory (parameters, W
 * gradient slots, the reduced gradient, optimiser state, data), each running the engine's step
 * loop over a SharedCommunicator. W workers give the result of one: the golden `train` cases
 * check it.
 */
import { availableParallelism } from "node:os";
import type { Module, StateEntry } from "@weft/layers";
import { Rng, Tensor, backend, noGrad, type ArenaStats, type TensorData } from "@weft/tensor";
import { AbortedError, CTL } from "./control.js";
import { describeData, type DataSet, type DataShape } from "./data.js";
import type { ClipSpec } from "./engine.js";
import { ThreadLauncher, WorkerError } from "./launcher.js";
import { checkLossSpec, lossSum, targetTensor, type L1Spec, type LossSpec, type Targets } from "./loss-spec.js";
import { checkLossValue, loadModelFactory, modelSource, type ModelFactory } from "./model-factory.js";
import { checkSpec, type LayerSpec } from "./model-spec.js";
import { CONV_LAYERS, convParameterCount, type ConvLayerSpec } from "./layer-specs/conv.js";
import { allocateMemory, dataBytes, planMemory, planRun, views, type MemoryLayout, type MemoryPlan } from "./memory.js";
import { OPTIMIZER_STATE_NAMES } from "./plan.js";
import type { CommunicatorSpec, DataBuffers, EvalResult, NonFinitePolicy, OptimizerSpec, ParamGroup, StepsResult, StepsRequest, WorkerInit } from "./protocol.js";

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
  /**
   * The model: a list of layer specs (`[{type: "Linear", inFeatures: 784, outFeatures: 256}, …]`),
   * or the path (relative to the working directory) or URL of an ES module exporting
   * `createModel(ctx)` — `ctx` is `{ rng, inputShape, numClasses?, rank, worldSize, options? }` —
   * that returns any Module tree, and optionally `loss(output, target)` returning the batch's MEAN
   * loss as a scalar Tensor. Every worker builds it; the parameters and buffers of one build are
   * broadcast, so all start from the same state.
   */
  model: LayerSpec[] | string | URL;
  /** Passed to createModel as `ctx.options` (structured-clone data). */
  modelOptions?: unknown;
  /** One sample's shape for createModel's `ctx.inputShape` (default: the dataset's, when given at create). */
  inputShape?: number[];
  /** `ctx.numClasses` (default: 1 + the largest class index of a dataset given at create). */
  numClasses?: number;
  /** Initial state dict (PyTorch keys); without it the model is initialised from `seed`. */
  state?: Record<string, StateEntry>;
  /**
   * The loss (mean reduction). Default: the model file's `loss` export, else cross-entropy for
   * class-index targets and MSE for float targets.
   */
  loss?: LossSpec;
  l1?: L1Spec;
  optimizer: OptimizerSpec;
  /**
   * PyTorch's parameter groups: `[{ params: ["0.bias", …], weightDecay: 0 }, …]`, parameters by
   * state-dict name, with the optimiser options that differ for them. Parameters in no group
   * keep the optimiser's config. A call's `lr` scales every group's lr by the same factor.
   */
  paramGroups?: ParamGroup[];
  /** Micro-batches per optimiser step (default 1): k consecutive batches of a runSteps call, one all-reduce, the gradient of their k·B rows' mean. */
  accumulationSteps?: number;
  /** clip_grad_norm_ of the all-reduced gradient before each optimiser step: a max norm, or `{ maxNorm, normType }`. StepStats.gradNorms has the norms before clipping. */
  clipGradNorm?: number | ClipSpec;
  /** BatchNorms anywhere in the model become SyncBatchNorm across the workers (convertSyncBatchNorm); default true. */
  syncBatchNorm?: boolean;
  /**
   * A communicator composed over each worker's SharedCommunicator (e.g. @weft/mpi's across
   * hosts): `{ module, options? }`, module exporting `createCommunicator({ local, options })`.
   * Its global rank and world size split the batches; `workers` stays this process's threads.
   */
  communicator?: CommunicatorSpec;
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

export type { DataSet };

export interface StepStats {
  /** Each step's batch loss (mean reduction, plus the L1 term if any). */
  losses: Float64Array;
  skipped: number[];
  /** With clipGradNorm: each optimiser step's total gradient norm before clipping. */
  gradNorms: number[];
  /** Per-rank milliseconds spent in [compute, waiting at barriers, all-reduce, optimizer]. */
  timings: Float64Array;
}

export { WorkerError };

/**
 * Floats of a model's parameters, from its spec alone (nothing allocated: a run too big to
 * build can be refused before it is); the spec is checked first (unknown types, missing options).
 */
function parameterCount(spec: readonly LayerSpec[]): number {
  checkSpec(spec);
  let n = 0;
  for (const l of spec) {
    if (l.type === "Linear") n += l.inFeatures * l.outFeatures + (l.bias ?? true ? l.outFeatures : 0);
    else if (l.type === "BatchNorm1d") n += l.affine ?? true ? 2 * l.numFeatures : 0;
    else if (Object.hasOwn(CONV_LAYERS, l.type)) n += convParameterCount(l as ConvLayerSpec);
    else if (l.type === "LayerNorm") {
      const d = (Array.isArray(l.normalizedShape) ? l.normalizedShape : [l.normalizedShape]).reduce((a: number, b: number) => a * b, 1);
      n += l.elementwiseAffine ?? true ? 2 * d : 0;
    }
  }
  return n;
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1)} GiB`;

const isPositiveInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 1;

/** The options that need no model, checked before anything is built or started. */
function checkOptions(o: DataParallelOptions): { worldSize: number; stateNames: string[]; accumulationSteps: number; clip: ClipSpec | null } {
  if (o.loss !== undefined) checkLossSpec(o.loss);
  const worldSize = o.workers ?? availableParallelism();
  if (!isPositiveInt(worldSize)) throw new Error(`workers must be a positive integer, got ${worldSize}`);
  const stateNames = OPTIMIZER_STATE_NAMES[o.optimizer.type];
  if (!stateNames) throw new Error(`optimizer: unknown type ${JSON.stringify(o.optimizer.type)} (known: ${Object.keys(OPTIMIZER_STATE_NAMES).join(", ")})`);
  const accumulationSteps = o.accumulationSteps ?? 1;
  if (!isPositiveInt(accumulationSteps)) throw new Error(`accumulationSteps must be a positive integer, got ${o.accumulationSteps}`);
  let clip: ClipSpec | null = null;
  if (o.clipGradNorm !== undefined) {
    clip = typeof o.clipGradNorm === "number" ? { maxNorm: o.clipGradNorm } : o.clipGradNorm;
    if (!(typeof clip.maxNorm === "number" && clip.maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be a number ≥ 0, got ${clip.maxNorm}`);
    const p = clip.normType ?? 2;
    if (!(typeof p === "number" && p > 0)) throw new Error(`clipGradNorm: normType must be a number > 0 or Infinity, got ${p}`);
  }
  return { worldSize, stateNames, accumulationSteps, clip };
}

/** Parameter groups against the model's parameter names: each a list of names it has, none in two groups. */
function checkParamGroups(groups: readonly ParamGroup[], names: readonly string[]): void {
  if (!Array.isArray(groups)) throw new Error("paramGroups must be a list of { params: [names], ...options }");
  const known = new Set(names);
  const seen = new Map<string, number>();
  groups.forEach((g, i) => {
    if (g === null || typeof g !== "object" || !Array.isArray(g.params)) throw new Error(`paramGroups[${i}]: expected { params: [parameter names], ...options }`);
    for (const name of g.params) {
      if (!known.has(name)) throw new Error(`paramGroups[${i}]: the model has no parameter ${JSON.stringify(name)} (it has: ${names.join(", ")})`);
      const before = seen.get(name);
      if (before !== undefined) throw new Error(`paramGroups[${i}]: parameter ${JSON.stringify(name)} is also in paramGroups[${before}]`);
      seen.set(name, i);
    }
  });
}

const formatShape = (s: readonly number[]): string => `[${s.join(", ")}]`;

/**
 * A forward of two zero samples (eval mode, no grad) and the loss against zero targets: a model
 * whose output does not fit the data is an error here, before any worker starts.
 */
/**
 * Runs the model and its loss on two zero samples, so a model whose output does not fit the
 * targets fails here, before any worker starts. Class-index targets are the last class
 * (`numClasses - 1`), so an output with too few classes fails too.
 */
function checkModelOutput(model: Module, factory: ModelFactory, loss: LossSpec | undefined, shape: DataShape, numClasses: number | undefined): void {
  const rows = 2;
  const x = new Tensor<TensorData>(shape.xKind === "int32" ? new Int32Array(rows * shape.sampleSize) : new Float32Array(rows * shape.sampleSize), [rows, ...shape.sampleShape]);
  const targets: Targets = shape.targetKind === "index"
    ? { kind: "index", data: new Int32Array(rows * shape.targetSize).fill(Math.max(0, (numClasses ?? 1) - 1)), rows, sampleShape: shape.targetShape }
    : { kind: "dense", data: new Float32Array(rows * shape.targetSize), rows, sampleShape: shape.targetShape };
  const was = model.training;
  model.eval();
  try {
    noGrad(() => {
      let out: unknown;
      try {
        out = model.forward(x as Tensor); // int32 token ids too: Module.forward is typed for float input
      } catch (e) {
        throw new Error(`${factory.describe}: the model's forward failed on input ${formatShape(x.shape)} (${shape.xKind}): ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!(out instanceof Tensor)) throw new Error(`${factory.describe}: the model's forward returned ${out === null ? "null" : typeof out}, not a Tensor`);
      const y = formatShape([rows, ...shape.targetShape]);
      try {
        if (factory.loss && !loss) checkLossValue(`${factory.describe}`, factory.loss(out, targetTensor(targets)));
        else lossSum(loss ?? { type: shape.targetKind === "index" ? "crossEntropyLoss" : "mseLoss" }, out, targets);
      } catch (e) {
        throw new Error(`${factory.describe}: the model's output ${formatShape(out.shape)} for input ${formatShape(x.shape)} does not fit targets ${y} (${shape.targetKind === "index" ? "class indices" : "float"}): ${e instanceof Error ? e.message : String(e)}`);
      }
    });
  } finally {
    model.train(was);
  }
}

export class DataParallel {
  /** The main thread's copy of the model: its parameters are the shared ones (live). */
  readonly model: Module;
  readonly worldSize: number;
  /** Shared flat parameters. */
  readonly params: Float32Array;
  /** The all-reduced gradient of the last step. */
  readonly grad: Float32Array;
  /** Optimiser state arrays (shared), by name. */
  readonly optimizerState: Record<string, Float32Array>;
  private readonly pool: ThreadLauncher<WorkerApi>;
  private readonly timings: Float64Array;
  private stepCount = 0;
  private dataRows = 0;
  private optimizerType = "";
  private readonly runBuffer: SharedArrayBuffer;
  private inRun = false;
  private readonly layout: MemoryLayout;

  private constructor(model: Module, pool: ThreadLauncher<WorkerApi>, params: Float32Array, grad: Float32Array, optimizerState: Record<string, Float32Array>, runBuffer: SharedArrayBuffer, layout: MemoryLayout, timings: Float64Array) {
    this.model = model;
    this.pool = pool;
    this.worldSize = pool.worldSize;
    this.params = params;
    this.grad = grad;
    this.optimizerState = optimizerState;
    this.runBuffer = runBuffer;
    this.layout = layout;
    this.timings = timings;
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
    const room = o.data ? dataBytes(o.data.rows, o.data.features, o.data.targetWidth ?? 1).total : 0;
    return planRun(o.parameters, o.workers, stateNames, o.wasm ?? backend() === "wasm", o.arenaBytes, room);
  }

  /** Builds the model once, checks it against the data, lays out the shared memory and starts W workers over it. */
  static async create(options: DataParallelOptions): Promise<DataParallel> {
    const { worldSize, stateNames, accumulationSteps, clip } = checkOptions(options);
    const seed = options.seed ?? 0;
    const wasm = backend() === "wasm";
    const src = modelSource(options.model);
    const data = options.data;
    const shape = data ? describeData("data", data) : null; // before any worker exists: a bad dataset costs no pool
    const room = shape ? dataBytes(shape.rows, shape.sampleSize, shape.targetSize).total : 0;
    const refuse = (plan: MemoryPlan) => {
      if (plan.limitBytes !== null && plan.totalBytes > plan.limitBytes) {
        throw new Error(
          `DataParallel.create: the run needs ${gib(plan.totalBytes)} of shared memory (${plan.parameters.toLocaleString("en-US")} parameters × ${plan.parameterCopies} copies ` +
            `+ ${worldSize} workers × ${gib(plan.perWorkerBytes)} of arena and scratch); a wasm memory holds at most ${gib(plan.limitBytes)}: ` +
            "use fewer workers or a smaller model (or WEFT_BACKEND=js)",
        );
      }
    };
    // A layer list's memory is checked from the spec, before the model (of that size) is built.
    if (src.kind === "layers") refuse(planRun(parameterCount(src.layers), worldSize, stateNames, wasm, options.arenaBytes, room));
    const factory = await loadModelFactory(src);
    const inputShape = options.inputShape ?? shape?.sampleShape ?? [];
    let numClasses = options.numClasses;
    if (numClasses === undefined && shape?.targetKind === "index" && data!.y.length > 0) numClasses = (data!.y as Int32Array).reduce((m, v) => Math.max(m, v), 0) + 1;
    const context = { inputShape: [...inputShape], numClasses, options: options.modelOptions };
    const model = factory.create({ rng: new Rng(seed), ...context, rank: 0, worldSize });
    if (options.state) model.loadStateDict(options.state);
    const named = model.namedParameters();
    const n = named.reduce((s, [, p]) => s + p.size, 0);
    // Nothing to train (and backward would fail on the loss's first step with an autograd error).
    if (n === 0) {
      const what = src.kind === "layers" ? `the model (${src.layers.map((l) => l.type).join(", ") || "no layers"})` : factory.describe;
      throw new Error(`DataParallel.create: ${what} has no parameters to train: add a Linear layer (or a LayerNorm/BatchNorm1d with affine parameters)`);
    }
    const paramGroups = options.paramGroups ?? [];
    checkParamGroups(paramGroups, named.map(([k]) => k));
    if (shape) checkModelOutput(model, factory, options.loss, shape, numClasses);
    const plan = planRun(n, worldSize, stateNames, wasm, options.arenaBytes, room);
    refuse(plan);
    const layout = planMemory(n, worldSize, stateNames, wasm, options.arenaBytes, plan.dataInRun ? plan.dataBytes : 0);
    const { buffer, memory } = allocateMemory(layout, wasm);
    const v = views(buffer, layout);
    const params = v.params;
    const flat = model.flatten({ params });
    const state: Record<string, StateEntry> = {};
    for (const [k, t] of Object.entries(model.stateDict())) state[k] = { shape: [...t.shape], data: Float32Array.from(t.data) };
    // Scratch of the communicator's all-reduce and broadcast: 32k float64 a rank; longer calls go in chunks.
    const commScratch = new SharedArrayBuffer(worldSize * 32768 * 8);
    const timingsSab = new SharedArrayBuffer(8 * 4 * worldSize);
    const timeoutMs = options.barrierTimeoutMs ?? 30_000;
    const pool = new ThreadLauncher<WorkerApi>(new URL("./worker.js", import.meta.url), worldSize, timeoutMs);
    const dp = new DataParallel(model, pool, params, worldSize === 1 ? v.grads[0] : v.reduced, v.state, buffer, layout, new Float64Array(timingsSab));
    dp.optimizerType = options.optimizer.type;
    const paramLayout = flat.layout.map((p) => ({ name: p.name, size: p.size }));
    await pool.call(-1, (w, rank) =>
      w.setup({
        rank, backend: backend(), worldSize, seed, model: src, context, paramLayout, state: rank === 0 ? state : null,
        syncBatchNorm: options.syncBatchNorm ?? true, loss: options.loss ?? null, l1: options.l1, optimizer: options.optimizer,
        paramGroups, accumulationSteps, clip, nonFinite: options.nonFinite ?? "stop", barrierTimeoutMs: timeoutMs, hooks: options.hooks, communicator: options.communicator,
        control: pool.control.buffer as SharedArrayBuffer, commScratch, buffer, memory, layout, timings: timingsSab,
      }),
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

  /** Throws unless every index addresses a row of the current dataset (checked here, so a mistake never costs the pool). */
  private checkIndices(what: string, indices: Int32Array): void {
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i];
      if (!(r >= 0 && r < this.dataRows)) throw new Error(`${what}: index ${i} is row ${r}, outside the ${this.dataRows} rows of the data (setData first)`);
    }
  }

  /** Copies a dataset into shared memory once; steps then address rows by index. */
  async setData(data: DataSet): Promise<void> {
    this.pool.ensureOpen();
    // The run's data region may be the one a running step gathers from: no overwriting under it.
    if (this.pool.busy) throw new Error("setData: a runSteps or evaluate call is still in flight; await it first");
    const shape = describeData("setData", data);
    // In the run's memory when it has the room (a dataset given to create), else in buffers of its own.
    const need = dataBytes(shape.rows, shape.sampleSize, shape.targetSize);
    const inRun = need.total <= this.layout.dataBytes;
    const x = inRun ? this.runBuffer : new SharedArrayBuffer(Math.max(4, data.x.length * 4));
    const y = inRun ? this.runBuffer : new SharedArrayBuffer(Math.max(4, data.y.length * 4));
    const xOffset = inRun ? this.layout.data : 0;
    const yOffset = inRun ? this.layout.data + need.x : 0;
    if (shape.xKind === "int32") new Int32Array(x, xOffset, data.x.length).set(data.x);
    else new Float32Array(x, xOffset, data.x.length).set(data.x);
    if (shape.targetKind === "dense") new Float32Array(y, yOffset, data.y.length).set(data.y);
    else new Int32Array(y, yOffset, data.y.length).set(data.y);
    this.dataRows = shape.rows;
    this.inRun = inRun;
    const buffers: DataBuffers = { x, xOffset, xKind: shape.xKind, sampleShape: shape.sampleShape, inRun, y, yOffset, targetKind: shape.targetKind, targetShape: shape.targetShape, rows: shape.rows };
    await this.pool.call(this.stepCount, (w) => w.setData(buffers));
  }

  /**
   * Runs consecutive training steps inside the workers without any message per step. Batch k is
   * rows `indices[batches[k][0] … + batches[k][1])` of the data. Returns each batch's mean loss.
   * With accumulationSteps k, each k consecutive batches (the last group may be shorter) make one
   * optimiser step.
   */
  async runSteps(indices: Int32Array, batches: [number, number][], options: { lr?: number; onProgress?: (stepsDone: number) => void } = {}): Promise<StepStats> {
    this.pool.ensureOpen();
    // Two calls would take the same step numbers (and the workers' generators).
    if (this.pool.busy) throw new Error("runSteps: another call to the workers (runSteps, evaluate, setData, a state read) is still in flight; await it first");
    for (const [o, s] of batches) {
      if (!Number.isInteger(o) || !Number.isInteger(s) || s < 1 || o < 0 || o + s > indices.length) {
        throw new Error(`runSteps: batch [${o}, ${o + s}) must be a non-empty range of whole rows inside the ${indices.length} indices`);
      }
    }
    if (options.lr !== undefined && !(typeof options.lr === "number" && Number.isFinite(options.lr) && options.lr >= 0)) throw new Error(`runSteps: lr must be a finite number ≥ 0, got ${options.lr}`);
    this.checkIndices("runSteps", indices);
    const sharedIdx = new SharedArrayBuffer(Math.max(4, indices.length * 4));
    new Int32Array(sharedIdx).set(indices);
    const flat = new Int32Array(batches.length * 2);
    batches.forEach(([o, s], k) => flat.set([o, s], 2 * k));
    this.timings.fill(0);
    const control = this.pool.control;
    Atomics.store(control, CTL.STEPS_DONE, 0);
    const first = this.stepCount;
    const progress = options.onProgress
      ? setInterval(() => options.onProgress!(Atomics.load(control, CTL.STEPS_DONE)), 100)
      : null;
    let results: StepsResult[];
    try {
      const req: StepsRequest = { indices: sharedIdx, batches: flat, firstStep: first, lr: options.lr };
      results = await this.pool.call(first, (w) => w.runSteps(req), true);
    } finally {
      if (progress) clearInterval(progress);
    }
    this.stepCount += batches.length;
    options.onProgress?.(batches.length);
    // Every rank has the batches' losses (its shares all-reduced in rank order).
    return { losses: Float64Array.from(results[0].losses), skipped: results[0].skipped, gradNorms: results[0].gradNorms, timings: Float64Array.from(this.timings) };
  }

  /** Mean loss and accuracy (class-index targets: over every target element) of the given rows, in eval mode, split over the workers. */
  async evaluate(indices: Int32Array, batchSize = 1024): Promise<{ loss: number; accuracy: number }> {
    this.pool.ensureOpen();
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`evaluate: batchSize must be a positive integer, got ${batchSize}`);
    if (indices.length === 0) throw new Error("evaluate: no rows given");
    this.checkIndices("evaluate", indices);
    const sharedIdx = new SharedArrayBuffer(Math.max(4, indices.length * 4));
    new Int32Array(sharedIdx).set(indices);
    // Every rank returns the totals over all ranks (one all-reduce at the end).
    const [totals] = await this.pool.call(this.stepCount, (w) => w.evaluate(sharedIdx, indices.length, batchSize));
    // The mean reduction: over every target element, as in training.
    return { loss: totals.lossSum / totals.elements, accuracy: totals.correct / totals.elements };
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
    return this.pool.call(this.stepCount, (w) => w.arenaStats());
  }

  /** The model's state dict (PyTorch keys), buffers fetched from worker 0. Copies. */
  async stateDict(): Promise<Record<string, Tensor>> {
    this.pool.ensureOpen();
    const { buffers } = await this.pool.callOne(this.stepCount, 0, (w) => w.getState());
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
    this.pool.ensureOpen();
    const states = await this.pool.call(this.stepCount, (w) => w.getState());
    return states.map((s) => s.buffers);
  }

  /** The optimiser's step count and state arrays (copies), for checkpoints. */
  async optimizerStateDict(): Promise<{ type: string; step: number; state: Record<string, Float32Array> }> {
    this.pool.ensureOpen();
    const { optimizerStep } = await this.pool.callOne(this.stepCount, 0, (w) => w.getState());
    const state: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(this.optimizerState)) state[k] = Float32Array.from(v);
    return { type: this.optimizerType, step: optimizerStep, state };
  }

  /** Restores model buffers, parameters and optimiser state saved by stateDict/optimizerStateDict. */
  async loadState(model: Record<string, StateEntry>, optimizer?: { step: number; state: Record<string, ArrayLike<number>> }, stepCount?: number): Promise<void> {
    this.pool.ensureOpen();
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
    await this.pool.call(this.stepCount, (w) => w.setState(buffers, optimizer?.step ?? null));
    if (stepCount !== undefined) this.stepCount = stepCount;
  }

  /** Global steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /** Terminates the workers. Safe to call twice. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}

export { AbortedError };
