/**
 * A data-parallel worker: builds the model over the shared parameters and, per step, runs its
 * shard forward/backward, reduces its range of the gradient over all ranks (in rank order),
 * steps the optimiser on that range and meets the others at a barrier. comlink carries only
 * the control plane (init, runSteps, evaluate, state); the step loop posts no messages.
 */
import { parentPort } from "node:worker_threads";
import { Dropout, type Sequential } from "@weft/layers";
import { createOptimizer, type AdamKernel, type Optimizer, type OptimizerType } from "@weft/optim";
import { Arena, Rng, Tensor, add, argmax, kernels as threadKernels, mul, noGrad, setBackend, setThreadWasmKernels, withArena, type ArenaStats } from "@weft/tensor";
import { Comlink, nodeEndpoint } from "./comlink.js";
import { AbortedError, CTL, abort, progressSlot } from "./control.js";
import { l1Term, lossSum, type Targets } from "./loss-spec.js";
import { buildModel } from "./model-spec.js";
import { views, workerKernels } from "./memory.js";
import { paramRange, shardRange } from "./plan.js";
import type { DataBuffers, EvalResult, StepsRequest, StepsResult, WorkerInit } from "./protocol.js";
import { SharedCommunicator } from "./shared-communicator.js";

type TransformBatch = (x: Float32Array, rows: number, features: number, rng: Rng, rank: number, step: number) => void;

type Fault = { rank: number; step: number; mode: "throw" | "hang" | "exit" };

/**
 * Fault injection for tests: `WEFT_FAULT=worker:<rank>:step:<n>[:throw|:hang|:exit]` makes that
 * worker throw (default), hang or exit its thread at that global step.
 */
function parseFault(): Fault | null {
  const m = /^worker:(\d+):step:(\d+)(?::(throw|hang|exit))?$/.exec(process.env.WEFT_FAULT ?? "");
  return m ? { rank: Number(m[1]), step: Number(m[2]), mode: (m[3] ?? "throw") as Fault["mode"] } : null;
}

function injectFault(f: Fault): void {
  if (f.mode === "hang") Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3_600_000);
  if (f.mode === "exit") process.exit(3);
  throw new Error(`injected fault (WEFT_FAULT=worker:${f.rank}:step:${f.step})`);
}

class Worker {
  private init!: WorkerInit;
  private model!: Sequential;
  private optimizer!: Optimizer;
  private comm!: SharedCommunicator;
  private ctl!: Int32Array;
  private gradSlots: Float32Array[] = [];
  private reduced!: Float32Array;
  /** This worker's range of `reduced` (the one it all-reduces and checks), made once. */
  private reducedRange!: Float32Array;
  private range: [number, number] = [0, 0];
  private timings!: Float64Array;
  private data: (DataBuffers & { xView: Float32Array; yIndex: Int32Array; yDense: Float32Array }) | null = null;
  /** This worker's step arena in the shared memory: reset at every step (and evaluation batch). */
  private arena!: Arena;
  /** The whole run buffer as float32: the gather's copyWithin source and destination. */
  private all32: Float32Array = new Float32Array(0);
  private transform: TransformBatch | null = null;
  /** This worker's generator; each step draws from `rng.split(step)`. */
  private rng!: Rng;
  private dropouts: Dropout[] = [];
  private readonly fault = parseFault();

