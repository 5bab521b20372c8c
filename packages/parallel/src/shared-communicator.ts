/**
 * The EngineCommunicator of the W worker_threads of one run, over shared memory: a generation
 * barrier on Atomics; reduce-scatter and all-gather zero-copy over the run's gradient slots and
 * parameters (the buffers every worker sees); all-reduce and broadcast of anything else through
 * per-rank scratch slots, in chunks, so a call of any length works. Sums in rank order.
 */
import { availableParallelism } from "node:os";
import { kernels } from "@weft/tensor";
import type { EngineCommunicator } from "./communicator.js";
import { AbortedError, CTL, abort, arrivedSlot, controlWords } from "./control.js";
import { paramRange } from "./plan.js";

/**
 * How long a rank that arrives early at a barrier polls the generation before it sleeps in
 * Atomics.wait. A futex wake-up costs the woken thread ≈ 10–15 µs (bench:allreduce's barrier
 * round trip), which dominated the all-reduce of small models; polling for up to this long
 * catches the usual arrival spread of a data-parallel step's two barriers at ≈ 1 µs. Only when
 * every worker has a core of its own (W ≤ available parallelism): otherwise a poller would take
 * the core the rank it waits for needs.
 */
const SPIN_MS = 0.05;

/** The run's shared flat buffers that reduceScatter and allGather use in place. */
export interface SharedBuffers {
  /** The W gradient slots (slot r is rank r's `send`). */
  slots: readonly Float32Array[];
  /** The parameters every rank sees (allGather of them is a barrier). */
  params: Float32Array;
}

const sameView = (a: ArrayBufferView, b: ArrayBufferView): boolean => a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength;

export class SharedCommunicator implements EngineCommunicator {
  /** Seconds-scale stall detection: a barrier that waits longer than this aborts the run. */
  readonly timeoutMs: number;
  step = 0;
  /** Float64 values per rank of the scratch (a longer all-reduce or broadcast goes in chunks of this). */
  private readonly capacity: number;
  /** Poll this long before sleeping at a barrier (0 when workers outnumber cores). */
  private readonly spinMs: number;
  /** Whether the control block has per-rank arrival words (a run's does; a bare 8-word block, as bench:allreduce's, not). */
  private readonly tracksArrivals: boolean;

  /**
   * @param control the run's control block (see CTL)
   * @param scratch W equal float64 slots for all-reduce and broadcast (any length ≥ W: calls go in chunks)
   * @param shared the run's gradient slots and parameters, for zero-copy reduceScatter/allGather
   */
  constructor(
    readonly rank: number,
    readonly worldSize: number,
    private readonly control: Int32Array,
    private readonly scratch: Float64Array,
    timeoutMs = 30_000,
    private readonly shared: SharedBuffers | null = null,
  ) {
    this.capacity = Math.floor(scratch.length / worldSize);
    if (worldSize > 1 && this.capacity < 1) throw new Error(`SharedCommunicator: the scratch (${scratch.length} values) has no room for ${worldSize} ranks`);
    this.timeoutMs = timeoutMs;
    this.spinMs = worldSize <= availableParallelism() ? SPIN_MS : 0;
    this.tracksArrivals = control.length >= controlWords(worldSize);
  }

  shard(length: number): [number, number] {
    return paramRange(length, this.worldSize, this.rank);
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

  /** In-place sum over ranks (rank order 0..W−1, in float64): identical bits on every rank. Any length (chunked). */
  allReduce(data: Float32Array | Float64Array): void {
    const W = this.worldSize;
    if (W === 1) return;
    const s = this.scratch, cap = this.capacity;
    const chunks = Math.max(1, Math.ceil(data.length / cap));
    for (let c = 0, at = 0; c < chunks; c++, at += cap) {
      const n = Math.min(cap, data.length - at);
      s.set(data.subarray(at, at + n), this.rank * cap);
      this.barrier();
      for (let i = 0; i < n; i++) {
        let acc = 0;
        for (let r = 0; r < W; r++) acc += s[r * cap + i];
        data[at + i] = acc;
      }
      this.barrier(); // the slots are free again only once everyone has read them
    }
  }

  /**
   * The gradient's reduce-scatter. With `send` this rank's gradient slot of the run (the
   * engine's case) nothing is copied: the ranks meet at a barrier and each sums its range of all
   * slots in place (kernels().sumRanks: wasm SIMD on the shared memory). Anything else is first
   * copied into the slot.
   */
  reduceScatter(send: Float32Array, recv: Float32Array): void {
    const n = send.length;
    if (recv.length !== n) throw new Error(`reduceScatter: send has ${n} values but recv ${recv.length}`);
    const [lo, hi] = this.shard(n);
    if (this.worldSize === 1) {
      if (recv !== send) recv.set(send);
      return;
    }
    const slots = this.shared?.slots;
    if (!slots || slots[0].length !== n) throw new Error(`reduceScatter: this communicator's gradient slots hold ${slots?.[0].length ?? 0} values, not ${n}`);
    const mine = slots[this.rank];
    if (!sameView(send, mine)) mine.set(send);
    this.barrier();
    kernels().sumRanks(recv, slots, lo, hi);
  }

  /**
   * The parameters' all-gather. On the run's shared parameters every rank already sees every
   * range once all have written theirs: a barrier. Any other buffer is gathered through the
   * scratch (the other ranges zeroed, then summed: x + 0 is x exactly).
   */
  allGather(data: Float32Array): void {
    if (this.worldSize === 1) return;
    if (this.shared && sameView(data, this.shared.params)) {
      this.barrier();
      return;
    }
    const [lo, hi] = this.shard(data.length);
    const own = Float32Array.from(data.subarray(lo, hi));
    data.fill(0);
    data.set(own, lo);
    this.allReduce(data);
  }

  /** Rank `root`'s `data` to every rank: a barrier for the run's shared parameters, else through the scratch in chunks. */
  broadcast(data: Float32Array | Float64Array, root: number): void {
    const W = this.worldSize;
    if (!Number.isInteger(root) || root < 0 || root >= W) throw new Error(`broadcast: root ${root} is not a rank of ${W}`);
    if (W === 1) return;
    if (this.shared && sameView(data, this.shared.params)) {
      this.barrier();
      return;
    }
    const s = this.scratch, cap = this.capacity, at0 = root * cap;
    for (let at = 0; at < data.length; at += cap) {
      const n = Math.min(cap, data.length - at);
      if (this.rank === root) s.set(data.subarray(at, at + n), at0);
      this.barrier();
      if (this.rank !== root) for (let i = 0; i < n; i++) data[at + i] = s[at0 + i];
      this.barrier();
    }
  }

  abort(step: number): void {
    abort(this.control, this.rank, step);
  }
}
