/**
 * The data-parallel engine's collectives across hosts, hierarchical: inside a host (one MPI
 * process) its W worker_threads reduce over shared memory with their {@link SharedCommunicator}
 * as on one machine; across the H hosts, worker l of every host exchanges its range with its
 * counterparts over MPI channel l (all W channels at once: MPI_THREAD_MULTIPLE). A step:
 *
 *   reduce-scatter inside (shared memory; worker l sums its range of the host's W gradients)
 *   → all-reduce of that range across hosts (MPI_Allreduce on channel l)
 *   → the sharded optimiser step (worker l steps range l — on every host alike)
 *   → all-gather inside (a barrier over the shared parameters; nothing crosses hosts).
 *
 * Each host so sends and receives each gradient byte a constant number of times (ring all-reduce:
 * 2·(H−1)/H of the gradient), and never the parameters: every host computes the same update from
 * the same reduced gradient. The ranges are replicated across hosts (`replica` on hosts ≠ 0), so
 * a range-wise partial (the gradient norm's) counts once.
 *
 * Ranks are global: rank = host·W + worker, worldSize = H·W; the engine splits each batch over all
 * of them. Sums: inside a host in worker order (float64); across hosts Open MPI's reduction,
 * deterministic for a given topology (with 2 hosts exact: a + b = b + a) — the same seed and
 * topology give the same bits, and every rank of every host reads the same bits.
 *
 * A failing rank aborts its host's run (every local waiter wakes, those waiting in MPI too: the
 * waits across hosts poll the host's abort flag); the host's process must then exit or call the
 * addon's `abort` — mpirun ends the other hosts within about a second. A wait across hosts that
 * lasts longer than the run's timeout (barrierTimeoutMs: a host that stays alive but never comes)
 * fails the run too, so no host hangs.
 */
import { AbortedError, type EngineCommunicator } from "@weft/parallel";
import { loadMpi, type MpiAddon } from "./addon.js";

export interface MpiCommunicatorOptions {
  /**
   * Int32Array over a SharedArrayBuffer every worker of this process sees: set by abort(), and
   * watched by every wait across hosts (which then gives up, so the worker can unwind).
   */
  abortFlag?: Int32Array;
  /**
   * ms a wait across hosts may last before it fails the run; default the local communicator's
   * `timeoutMs` (DataParallel's barrierTimeoutMs), else 30 s. 0: plain blocking MPI calls — no
   * timeout and no abort watch (a host that stays alive but silent then hangs the others), but
   * no nonblocking-collective overhead: measured here ≈ 70 µs more per small all-reduce watched
   * (Open MPI's libnbc) than blocking (≈ 3 µs), about the same from 100 k floats up.
   */
  timeoutMs?: number;
}

export class MpiCommunicator implements EngineCommunicator {
  /** This host's MPI rank and the number of hosts (MPI world size). */
  readonly host: number;
  readonly hosts: number;
  readonly rank: number;
  readonly worldSize: number;
  /** Hosts other than 0 step the same ranges as host 0: their range-wise partials count as 0. */
  readonly replica: boolean;
  private readonly channel: number;
  private readonly mpi: MpiAddon;
  private readonly flag: Int32Array;
  private readonly timeoutMs: number;

  /**
   * @param local this worker's communicator inside its host (the worker's SharedCommunicator)
   * @param mpi the addon; MPI initialised on this process's main thread with ≥ local.worldSize channels
   */
  constructor(private readonly local: EngineCommunicator, options: MpiCommunicatorOptions = {}, mpi: MpiAddon = loadMpi()) {
    const info = mpi.info();
    if (!info.initialized) throw new Error("MpiCommunicator: MPI is not initialised in this process: call initMpi(workers) from @weft/mpi on the main thread before DataParallel.create");
    if (info.channels < local.worldSize) throw new Error(`MpiCommunicator: ${local.worldSize} workers need ${local.worldSize} MPI channels but initMpi made ${info.channels}: call initMpi(${local.worldSize})`);
    this.mpi = mpi;
    this.host = info.rank;
    this.hosts = info.size;
    this.channel = local.rank;
    this.rank = this.host * local.worldSize + local.rank;
    this.worldSize = this.hosts * local.worldSize;
    this.replica = this.host !== 0;
    this.flag = options.abortFlag ?? new Int32Array(new SharedArrayBuffer(4));
    this.timeoutMs = options.timeoutMs ?? (local as { timeoutMs?: number }).timeoutMs ?? 30_000;
  }