  async setup(init: WorkerInit): Promise<void> {
    this.init = init;
    setBackend(init.backend);
    const { rank, worldSize } = init;
    this.ctl = new Int32Array(init.control);
    this.comm = new SharedCommunicator(rank, worldSize, this.ctl, new Float64Array(init.commScratch), init.barrierTimeoutMs);
    // Per-worker randomness (dropout, augmentation) from the run's seed: same seed and W ⇒ same
    // bits. Each step draws from a generator split by the global step number, so randomness is a
    // function of (seed, rank, step) — a resumed run draws exactly what an uninterrupted one did.
    this.rng = new Rng(init.seed).split(1000 + rank);
    this.model = buildModel(init.model, { rng: this.rng, communicator: this.comm });
    for (const [, m] of this.model.namedModules()) if (m instanceof Dropout) this.dropouts.push(m);
    this.model.loadStateDict(init.state, false);
    const layout = init.layout;
    const v = views(init.buffer, layout);
    const params = v.params;
    const n = layout.n;
    this.gradSlots = v.grads;
    this.model.flatten({ params, grads: this.gradSlots[rank], keepValues: false });
    this.range = paramRange(n, worldSize, rank);
    const [lo, hi] = this.range;
    // One worker: the gradient slot is the reduced gradient — no copy.
    this.reduced = worldSize === 1 ? this.gradSlots[0] : v.reduced;
    this.reducedRange = this.reduced.subarray(lo, hi);
    // wasm backend: this worker's kernels over the shared memory, its scratch range its own. The
    // kernel interface then runs every call whose operands lie there in place: gemm reads weights
    // and activations, the all-reduce (sumRanks) and the finiteness check run on the shared
    // gradient slots. The optimiser steps below are pointer-level calls on the same memory.
    const kernels = init.memory ? workerKernels(init.memory, layout, rank) : null;
    setThreadWasmKernels(kernels);
    const memoryBuffer = init.buffer;
    const adamKernel: AdamKernel | undefined = kernels
      ? (p, g, m1, m2, mx, h) => {
          if (p.buffer !== memoryBuffer || g.buffer !== memoryBuffer || m1.buffer !== memoryBuffer) return false;
          kernels.adamPtr(p.length, p.byteOffset, g.byteOffset, m1.byteOffset, m2.byteOffset, mx ? mx.byteOffset : 0, h);
          return true;
        }
      : undefined;
    this.optimizer = createOptimizer(
      init.optimizer.type as OptimizerType,
      { params: params.subarray(lo, hi), grads: this.reduced.subarray(lo, hi) },
      init.optimizer.config,
      {
        allocState: (name, length) => {
          const arr = v.state[name];
          if (!arr) throw new Error(`optimizer state ${name} has no shared buffer`);
          if (length !== hi - lo) throw new Error(`optimizer state ${name}: expected ${hi - lo} values, asked for ${length}`);
          return arr.subarray(lo, hi);
        },
        adamKernel,
        // SGD and RMSprop in place on the shared memory too (float64 lanes: the JS loop's bits).
        sgdKernel: kernels
          ? (p, g, buf, h) => {
              if (p.buffer !== memoryBuffer || g.buffer !== memoryBuffer || (buf !== null && buf.buffer !== memoryBuffer)) return false;
              kernels.sgdPtr(p.length, p.byteOffset, g.byteOffset, buf ? buf.byteOffset : 0, h);
              return true;
            }
          : undefined,
        rmspropKernel: kernels
          ? (p, g, sq, gAvg, buf, h) => {
              if ([p, g, sq, gAvg, buf].some((a) => a !== null && a.buffer !== memoryBuffer)) return false;
              kernels.rmspropPtr(p.length, p.byteOffset, g.byteOffset, sq.byteOffset, gAvg ? gAvg.byteOffset : 0, buf ? buf.byteOffset : 0, h);
              return true;
            }
          : undefined,
      },
    );
    this.timings = new Float64Array(init.timings, rank * 32, 4);
    this.arena = new Arena({ buffer: init.buffer, byteOffset: layout.arena + rank * layout.arenaBytes, byteLength: layout.arenaBytes });
    if (init.hooks) {
      const mod = await import(init.hooks);
      this.transform = mod.transformBatch ?? null;
    }
  }

  setData(data: DataBuffers): void {
    const index = data.targetKind === "index";
    const n = data.rows * data.targetWidth;
    this.data = {
      ...data,
      xView: new Float32Array(data.x, data.xOffset, data.rows * data.features),
      yIndex: index ? new Int32Array(data.y, data.yOffset, n) : new Int32Array(0),
      yDense: index ? new Float32Array(0) : new Float32Array(data.y, data.yOffset, n),
    };
    this.all32 = new Float32Array(this.init.buffer);
  }

