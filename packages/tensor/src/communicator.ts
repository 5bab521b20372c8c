/**
 * The collective-communication contract between the workers of a data-parallel run.
 *
 * Layers that need to synchronise (SyncBatchNorm) and the data-parallel step depend only on
 * this interface; the shared-memory implementation over `worker_threads` lives in
 * `@weft/parallel`, and {@link LocalCommunicator} is the one-worker case.
 */

/**
 * Collective communication between the W workers of a data-parallel run. Every rank calls the
 * same collectives in the same order with the same sizes — even a rank whose shard of a batch
 * is empty — or the run deadlocks.
 */
export interface Communicator {
  /** This worker's index, in [0, worldSize). */
  readonly rank: number;
  /** The number of workers, W ≥ 1. */
  readonly worldSize: number;
  /**
   * In-place sum across ranks: afterwards every rank's `data` holds the elementwise sum of all
   * ranks' `data`. The sum is taken in rank order 0..W−1, so every rank ends with identical
   * bits. Synchronous: returns once the result is in `data`.
   */
  allReduce(data: Float32Array | Float64Array): void;
  /** Returns once every rank has called `barrier()` (the same number of times). */
  barrier(): void;
}

/**
 * The communicator of a run with one worker (world size 1): `allReduce` leaves the data as it
 * is (the sum over one rank) and `barrier` returns at once.
 *
 * @example
 * const comm = new LocalCommunicator();
 * const stats = new Float64Array([sum, sumSq, count]);
 * comm.allReduce(stats); // unchanged: this worker is the whole world
 */
export class LocalCommunicator implements Communicator {
  /** Always 0. */
  readonly rank = 0;
  /** Always 1. */
  readonly worldSize = 1;

  /** The sum over a single rank: `data` is left unchanged. */
  allReduce(data: Float32Array | Float64Array): void {
    void data;
  }

  /** Nothing to wait for with one rank. */
  barrier(): void {}
}
