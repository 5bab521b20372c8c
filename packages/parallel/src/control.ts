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
  /** Step + 1 of a step whose reduced gradient some worker found non-finite ("skip" policy). */
  NONFINITE: 6,
  LENGTH: 8,
} as const;

/** Thrown in a worker that was woken by an abort it did not cause. */
export class AbortedError extends Error {
  constructor(rank: number) {
    super(`worker ${rank}: aborted because another worker failed`);
    this.name = "AbortedError";
  }
}

/** Marks the run aborted (first failure wins) and wakes every waiter. */
export function abort(ctl: Int32Array, rank: number, step: number): void {
  if (Atomics.compareExchange(ctl, CTL.ABORT, 0, 1) === 0) {
    Atomics.store(ctl, CTL.FAILED_RANK, rank);
    Atomics.store(ctl, CTL.FAILED_STEP, step);
  }
  Atomics.add(ctl, CTL.GEN, 1);
  Atomics.notify(ctl, CTL.GEN);
}
