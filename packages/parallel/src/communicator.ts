/**
 * The collectives the data-parallel engine calls — and nothing else: the step loop never reads
 * another worker's memory itself. @weft/tensor's `Communicator` (rank, worldSize, allReduce,
 * barrier) is what layers such as SyncBatchNorm need; the engine needs the rest of a process
 * group: reduce-scatter of the gradient, all-gather of the updated parameters, broadcast of the
 * initial state, and an abort that wakes every rank. {@link SharedCommunicator} implements them
 * over the shared memory of one machine's worker_threads; a communicator across hosts (MPI)
 * implements the same interface, and the engine does not change.
 *
 * Contract, as for MPI collectives: every rank calls the same collectives in the same order with
 * the same lengths, even a rank whose shard of a batch is empty. Sums are taken in rank order
 * 0…W−1 (in float64), so every rank ends with identical bits.
 */
import type { Communicator } from "@weft/tensor";

export interface EngineCommunicator extends Communicator {
  /**
   * `[lo, hi)`: this rank's range of a flat buffer of `length` values, in reduceScatter and
   * allGather. The ranges of ranks 0…W−1 are contiguous, in order, and cover `[0, length)`.
   */
  shard(length: number): [number, number];
  /**
   * Sum over ranks of `send` (each rank's full buffer of n values), scattered: afterwards
   * `recv[lo, hi)` holds Σ_r send_r[lo, hi) for this rank's {@link shard}. The rest of `recv` is
   * left as it was. `send` must not change until the next collective returns (other ranks may
   * still read it); `recv` may be `send`.
   */
  reduceScatter(send: Float32Array, recv: Float32Array): void;
  /**
   * Each rank has written its {@link shard} of `data`; afterwards every rank's `data` holds every
   * rank's range (the parameters after a sharded optimiser step).
   */
  allGather(data: Float32Array): void;
  /** Afterwards every rank's `data` holds rank `root`'s (the initial parameters and buffers). */
  broadcast(data: Float32Array | Float64Array, root: number): void;
  /**
   * Ends the run: marks it failed at `step` (this rank the first failure, unless one came
   * before) and wakes every rank waiting in a collective, which then throws.
   */
  abort(step: number): void;
  /**
   * True when another rank steps this rank's {@link shard} range too (a hierarchical communicator
   * whose hosts each step the whole buffer, as @weft/mpi's): the engine then counts this rank's
   * range-wise partials (the gradient norm's) as 0, so each range counts once. Absent: false.
   */
  readonly replica?: boolean;
  /** Where the caller is, for messages of a timed-out collective. */
  step: number;
}
