/**
 * The data-parallel step loop of one rank, as DDP's: it runs its shard of each batch forward and
 * backward into its own gradient, and synchronises only through named collectives on an
 * {@link EngineCommunicator} — reduce-scatter of the gradient, the optimiser step on its own
 * range (ZeRO-1 style: state sharded), all-gather of the parameters; all-reduce for SyncBatchNorm
 * statistics, gradient-norm partials and skip decisions. It never reads another rank's memory,
 * so any communicator (shared memory, MPI across hosts) runs it unchanged.
 *
 * What the engine does not do: start threads, watch for stalls, report progress to a main
 * thread. The launcher does that, through the {@link StepReporter} it hands in.
 */
import { type Module } from "@weft/layers";
import { clipGradNormFlat, combineGradNormPartials, gradNormPartial, type Optimizer } from "@weft/optim";
import { Arena, Rng, Tensor, add, argmax, kernels, mul, noGrad, setDefaultRng, sum, withArena, type TensorData } from "@weft/tensor";
import type { EngineCommunicator } from "./communicator.js";
import { AbortedError } from "./control.js";
import { l1Term, lossSum, targetSize, targetTensor, type L1Spec, type LossFn, type LossSpec, type Targets } from "./loss-spec.js";
import { checkLossValue } from "./model-factory.js";
import { shardRange } from "./plan.js";
import type { EvalResult, NonFinitePolicy } from "./protocol.js";

/** `transformBatch(x, rows, features, rng, rank, step)` of a hooks module: in place on a float batch. */
export type TransformBatch = (x: Float32Array, rows: number, features: number, rng: Rng, rank: number, step: number) => void;

/** How the launcher follows the loop: step starts (stall watch, fault injection) and steps done. */
export interface StepReporter {
  stepBegun(step: number): void;
  /** `done` steps of the current call are complete (every rank past the optimiser step). */
  stepsDone(done: number): void;
}

/** What a call of steps returns on every rank. */
export interface StepsOutcome {
  /** Each batch's mean loss: the ranks' shares all-reduced (rank order) at the end of the call. */
  losses: Float64Array;
  /** Global steps skipped (non-finite, "skip" policy). */
  skipped: number[];
  /** With clipping: each optimiser step's total gradient norm before clipping. */
  gradNorms: number[];
}

/** The dataset as this rank sees it: x and targets in (shared) memory, rows addressed by index. */
export interface EngineData {
  /** x of every row, `rows × sampleSize` values, float32 or int32 (tokens). */
  x: Float32Array | Int32Array;
  sampleShape: readonly number[];
  /** Targets of every row, `rows × targetSize` values. */
  y: Int32Array | Float32Array;
  targetShape: readonly number[];
  rows: number;
  /** Int32 views of x and y and of the run memory they lie in, when they do (then a row gather is one copyWithin). */
  inRun: { all: Int32Array; x0: number; y0: number } | null;
}

export interface ClipSpec {
  maxNorm: number;
  normType?: number;
}

export interface EngineConfig {
  comm: EngineCommunicator;
  model: Module;
  /** The model's flat parameters and this rank's gradient (what reduceScatter sends). */
  params: Float32Array;
  grad: Float32Array;
  /** The reduced gradient (the slot itself at W = 1). */
  reduced: Float32Array;
  /** The optimisers of this rank's range (one per run of parameters of one group). */
  optimizers: Optimizer[];
  /** The lr each optimiser was built with, and the run's base lr: a call's `lr` scales every group alike. */
  groupLrs: number[];
  baseLr: number;
  loss: LossSpec | null;
  lossFn: LossFn | null;
  l1?: L1Spec;
  nonFinite: NonFinitePolicy;
  accumulationSteps: number;
  clip: ClipSpec | null;
  arena: Arena;
  /** This rank's generator: step k draws from `rng.split(k)`. */
  rng: Rng;
  transform: TransformBatch | null;
  /** Float64 × 4: ms in compute, waiting, reduce, optimiser (this rank's own slot). */
  timings: Float64Array;
}

