/**
 * A data-parallel worker thread: the launcher's end of the pool. It builds this rank's
 * communicator over the run's shared memory, the model from its factory (then the parameters
 * and buffers of one build are broadcast), the optimisers of its range, and an {@link Engine}
 * that runs the step loop. comlink carries only the control plane (setup, runSteps, evaluate,
 * state); the step loop posts no messages.
 */
import { parentPort } from "node:worker_threads";
import { createOptimizer, type AdamKernel, type Optimizer, type OptimizerType } from "@weft/optim";
import { convertSyncBatchNorm } from "@weft/norm";
import { Arena, Rng, setBackend, setThreadWasmKernels, type ArenaStats, type WasmKernels } from "@weft/tensor";
import { Comlink, nodeEndpoint } from "./comlink.js";
import { AbortedError, CTL, abort, progressSlot } from "./control.js";
import { Engine, type StepReporter, type TransformBatch } from "./engine.js";
import { views, workerKernels } from "./memory.js";
import { loadModelFactory } from "./model-factory.js";
import type { EngineCommunicator } from "./communicator.js";
import type { DataBuffers, EvalResult, ParamGroup, StepsRequest, StepsResult, WorkerInit } from "./protocol.js";
import { SharedCommunicator } from "./shared-communicator.js";

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

/** Runs of this rank's range `[lo, hi)` that belong to one parameter group each (0: the default group). */
export function groupRuns(layout: readonly { name: string; offset: number; size: number }[], groups: readonly ParamGroup[], lo: number, hi: number): { a: number; b: number; group: number }[] {
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.params.forEach((name) => groupOf.set(name, i + 1)));
  const runs: { a: number; b: number; group: number }[] = [];
  for (const p of layout) {
    const a = Math.max(lo, p.offset), b = Math.min(hi, p.offset + p.size);
    if (a >= b) continue;
    const group = groupOf.get(p.name) ?? 0;
    const last = runs[runs.length - 1];
    if (last && last.group === group && last.b === a) last.b = b;
    else runs.push({ a, b, group });
  }
  return runs;
}

class Worker {
  private init!: WorkerInit;
  private engine!: Engine;
  private comm!: SharedCommunicator;
  private ctl!: Int32Array;
  private arena!: Arena;
  private readonly fault = parseFault();

  async setup(init: WorkerInit): Promise<void> {
    this.init = init;
    setBackend(init.backend);
    const { rank, worldSize } = init;
    this.ctl = new Int32Array(init.control);
    const layout = init.layout;
    const v = views(init.buffer, layout);
    this.comm = new SharedCommunicator(rank, worldSize, this.ctl, new Float64Array(init.commScratch), init.barrierTimeoutMs, { slots: v.grads, params: v.params });
    try {
      await this.build(init, v);
    } catch (e) {
      // The others may wait in setup's broadcast: wake them (this rank is the failure).
      if (!(e instanceof AbortedError)) abort(this.ctl, rank, -1);
      throw e;
    }
  }

