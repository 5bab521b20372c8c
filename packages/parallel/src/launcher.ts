/**
 * The launcher: W worker_threads of one run and the control block they share — what torchrun is
 * to a PyTorch job. It starts the threads, carries control-plane calls to them (comlink), and
 * turns any failure (a worker that throws, exits or stops responding) into one error naming the
 * worker and step, then ends the pool: no call ever waits on a worker that cannot answer. It
 * knows nothing of models or steps; the engine (engine.ts, in each worker) does.
 */
import { Worker } from "node:worker_threads";
import type { Remote } from "comlink";
import { Comlink, nodeEndpoint } from "./comlink.js";
import { CTL, abort, controlWords, progressSlot } from "./control.js";

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

const STALL_HINT = "(stuck, or its steps take longer than that: raise barrierTimeoutMs)";

export class ThreadLauncher<Api> {
  readonly worldSize: number;
  /** The shared control block (see CTL): barrier words, abort flag, progress. */
  readonly control: Int32Array;
  readonly remotes: Remote<Api>[];
  private readonly threads: Worker[];
  private exitError: Error | null = null;
  private closedFlag = false;
  /** Calls to the workers in flight. */
  private inFlight = 0;
  /** The global step of the current call, for a worker that exits mid-call. */
  private stepBase = 0;

  /**
   * @param script the worker module's URL
   * @param timeoutMs a worker that stops responding this long ends the call (see DataParallelOptions.barrierTimeoutMs)
   */
  constructor(script: URL, worldSize: number, readonly timeoutMs: number) {
    this.worldSize = worldSize;
    this.control = new Int32Array(new SharedArrayBuffer(controlWords(worldSize) * 4));
    this.control[CTL.FAILED_RANK] = -1;
    this.threads = Array.from({ length: worldSize }, () => new Worker(script));
    this.remotes = this.threads.map((t) => Comlink.wrap<Api>(nodeEndpoint(t)));
    for (const [rank, t] of this.threads.entries()) {
      t.on("error", (e) => this.onExit(rank, e.message));
      t.on("exit", (code) => {
        if (!this.closedFlag) this.onExit(rank, `exited unexpectedly with code ${code}`);
      });
    }
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Whether a call is in flight. */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  private onExit(rank: number, message: string): void {
    if (this.closedFlag || this.exitError) return;
    // The step the worker was in: the one it last began (its progress slot holds that global step
    // + 1), or the call's next one if it began none since. Not STEPS_DONE alone: rank 0 stores it
    // after its all-gather, and a worker that leaves the same all-gather first may begin the next
    // step and exit before rank 0 has stored it (a race issue 17 reports failing on Node 24).
    const began = Atomics.load(this.control, progressSlot(rank)) - 1;
    abort(this.control, rank, Math.max(this.stepBase + Atomics.load(this.control, CTL.STEPS_DONE), began));
    this.exitError = new WorkerError(rank, Atomics.load(this.control, CTL.FAILED_STEP), message);
  }

  ensureOpen(): void {
    if (this.closedFlag) throw new Error("DataParallel: the pool is closed (after close() or a worker failure); create a new one");
  }

  /**
   * Awaits every worker's call. On a failure (a worker throws, exits or times out) it waits
   * briefly for the first failing worker's own message, terminates the pool and throws one
   * WorkerError naming that worker and step — never waiting on a worker that cannot answer.
   * `watchSteps`: the call runs steps (at W = 1, where no barrier can time out, the launcher
   * watches the worker's progress word itself).
   */
  async call<T>(step: number, calls: (remote: Remote<Api>, rank: number) => Promise<T>, watchSteps = false): Promise<T[]> {
    this.inFlight++;
    this.stepBase = step;
    try {
      return await this.settle(step, this.remotes.map((r, rank) => calls(r, rank)), watchSteps);
    } finally {
      this.inFlight--;
    }
  }

  /** A call to one worker (rank 0's state, say), guarded like {@link call}. */
  async callOne<T>(step: number, rank: number, fn: (remote: Remote<Api>) => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      const [v] = await this.settle(step, [fn(this.remotes[rank])], false);
      return v;
    } finally {
      this.inFlight--;
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
      if (stalled() || this.exitError || this.closedFlag) wake();
    }, 20);
    try {
      const all = Promise.all(calls);
      all.catch(() => {});
      const done = await Promise.race([all.then((v) => ({ v })), failed.then(() => null)]);
      if (done) return done.v;
      if (this.closedFlag && errors.size === 0 && !this.exitError) throw new Error("DataParallel: the pool was closed while a call was in flight");
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

  /** Terminates the workers. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const r of this.remotes) (r as unknown as Record<symbol, () => void>)[Comlink.releaseProxy]();
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}