export interface StepsCall {
  indices: Int32Array;
  /** [offset, size] into `indices` of each batch (micro-batches, with accumulation). */
  batches: Int32Array;
  firstStep: number;
  lr?: number;
}

const isRng = (v: unknown): v is Rng => typeof v === "object" && v !== null && typeof (v as Rng).split === "function" && typeof (v as Rng).uniform === "function";

export class Engine {
  private readonly c: EngineConfig;
  private data: EngineData | null = null;
  /** Every (module, property) that holds a generator, anywhere in the tree: each step's generator replaces it. */
  private readonly drawers: [Record<string, unknown>, string][] = [];
  private readonly range: [number, number];
  private readonly reducedRange: Float32Array;
  private readonly flag = new Float64Array(1);
  private readonly partials: Float64Array;
  /** The last {@link objective}'s share of its batch's mean loss (a field, not a tuple: no garbage per step). */
  private share = 0;
  /** The last gather's targets. */
  private targets: Targets = { kind: "index", data: new Int32Array(0), rows: 0, sampleShape: [] };

  constructor(config: EngineConfig) {
    this.c = config;
    const { comm, model } = config;
    this.range = comm.shard(config.params.length);
    this.reducedRange = config.reduced.subarray(this.range[0], this.range[1]);
    this.partials = new Float64Array(comm.worldSize);
    for (const [, m] of model.namedModules()) {
      const rec = m as unknown as Record<string, unknown>;
      for (const k of Object.keys(rec)) if (isRng(rec[k])) this.drawers.push([rec, k]);
    }
  }

  setData(d: EngineData): void {
    this.data = d;
  }

  get model(): Module {
    return this.c.model;
  }

  get optimizers(): Optimizer[] {
    return this.c.optimizers;
  }

  /**
   * Rows `indices[from, to)` gathered into the step arena (reset by the caller): returns the input
   * `[rows, ...sampleShape]`; its targets are then `this.targets`.
   */
  private gather(indices: Int32Array, from: number, to: number): Tensor<TensorData> {
    const d = this.data;
    if (!d) throw new Error("no data: call setData first");
    const rows = to - from;
    const arena = this.c.arena;
    const f = d.x.length / Math.max(1, d.rows);
    const t = targetSize({ sampleShape: d.targetShape });
    const intX = d.x instanceof Int32Array;
    const x = intX ? arena.int32(rows * f) : arena.float32(rows * f);
    const intY = d.y instanceof Int32Array;
    const y = intY ? arena.int32(rows * t) : arena.float32(rows * t);
    const inRun = d.inRun && x.buffer === d.inRun.all.buffer && y.buffer === d.inRun.all.buffer ? d.inRun : null;
    const x0 = x.byteOffset >> 2, y0 = y.byteOffset >> 2;
    for (let i = 0; i < rows; i++) {
      const row = indices[from + i];
      if (row < 0 || row >= d.rows) throw new Error(`row index ${row} out of range for ${d.rows} rows`);
      if (inRun) {
        // Dataset and arena in the run memory: one copyWithin a row (bit-exact for floats too), no views.
        const all = inRun.all;
        all.copyWithin(x0 + i * f, inRun.x0 + row * f, inRun.x0 + row * f + f);
        if (t === 1) all[y0 + i] = all[inRun.y0 + row];
        else all.copyWithin(y0 + i * t, inRun.y0 + row * t, inRun.y0 + row * t + t);
      } else {
        x.set((d.x as Float32Array).subarray(row * f, row * f + f), i * f);
        for (let j = 0; j < t; j++) y[i * t + j] = d.y[row * t + j];
      }
    }
    const input: Tensor<TensorData> = new Tensor<TensorData>(x, [rows, ...d.sampleShape]);
    this.targets = intY
      ? { kind: "index", data: y as Int32Array, rows, sampleShape: d.targetShape }
      : { kind: "dense", data: y as Float32Array, rows, sampleShape: d.targetShape };
    return input;
  }