  private async build(init: WorkerInit, v: ReturnType<typeof views>): Promise<void> {
    const { layout } = init;
    const comm = await this.communicator(init);
    // Global: across hosts, ranks and world are the job's, not this process's threads'.
    const { rank, worldSize } = comm;
    const local = init.rank;
    const factory = await loadModelFactory(init.model);
    // Per-worker randomness (dropout, augmentation) from the run's seed: same seed and W ⇒ same
    // bits. Each step draws from a generator split by the global step number, so randomness is a
    // function of (seed, rank, step) — a resumed run draws exactly what an uninterrupted one did.
    const rng = new Rng(init.seed).split(1000 + rank);
    let model = factory.create({ rng: new Rng(init.seed), inputShape: init.context.inputShape, numClasses: init.context.numClasses, rank, worldSize, options: init.context.options });
    if (init.syncBatchNorm && worldSize > 1) model = convertSyncBatchNorm(model, comm);
    const mine = model.namedParameters().map(([name, p]) => ({ name, size: p.size }));
    const same = mine.length === init.paramLayout.length && mine.every((p, i) => p.name === init.paramLayout[i].name && p.size === init.paramLayout[i].size);
    if (!same) {
      const show = (l: { name: string; size: number }[]) => l.slice(0, 6).map((p) => `${p.name}(${p.size})`).join(", ") + (l.length > 6 ? ", …" : "");
      throw new Error(`${factory.describe}: worker ${rank}'s build has parameters [${show(mine)}] but the first build had [${show(init.paramLayout)}]: createModel must build the same architecture on every call`);
    }
    if (init.state) model.loadStateDict(init.state, false);
    const n = layout.n;
    const params = v.params;
    const slot = v.grads[local];
    const flat = model.flatten({ params, grads: slot, keepValues: false });
    // DDP's _sync_params_and_buffers: one build's state on every rank. The parameters are the
    // run's shared ones (written by the main thread): the broadcast is a barrier. Buffers
    // (running statistics) live in each worker: rank 0's go to the others.
    comm.broadcast(params, 0);
    const buffers = model.namedBuffers();
    const packed = new Float64Array(buffers.reduce((s, [, b]) => s + b.size, 0));
    let at = 0;
    for (const [, b] of buffers) {
      if (rank === 0) packed.set(b.data, at);
      at += b.size;
    }
    comm.broadcast(packed, 0);
    at = 0;
    for (const [, b] of buffers) {
      if (rank !== 0) b.data.set(packed.subarray(at, at + b.size));
      at += b.size;
    }
    const [lo, hi] = comm.shard(n);
    // One worker: the gradient slot is the reduced gradient — no copy.
    const reduced = init.worldSize === 1 && worldSize === 1 ? slot : v.reduced;
    // wasm backend: this worker's kernels over the shared memory, its scratch range its own. The
    // kernel interface then runs every call whose operands lie there in place: gemm reads weights
    // and activations, the all-reduce (sumRanks) and the finiteness check run on the shared
    // gradient slots. The optimiser steps below are pointer-level calls on the same memory.
    const kernels = init.memory ? workerKernels(init.memory, layout, local) : null;
    setThreadWasmKernels(kernels);
    const { optimizers, groupLrs, baseLr } = this.optimizers(init, flat.layout, lo, hi, params, reduced, v.state, kernels);
    const timings = new Float64Array(init.timings, local * 32, 4);
    this.arena = new Arena({ buffer: init.buffer, byteOffset: layout.arena + local * layout.arenaBytes, byteLength: layout.arenaBytes });
    let transform: TransformBatch | null = null;
    if (init.hooks) {
      const mod = await import(init.hooks);
      transform = mod.transformBatch ?? null;
    }
    this.engine = new Engine({
      comm, model, params, grad: slot, reduced, optimizers, groupLrs, baseLr,
      loss: init.loss, lossFn: factory.loss, l1: init.l1, nonFinite: init.nonFinite,
      accumulationSteps: init.accumulationSteps, clip: init.clip, arena: this.arena, rng, transform, timings,
    });
  }

  /** The run's SharedCommunicator, or the one a CommunicatorSpec module composes over it. */
  private async communicator(init: WorkerInit): Promise<EngineCommunicator> {
    if (!init.communicator) return this.comm;
    const where = `communicator module ${init.communicator.module}`;
    const mod = (await import(init.communicator.module)) as { createCommunicator?: (a: { local: SharedCommunicator; options?: unknown }) => EngineCommunicator | Promise<EngineCommunicator> };
    if (typeof mod.createCommunicator !== "function") throw new Error(`${where} exports no createCommunicator({ local, options })`);
    return mod.createCommunicator({ local: this.comm, options: init.communicator.options });
  }

  /** One optimiser per run of one parameter group in this rank's range, its state the shared arrays' same range. */
  private optimizers(init: WorkerInit, layout: readonly { name: string; offset: number; size: number }[], lo: number, hi: number, params: Float32Array, reduced: Float32Array, state: Record<string, Float32Array>, kernels: WasmKernels | null) {
    const type = init.optimizer.type as OptimizerType;
    const config = init.optimizer.config;
    const memoryBuffer = init.buffer;
    const inMemory = (...a: (Float32Array | Float64Array | null)[]) => a.every((x) => x === null || x.buffer === memoryBuffer);
    const adamKernel: AdamKernel | undefined = kernels
      ? (p, g, m1, m2, mx, h) => {
          if (!inMemory(p, g, m1, m2, mx)) return false;
          kernels.adamPtr(p.length, p.byteOffset, g.byteOffset, m1.byteOffset, m2.byteOffset, mx ? mx.byteOffset : 0, h);
          return true;
        }
      : undefined;
    const baseLr = createOptimizer(type, { params: new Float32Array(1), grads: new Float32Array(1) }, config).lr;
    const optimizers: Optimizer[] = [];
    const groupLrs: number[] = [];
    for (const { a, b, group } of groupRuns(layout, init.paramGroups, lo, hi)) {
      const { params: _names, ...options } = group === 0 ? { params: [] } : init.paramGroups[group - 1];
      const opt = createOptimizer(type, { params: params.subarray(a, b), grads: reduced.subarray(a, b) }, { ...config, ...options }, {
        allocState: (name, length) => {
          const arr = state[name];
          if (!arr) throw new Error(`optimizer state ${name} has no shared buffer`);
          if (length !== b - a) throw new Error(`optimizer state ${name}: expected ${b - a} values, asked for ${length}`);
          return arr.subarray(a, b);
        },
        adamKernel,
        // SGD and RMSprop in place on the shared memory too (float64 lanes: the JS loop's bits).
        sgdKernel: kernels
          ? (p, g, buf, h) => {
              if (!inMemory(p, g, buf)) return false;
              kernels.sgdPtr(p.length, p.byteOffset, g.byteOffset, buf ? buf.byteOffset : 0, h);
              return true;
            }
          : undefined,
        rmspropKernel: kernels
          ? (p, g, sq, gAvg, buf, h) => {
              if (!inMemory(p, g, sq, gAvg, buf)) return false;
              kernels.rmspropPtr(p.length, p.byteOffset, g.byteOffset, sq.byteOffset, gAvg ? gAvg.byteOffset : 0, buf ? buf.byteOffset : 0, h);
              return true;
            }
          : undefined,
      });
      optimizers.push(opt);
      groupLrs.push(opt.lr);
    }
    return { optimizers, groupLrs, baseLr };
  }

