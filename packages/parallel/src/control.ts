/**
 * The shared control block: one Int32Array over a SharedArrayBuffer that every worker and the
 * main thread see. The hot loop synchronises only through it (Atomics.wait / notify).
 */
export const CTL = {
  /** Barrier generation, bumped by the last arriver (and by an abort, to wake every waiter). */
  GEN: 0,
  /** Barrier arrivals in the current generation. */
  COUNT: 1,
  /** 1 once the run is aborted (a worker failed, exited, or timed out). */
  ABORT: 2,
  /** Rank of the first worker that failed, −1 if none. */
  FAILED_RANK: 3,
  /** Step at which it failed. */
  FAILED_STEP: 4,
  /** Steps completed in the current runSteps call (progress). */
  STEPS_DONE: 5,
  // Word 6 is free: the "skip" policy's agreement is a flag all-reduce on the communicator now.
  /** 1 when the failure is a stall: FAILED_RANK is the worker that stopped responding, not one that threw. */
  STALLED: 7,
  /** Words before the per-rank ones (see {@link arrivedSlot}, {@link progressSlot}). */
  LENGTH: 8,
} as const;

/** Where rank r writes `generation + 1` of the barrier it waits at: a timed-out waiter reads who never came. */
export const arrivedSlot = (rank: number): number => CTL.LENGTH + 2 * rank;
/** Where rank r writes `step + 1` of the step it is in: at W = 1 (no barrier) the main thread watches it. */
export const progressSlot = (rank: number): number => CTL.LENGTH + 2 * rank + 1;
/** Int32 words of the control block of a run of W workers. */
export const controlWords = (worldSize: number): number => CTL.LENGTH + 2 * worldSize;

/**
 * Thrown in a worker that was woken by an abort it did not cause (`message`: what it was doing;
 * a communicator across hosts throws it for a wait the abort cut short). The engine and the
 * launcher report the worker that caused the abort, never one that threw this.
 */
export class AbortedError extends Error {
  constructor(rank: number, message?: string) {
    super(message ?? `worker ${rank}: aborted because another worker failed`);
    this.name = "AbortedError";
  }
}

/**
 * Marks the run aborted (first failure wins) and wakes every waiter. `stalled`: `rank` is a
 * worker that stopped responding (named by whoever noticed), not the caller.
 */
export function abort(ctl: Int32Array, rank: number, step: number, stalled = false): void {
  if (Atomics.compareExchange(ctl, CTL.ABORT, 0, 1) === 0) {
    Atomics.store(ctl, CTL.FAILED_RANK, rank);
    Atomics.store(ctl, CTL.FAILED_STEP, step);
    if (stalled) Atomics.store(ctl, CTL.STALLED, 1);
  }
  Atomics.add(ctl, CTL.GEN, 1);
  Atomics.notify(ctl, CTL.GEN);
}