  /**
   * The objective of a shard of `shardRows` rows: its loss as a share of `denomRows` rows' mean
   * (the batch's, or with accumulation the optimiser step's), so the shares' gradients add up to
   * the whole batch's; and (in `this.share`) the shard's share of the BATCH's mean loss, for
   * reporting. An empty shard gives 0, connected to the graph, so a SyncBatchNorm's backward still
   * runs its collectives.
   */
  private objective(out: Tensor, targets: Targets, shardRows: number, batchRows: number, denomRows: number): Tensor {
    const c = this.c;
    if (shardRows === 0) {
      this.share = 0;
      return mul(sum(out), 0);
    }
    if (c.lossFn) {
      const mean = checkLossValue("the model file's loss", c.lossFn(out, targetTensor(targets)));
      this.share = (mean.item() * shardRows) / batchRows;
      return mul(mean, shardRows / denomRows);
    }
    const total = lossSum(this.lossSpecFor(targets), out, targets);
    const per = targetSize(targets);
    this.share = total.item() / (batchRows * per);
    return mul(total, 1 / (denomRows * per));
  }

  /** The run's loss, or by default cross-entropy for class indices and MSE for float targets. */
  private lossSpecFor(targets: Targets): LossSpec {
    return this.c.loss ?? { type: targets.kind === "index" ? "crossEntropyLoss" : "mseLoss" };
  }

  /** Runs the call's steps: the batches' losses, the steps skipped and each optimiser step's pre-clip gradient norm. */
  runSteps(call: StepsCall, reporter: StepReporter): StepsOutcome {
    // Every temporary of a step comes from the arena, which each step resets: no garbage, and
    // the wasm kernels find their operands in the shared memory they run on.
    return withArena(this.c.arena, () => this.stepLoop(call, reporter));
  }

  private stepLoop(call: StepsCall, reporter: StepReporter): StepsOutcome {
    const c = this.c;
    const { comm } = c;
    const { rank, worldSize } = comm;
    const { indices, batches } = call;
    const steps = batches.length / 2;
    const skipped: number[] = [];
    const gradNorms: number[] = [];
    // This rank's share of each batch's loss; summed over ranks once, at the end of the call.
    const losses = new Float64Array(steps);
    if (call.lr !== undefined) {
      const factor = c.baseLr === 0 ? 0 : call.lr / c.baseLr;
      for (let i = 0; i < c.optimizers.length; i++) c.optimizers[i].lr = c.baseLr === 0 ? call.lr : c.groupLrs[i] * factor;
    }
    c.model.train(true);
    const t = c.timings;
    const k = c.accumulationSteps;
    let step = call.firstStep;
    try {
      for (let g = 0; g < steps; g += k) {
        const t0 = performance.now();
        const end = Math.min(steps, g + k);
        let groupRows = 0;
        for (let s = g; s < end; s++) groupRows += batches[2 * s + 1];
        let finite = true;
        c.grad.fill(0);
        // ---- forward and backward of each micro-batch, accumulating into this rank's gradient ----
        for (let s = g; s < end; s++, step++) {
          comm.step = step;
          reporter.stepBegun(step);
          c.arena.reset();
          const offset = batches[2 * s], size = batches[2 * s + 1];
          // Indexing rather than destructuring, and the step's generator only when something draws
          // from it: the hot loop makes as few objects as it can (bench:alloc).
          const shard = shardRange(size, worldSize, rank);
          const from = shard[0], to = shard[1];
          const x = this.gather(indices, offset + from, offset + to);
          const targets = this.targets;
          if (this.drawers.length > 0 || c.transform) {
            const stepRng = c.rng.split(step);
            for (let i = 0; i < this.drawers.length; i++) this.drawers[i][0][this.drawers[i][1]] = stepRng;
            setDefaultRng(stepRng);
            if (c.transform && x.data instanceof Float32Array) c.transform(x.data, to - from, x.size / Math.max(1, to - from), stepRng, rank, step);
          }
          const out = c.model.forward(x as Tensor); // int32 token ids too: Module.forward is typed for float input
          let obj = this.objective(out, targets, to - from, size, groupRows);
          let share = this.share;
          // The L1 term once per optimiser step: each shard's rows' share of it.
          if (c.l1) {
            const l1 = l1Term(c.model, c.l1);
            obj = add(obj, mul(l1, (to - from) / groupRows));
            share += (l1.item() * (to - from)) / size;
          }
          losses[s] = share;
          obj.backward();
          if (!Number.isFinite(share)) {
            if (c.nonFinite === "stop") throw new Error(`non-finite loss at step ${step} (nonFinite: "stop")`);
            finite = false;
          }
        }
        const t1 = performance.now();
        // ---- reduce-scatter: this rank's range of the summed gradient ----
        comm.reduceScatter(c.grad, c.reduced);
        const t2 = performance.now();
        const bad = kernels().firstNonFinite(this.reducedRange);
        if (bad >= 0 && c.nonFinite === "stop") throw new Error(`non-finite gradient at step ${step - 1} (parameter index ${bad + this.range[0]})`);
        if (c.nonFinite === "skip") {
          // Every rank must agree before anyone steps: one flag all-reduce, only under "skip".
          this.flag[0] = finite && bad < 0 ? 0 : 1;
          comm.allReduce(this.flag);
          if (this.flag[0] > 0) {
            for (let s = g; s < end; s++) skipped.push(call.firstStep + s);
            continue;
          }
        }
        if (c.clip) gradNorms.push(this.clip(c.clip));
        const t3 = performance.now();
        for (let i = 0; i < c.optimizers.length; i++) c.optimizers[i].step();
        const t4 = performance.now();
        // ---- all-gather: every rank sees every range of the new parameters ----
        comm.allGather(c.params);
        const t5 = performance.now();
        t[0] += t1 - t0;
        t[1] += t5 - t4;
        t[2] += t2 - t1 + (t3 - t2);
        t[3] += t4 - t3;
        reporter.stepsDone(end);
      }
      comm.allReduce(losses);
    } catch (e) {
      if (!(e instanceof AbortedError)) comm.abort(step);
      throw e;
    }
    return { losses, skipped, gradNorms };
  }

