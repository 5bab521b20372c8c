/**
 * The native addon (addon/weft_mpi.c, built at install by scripts/build-addon.mjs), loaded on
 * first use — importing @weft/mpi never loads it, so a machine without MPI imports it fine and a
 * call says what to install.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The typed arrays the collectives take (MPI_FLOAT, MPI_DOUBLE, MPI_INT32_T, MPI_UINT8_T). */
export type MpiArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface MpiInfo {
  initialized: boolean;
  /** This process's rank in MPI_COMM_WORLD, and the world's size (1 without mpirun: a singleton). */
  rank: number;
  size: number;
  /** Communicators duplicated from MPI_COMM_WORLD (one per worker thread of a process). */
  channels: number;
  /** The thread level MPI provided (3 = MPI_THREAD_MULTIPLE); −1 before init. */
  threadLevel: number;
  /** MPI_Get_library_version. */
  library: string;
}

/**
 * The addon's functions. Collectives take a `channel` (0…channels−1 of {@link MpiAddon.init}):
 * one thread at a time per channel. They block the calling thread (MPI busy-polls): call them from
 * a worker_thread, never the main thread of a process that must stay responsive.
 */
export interface MpiAddon {
  /** MPI_Init_thread(MPI_THREAD_MULTIPLE) once per process (main thread), then MPI_COMM_WORLD duplicated up to `channels` times. Collective: every rank, same `channels`. */
  init(channels: number): MpiInfo;
  info(): MpiInfo;
  /**
   * In place: every rank's `data` becomes the element-wise reduction over ranks. With `flag` or
   * `timeoutMs` (here and in bcast, barrier) the call polls a nonblocking MPI_I… instead: it
   * throws (code EMPI_ABORTED) as soon as `flag[0]` is non-zero, and (EMPI_TIMEOUT) after
   * `timeoutMs` (0: never). A collective cannot be cancelled: after such a throw, end the process.
   */
  allReduce(channel: number, data: MpiArray, op?: "sum" | "max" | "min", flag?: Int32Array, timeoutMs?: number): void;
  /** `recv` (n values) = Σ over ranks of `send[rank·n, rank·n + n)`; `send` holds size·n values. */
  reduceScatterBlock(channel: number, send: MpiArray, recv: MpiArray): void;
  /** `recv[r·n, r·n + n)` = rank r's `send` (n values); `send` null: in place, this rank's block already in `recv`. */
  allGather(channel: number, send: MpiArray | null, recv: MpiArray): void;
  /** Every rank's `data` = rank `root`'s. */
  bcast(channel: number, data: MpiArray, root: number, flag?: Int32Array, timeoutMs?: number): void;
  barrier(channel: number, flag?: Int32Array, timeoutMs?: number): void;
  /** A barrier on a libuv pool thread: the main thread stays free. */
  barrierAsync(channel: number): Promise<void>;
  /** `message` on stderr, then MPI_Abort of the whole job with `code` (every rank ends). */
  abort(code: number, message?: string): never;
  /** MPI_Finalize (waits for every rank). Every exit path of a rank must call it: mpirun treats an exit without it as an abort. */
  finalize(): void;
}

const INSTALL = "apt-get install -y openmpi-bin libopenmpi-dev";
const addonPath = fileURLToPath(new URL("../build/weft_mpi.node", import.meta.url));
let loaded: MpiAddon | null = null;

/** Why the addon is missing, and exactly what to do about it. */
function missingMessage(cause?: unknown): string {
  const hasMpicc = !spawnSync("mpicc", ["--showme:version"]).error;
  const why = cause instanceof Error ? ` (${cause.message.split("\n")[0]})` : "";
  return hasMpicc
    ? `@weft/mpi: the native addon ${addonPath} is not built or does not load${why}. Build it: pnpm --filter @weft/mpi build`
    : `@weft/mpi needs Open MPI, which is not installed here${why}. Install it (as root): ${INSTALL} (or scripts/ensure-mpi.sh), then build the addon: pnpm --filter @weft/mpi build`;
}

/** Whether the addon is built and loads (no MPI call is made). */
export function mpiAvailable(): boolean {
  try {
    loadMpi();
    return true;
  } catch {
    return false;
  }
}

/** The addon, loaded once per thread; throws what to install when it is missing. */
export function loadMpi(): MpiAddon {
  if (loaded) return loaded;
  if (!existsSync(addonPath)) throw new Error(missingMessage());
  try {
    loaded = createRequire(import.meta.url)(addonPath) as MpiAddon;
  } catch (e) {
    throw new Error(missingMessage(e));
  }
  return loaded;
}