  /** Gathers rows `indices[from, to)` into the step arena (reset by the caller); returns the tensor and targets. */
  private gather(indices: Int32Array, from: number, to: number): [Tensor, Targets] {
    const d = this.data;
    if (!d) throw new Error("no data: call setData first");
    const rows = to - from;
    const f = d.features;
    const arena = this.arena;
    const xAll = d.xView;
    const x = arena.float32(rows * f);
    // Dataset and arena in the run buffer: a copyWithin a row (no view objects); else a view a row.
    const within = d.inRun && x.buffer === this.init.buffer;
    const src0 = d.xOffset >> 2, dst0 = x.byteOffset >> 2;
    for (let i = 0; i < rows; i++) {
      const row = indices[from + i];
      if (row < 0 || row >= d.rows) throw new Error(`row index ${row} out of range for ${d.rows} rows`);
      if (within) this.all32.copyWithin(dst0 + i * f, src0 + row * f, src0 + row * f + f);
      else x.set(xAll.subarray(row * f, row * f + f), i * f);
    }
    let targets: Targets;
    if (d.targetKind === "index") {
      const yAll = d.yIndex;
      const y = arena.int32(rows);
      for (let i = 0; i < rows; i++) y[i] = yAll[indices[from + i]];
      targets = { kind: "index", data: y };
    } else {
      const w = d.targetWidth;
      const yAll = d.yDense;
      const y = arena.float32(rows * w);
      for (let i = 0; i < rows; i++) {
        const o = indices[from + i] * w;
        for (let j = 0; j < w; j++) y[i * w + j] = yAll[o + j]; // targets are narrow: a loop, no views
      }
      targets = { kind: "dense", data: y, width: w };
    }
    return [new Tensor(x, [rows, f]), targets];
  }

  runSteps(req: StepsRequest): StepsResult {
    // Every temporary of a step comes from the arena, which each step resets: no garbage, and
    // the wasm kernels find their operands in the shared memory they run on.
    return withArena(this.arena, () => this.stepLoop(req));
  }

  private stepLoop(req: StepsRequest): StepsResult {
    const { rank, worldSize } = this.init;
    const indices = new Int32Array(req.indices);
    const losses = new Float64Array(req.losses);
    const steps = req.batches.length / 2;
    const [lo, hi] = this.range;
    const skipped: number[] = [];
    if (req.lr !== undefined) this.optimizer.lr = req.lr;
    this.model.train(req.train);
    const t = this.timings;
    let step = req.firstStep;
    try {
      for (let s = 0; s < steps; s++, step++) {
        this.comm.step = step;
        Atomics.store(this.ctl, progressSlot(rank), step + 1);
        if (this.fault && this.fault.rank === rank && this.fault.step === step) injectFault(this.fault);
        const t0 = performance.now();
        this.arena.reset();
        const offset = req.batches[2 * s];
        const size = req.batches[2 * s + 1];
        // Indexing rather than destructuring, and the step's generator only when something draws
        // from it: the hot loop makes as few objects as it can (bench:alloc).
        const shard = shardRange(size, worldSize, rank);
        const from = shard[0], to = shard[1];
        const batch = this.gather(indices, offset + from, offset + to);
        const x = batch[0], targets = batch[1];
        const transform = req.train ? this.transform : null;
        if (this.dropouts.length > 0 || transform) {
          const stepRng = this.rng.split(step);
          for (let k = 0; k < this.dropouts.length; k++) this.dropouts[k].rng = stepRng;
          if (transform) transform(x.data as Float32Array, to - from, x.shape[1], stepRng, rank, step);
        }
        this.gradSlots[rank].fill(0);
        const out = this.model.forward(x);
        const sum = lossSum(this.init.loss, out, targets);
        // Each shard's share of the batch's loss: its sum over the batch's element count (the
        // mean reduction), plus (rows/B) of the L1 term. The shares' gradients then simply add
        // up to the whole batch's — SyncBatchNorm needs every rank's dy to be of one objective.
        const perRow = targets.kind === "dense" ? targets.width : 1;
        let objective = mul(sum, 1 / (size * perRow));
        if (this.init.l1) objective = add(objective, mul(l1Term(this.model, this.init.l1), (to - from) / size));
        losses[s * worldSize + rank] = objective.item();
        objective.backward();
        const t1 = performance.now();
        this.comm.barrier();
        const t2 = performance.now();
        let finite = true;
        for (let r = 0; r < worldSize; r++) if (!Number.isFinite(losses[s * worldSize + r])) finite = false;
        if (!finite) {
          if (this.init.nonFinite === "skip") {
            skipped.push(step);
            this.comm.barrier(); // nobody touches shared state this step; stay in lockstep
            continue;
          }
          throw new Error(`non-finite loss at step ${step} (nonFinite: "stop")`);
        }
        const k = threadKernels();
        if (worldSize > 1) k.sumRanks(this.reduced, this.gradSlots, lo, hi);
        let bad = k.firstNonFinite(this.reducedRange);
        if (bad >= 0) bad += lo;
        if (bad >= 0 && this.init.nonFinite === "stop") throw new Error(`non-finite gradient at step ${step} (parameter index ${bad})`);
        if (this.init.nonFinite === "skip") {
          // Every worker must agree before anyone steps: one extra barrier, only under "skip".
          if (bad >= 0) Atomics.store(this.ctl, CTL.NONFINITE, step + 1);
          this.comm.barrier();
          if (Atomics.load(this.ctl, CTL.NONFINITE) === step + 1) {
            skipped.push(step);
            this.comm.barrier();
            continue;
          }
        }
        const t3 = performance.now();
        this.optimizer.step();
        const t4 = performance.now();
        this.comm.barrier();
        const t5 = performance.now();
        t[0] += t1 - t0;
        t[1] += t2 - t1 + (t5 - t4);
        t[2] += t3 - t2;
        t[3] += t4 - t3;
        if (rank === 0) Atomics.store(this.ctl, CTL.STEPS_DONE, s + 1);
      }
    } catch (e) {
      if (!(e instanceof AbortedError)) abort(this.ctl, rank, step);
      throw e;
    }
    return { skipped };
  }