  setData(data: DataBuffers): void {
    const size = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
    const nx = data.rows * size(data.sampleShape);
    const ny = data.rows * size(data.targetShape);
    const x = data.xKind === "int32" ? new Int32Array(data.x, data.xOffset, nx) : new Float32Array(data.x, data.xOffset, nx);
    const y = data.targetKind === "index" ? new Int32Array(data.y, data.yOffset, ny) : new Float32Array(data.y, data.yOffset, ny);
    const inRun = data.inRun && data.x === this.init.buffer && data.y === this.init.buffer
      ? { all: new Int32Array(this.init.buffer), x0: data.xOffset >> 2, y0: data.yOffset >> 2 }
      : null;
    this.engine.setData({ x, sampleShape: data.sampleShape, y, targetShape: data.targetShape, rows: data.rows, inRun });
  }

  runSteps(req: StepsRequest): StepsResult {
    const { rank } = this.init;
    const ctl = this.ctl;
    const fault = this.fault;
    const reporter: StepReporter = {
      stepBegun(step) {
        Atomics.store(ctl, progressSlot(rank), step + 1);
        if (fault && fault.rank === rank && fault.step === step) injectFault(fault);
      },
      stepsDone(done) {
        if (rank === 0) Atomics.store(ctl, CTL.STEPS_DONE, done);
      },
    };
    return this.engine.runSteps({ indices: new Int32Array(req.indices), batches: req.batches, firstStep: req.firstStep, lr: req.lr }, reporter);
  }

  /** Forward in eval mode over this rank's shard of `indices`; no synchronisation. */
  evaluate(indicesBuf: SharedArrayBuffer, count: number, batchSize: number): EvalResult {
    return this.failing(() => this.engine.evaluate(new Int32Array(indicesBuf), count, batchSize));
  }

  arenaStats(): ArenaStats {
    return this.arena.stats();
  }

  /** Buffers (running statistics) and the optimiser's step count, for checkpoints. */
  getState(): { buffers: Record<string, Float32Array>; optimizerStep: number } {
    const buffers: Record<string, Float32Array> = {};
    for (const [k, b] of this.engine.model.namedBuffers()) buffers[k] = Float32Array.from(b.data);
    const first = this.engine.optimizers[0];
    const st = first ? (first.stateDict().state as { step?: number }) : {};
    return { buffers, optimizerStep: st.step ?? 0 };
  }

  /** Restores buffers and the optimiser's step count (its state arrays are already in shared memory). */
  setState(buffers: Record<string, Float32Array>, optimizerStep: number | null): void {
    this.failing(() => {
      const own = new Map(this.engine.model.namedBuffers());
      for (const [k, v] of Object.entries(buffers)) {
        const b = own.get(k);
        if (!b) throw new Error(`setState: unknown buffer ${k}`);
        b.data.set(v);
      }
      if (optimizerStep === null) return;
      for (const opt of this.engine.optimizers) {
        const sd = opt.stateDict();
        (sd.state as { step?: number }).step = optimizerStep;
        opt.loadStateDict(sd);
      }
    });
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
}

if (!parentPort) throw new Error("@weft/parallel worker.js must run in a worker_thread");
Comlink.expose(new Worker(), nodeEndpoint(parentPort));