  /** clip_grad_norm_ over the whole reduced gradient: partials of every rank's range, combined in rank order. */
  private clip(spec: ClipSpec): number {
    const p = this.partials;
    p.fill(0);
    // A replica's range is also another rank's (hosts of an MPI run): counted there only.
    p[this.c.comm.rank] = this.c.comm.replica ? 0 : gradNormPartial(this.reducedRange, spec.normType ?? 2);
    this.c.comm.allReduce(p);
    const total = combineGradNormPartials(p, spec.normType ?? 2);
    clipGradNormFlat(this.reducedRange, spec.maxNorm, { normType: spec.normType ?? 2, totalNorm: total });
    return total;
  }

  /**
   * Forward in eval mode over this rank's shard of `indices` (no synchronisation in the model),
   * then one all-reduce of the totals: every rank returns the whole evaluation's.
   */
  evaluate(indices: Int32Array, count: number, batchSize: number): EvalResult {
    const c = this.c;
    const { rank, worldSize } = c.comm;
    const [from, to] = shardRange(count, worldSize, rank);
    c.model.eval();
    let lossTotal = 0;
    let correct = 0;
    let elements = 0;
    try {
      noGrad(() => withArena(c.arena, () => {
        for (let b = from; b < to; b += batchSize) {
          const e = Math.min(to, b + batchSize);
          c.arena.reset();
          const x = this.gather(indices, b, e);
          const targets = this.targets;
          const out = c.model.forward(x as Tensor); // int32 token ids too: Module.forward is typed for float input
          const per = targetSize(targets);
          // The loss summed over target elements: a model file's mean loss times its elements.
          lossTotal += c.lossFn ? checkLossValue("the model file's loss", c.lossFn(out, targetTensor(targets))).item() * (e - b) * per : lossSum(this.lossSpecFor(targets), out, targets).item();
          elements += (e - b) * per;
          if (targets.kind === "index") {
            const pred = argmax(out, 1);
            const y = targets.data;
            if (pred.length === y.length) for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) correct++;
          }
        }
      }));
    } finally {
      c.model.train();
    }
    const totals = Float64Array.of(lossTotal, correct, to - from, elements);
    c.comm.allReduce(totals);
    return { lossSum: totals[0], correct: totals[1], rows: totals[2], elements: totals[3] };
  }
}
