/**
 * A Communicator over shared memory for the W worker_threads of one run: a generation barrier on
 * Atomics, and an all-reduce through per-rank scratch slots, summed in rank order so every rank
 * reads the same bits.
 */
import { availableParallelism } from "node:os";
import type { Communicator } from "@weft/tensor";
import { AbortedError, CTL, abort, arrivedSlot, controlWords } from "./control.js";

/**
 * How long a rank that arrives early at a barrier polls the generation before it sleeps in
 * Atomics.wait. A futex wake-up costs the woken thread ≈ 10–15 µs (bench:allreduce's barrier
 * round trip), which dominated the all-reduce of small models; polling for up to this long
 * catches the usual arrival spread of a data-parallel step's two barriers at ≈ 1 µs. Only when
 * every worker has a core of its own (W ≤ available parallelism): otherwise a poller would take
 * the core the rank it waits for needs.
 */
const SPIN_MS = 0.05;

export class SharedCommunicator implements Communicator {
  /** Seconds-scale stall detection: a barrier that waits longer than this aborts the run. */
  readonly timeoutMs: number;
  /** Where the caller is (for error messages): the current step. */
  step = 0;
  private readonly capacity: number;
  /** Poll this long before sleeping at a barrier (0 when workers outnumber cores). */
  private readonly spinMs: number;
  /** Whether the control block has per-rank arrival words (a run's does; a bare 8-word block, as bench:allreduce's, not). */
  private readonly tracksArrivals: boolean;

  /**
   * @param control the run's control block (see CTL)
   * @param scratch W × capacity float64 slots for all-reduce
   */
  constructor(
    readonly rank: number,
    readonly worldSize: number,
    private readonly control: Int32Array,
    private readonly scratch: Float64Array,
    timeoutMs = 30_000,
  ) {
    this.capacity = scratch.length / worldSize;
    this.timeoutMs = timeoutMs;
    this.spinMs = worldSize <= availableParallelism() ? SPIN_MS : 0;
    this.tracksArrivals = control.length >= controlWords(worldSize);
  }

  /** Waits until all W ranks arrive; throws if the run is aborted or the wait times out. */
  barrier(): void {
    if (this.worldSize === 1) return;
    const ctl = this.control;
    // gen before ABORT: abort() sets ABORT before bumping GEN, so either we see ABORT here or
    // the bump ends our wait below.
    const gen = Atomics.load(ctl, CTL.GEN);
    if (Atomics.load(ctl, CTL.ABORT)) throw new AbortedError(this.rank);
    if (this.tracksArrivals) Atomics.store(ctl, arrivedSlot(this.rank), gen + 1);
    if (Atomics.add(ctl, CTL.COUNT, 1) === this.worldSize - 1) {
      Atomics.store(ctl, CTL.COUNT, 0);
      Atomics.add(ctl, CTL.GEN, 1);
      Atomics.notify(ctl, CTL.GEN);
      return;
    }
    if (this.spinMs > 0) {
      const until = performance.now() + this.spinMs;
      while (Atomics.load(ctl, CTL.GEN) === gen) {
        // a few loads between clock reads: the clock costs more than a load of a shared word
        if (Atomics.load(ctl, CTL.GEN) !== gen || Atomics.load(ctl, CTL.GEN) !== gen) break;
        if (performance.now() > until) break;
      }
    }
    const deadline = Date.now() + this.timeoutMs;
    while (Atomics.load(ctl, CTL.GEN) === gen) {
      const left = deadline - Date.now();
      if (left <= 0) {
        // Name the workers that never came (the first one is the run's failure), not this one.
        const missing = this.tracksArrivals
          ? Array.from({ length: this.worldSize }, (_, r) => r).filter((r) => Atomics.load(ctl, arrivedSlot(r)) !== gen + 1)
          : [];
        if (missing.length > 0) abort(ctl, missing[0]!, this.step, true);
        const who = missing.length > 0 ? `worker ${missing.join(", ")}` : "another worker";
        throw new Error(`worker ${this.rank}: barrier timed out after ${this.timeoutMs} ms at step ${this.step} — ${who} is stuck or too slow (raise barrierTimeoutMs if steps are this long)`);
      }
      Atomics.wait(ctl, CTL.GEN, gen, left);
    }
    if (Atomics.load(ctl, CTL.ABORT)) throw new AbortedError(this.rank);
  }

  /** In-place sum over ranks (rank order 0..W−1, in float64): identical bits on every rank. */
  allReduce(data: Float32Array | Float64Array): void {
    if (this.worldSize === 1) return;
    const n = data.length;
    if (n > this.capacity) throw new Error(`allReduce of ${n} values exceeds the communicator's scratch capacity of ${this.capacity}`);
    const s = this.scratch;
    s.set(data, this.rank * this.capacity);
    this.barrier();
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let r = 0; r < this.worldSize; r++) acc += s[r * this.capacity + i];
      data[i] = acc;
    }
    this.barrier(); // the slots are free again only once everyone has read them
  }
}