  /** Runs one wait across hosts (watched unless timeoutMs is 0); a timeout or an abort becomes an error that says where. */
  private across(what: string, call: (flag: Int32Array | undefined, timeoutMs: number | undefined) => void): void {
    try {
      if (this.timeoutMs === 0) call(undefined, undefined);
      else call(this.flag, this.timeoutMs);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const who = `MPI rank ${this.host} (worker ${this.channel})`;
      if (code === "EMPI_TIMEOUT") {
        Atomics.store(this.flag, 0, 1);
        throw new Error(`${who}: ${what} across hosts did not complete within ${this.timeoutMs} ms at step ${this.step} — another host is stuck or too slow (raise barrierTimeoutMs, or --worker-timeout)`);
      }
      // Cut short by an abort this worker did not cause (another worker's timeout or failure, which
      // reports itself): an AbortedError, so that it never claims to be the run's failure.
      if (code === "EMPI_ABORTED") throw new AbortedError(this.rank, `${who}: ${what} across hosts abandoned: the run was aborted`);
      throw e;
    }
  }

  get step(): number {
    return this.local.step;
  }

  set step(s: number) {
    this.local.step = s;
  }

  /** This worker's range inside its host; the same on every host (replicated). */
  shard(length: number): [number, number] {
    return this.local.shard(length);
  }

  /** Every worker of every host: the local barrier, then worker l's with its counterparts. */
  barrier(): void {
    this.local.barrier();
    if (this.hosts > 1) this.across("a barrier", (f, t) => this.mpi.barrier(this.channel, f, t));
  }

  /**
   * In-place sum over all ranks of all hosts. `data` must be this worker's own (SyncBatchNorm's
   * statistics, loss shares), not memory the host's other workers pass too.
   */
  allReduce(data: Float32Array | Float64Array): void {
    this.local.allReduce(data);
    if (this.hosts > 1) this.across("an all-reduce", (f, t) => this.mpi.allReduce(this.channel, data, "sum", f, t));
  }

  /** `recv[lo, hi)` = Σ over every rank of every host of `send[lo, hi)`, for this worker's range. */
  reduceScatter(send: Float32Array, recv: Float32Array): void {
    this.local.reduceScatter(send, recv);
    if (this.hosts === 1) return;
    const [lo, hi] = this.local.shard(send.length);
    this.across("the gradient's all-reduce", (f, t) => this.mpi.allReduce(this.channel, recv.subarray(lo, hi), "sum", f, t));
  }

  /** Every host stepped the same ranges: gathering inside the host completes `data`. */
  allGather(data: Float32Array): void {
    this.local.allGather(data);
  }

  /** Rank `root`'s data (host ⌊root / W⌋, worker root mod W) to every rank: inside its host, across hosts on channel 0, inside every host. */
  broadcast(data: Float32Array | Float64Array, root: number): void {
    if (!Number.isInteger(root) || root < 0 || root >= this.worldSize) throw new Error(`broadcast: root ${root} is not a rank of ${this.worldSize}`);
    const W = this.local.worldSize;
    const rootHost = Math.floor(root / W);
    this.local.broadcast(data, root % W);
    if (this.hosts === 1) return;
    if (this.local.rank === 0) this.across("a broadcast", (f, t) => this.mpi.bcast(0, data, rootHost, f, t));
    this.local.broadcast(data, 0);
  }

  /** Aborts this host's run (its waiters wake, in MPI too); the process's exit then ends the other hosts. */
  abort(step: number): void {
    Atomics.store(this.flag, 0, 1);
    this.local.abort(step);
  }
}