  /** Forward in eval (or train) mode over this rank's shard of `indices`; no synchronisation. */
  evaluate(indicesBuf: SharedArrayBuffer, count: number, batchSize: number): EvalResult {
    return this.failing(() => this.evaluateShard(indicesBuf, count, batchSize));
  }

  private evaluateShard(indicesBuf: SharedArrayBuffer, count: number, batchSize: number): EvalResult {
    const { rank, worldSize } = this.init;
    const indices = new Int32Array(indicesBuf);
    const [from, to] = shardRange(count, worldSize, rank);
    this.model.eval();
    let lossSumAll = 0;
    let correct = 0;
    noGrad(() => withArena(this.arena, () => {
      for (let b = from; b < to; b += batchSize) {
        const e = Math.min(to, b + batchSize);
        this.arena.reset();
        const [x, targets] = this.gather(indices, b, e);
        const out = this.model.forward(x);
        lossSumAll += lossSum(this.init.loss, out, targets).item();
        if (targets.kind === "index") {
          const pred = argmax(out, 1);
          for (let i = 0; i < pred.length; i++) if (pred[i] === targets.data[i]) correct++;
        }
      }
    }));
    this.model.train();
    return { lossSum: lossSumAll, correct, rows: to - from };
  }

  arenaStats(): ArenaStats {
    return this.arena.stats();
  }

  /** Buffers (running statistics) and the optimiser's step count, for checkpoints. */
  getState(): { buffers: Record<string, Float32Array>; optimizerStep: number } {
    const buffers: Record<string, Float32Array> = {};
    for (const [k, b] of this.model.namedBuffers()) buffers[k] = Float32Array.from(b.data);
    const st = this.optimizer.stateDict().state as { step?: number };
    return { buffers, optimizerStep: st.step ?? 0 };
  }

  /** Restores buffers and the optimiser's step count (its state arrays are already in shared memory). */
  setState(buffers: Record<string, Float32Array>, optimizerStep: number | null): void {
    this.failing(() => this.applyState(buffers, optimizerStep));
  }

  /** Runs a control-plane call; a throw aborts the run (first failure named) like a step would. */
  private failing<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof AbortedError)) abort(this.ctl, this.init.rank, this.comm.step);
      throw e;
    }
  }

  private applyState(buffers: Record<string, Float32Array>, optimizerStep: number | null): void {
    const own = new Map(this.model.namedBuffers());
    for (const [k, v] of Object.entries(buffers)) {
      const b = own.get(k);
      if (!b) throw new Error(`setState: unknown buffer ${k}`);
      b.data.set(v);
    }
    if (optimizerStep === null) return;
    const sd = this.optimizer.stateDict();
    (sd.state as { step?: number }).step = optimizerStep;
    this.optimizer.loadStateDict(sd);
  }
}

if (!parentPort) throw new Error("@weft/parallel worker.js must run in a worker_thread");
Comlink.expose(new Worker(), nodeEndpoint(parentPort));
