/**
 * @weft/mpi: weft's data-parallel engine across hosts over Open MPI — a small Node-API addon
 * (collectives in place on typed arrays) and {@link MpiCommunicator}, shared memory inside a host
 * and MPI across hosts.
 */
import { loadMpi, type MpiInfo } from "./addon.js";

export { loadMpi, mpiAvailable } from "./addon.js";
export type { MpiAddon, MpiArray, MpiInfo } from "./addon.js";
export { MpiCommunicator } from "./mpi-communicator.js";
export type { MpiCommunicatorOptions } from "./mpi-communicator.js";

/**
 * Initialises MPI in this process (on the main thread, before DataParallel.create) with one
 * channel per worker thread. Collective: every rank calls it with the same `workers`.
 * Without mpirun a process is a world of one (a singleton).
 */
export function initMpi(workers: number): MpiInfo {
  return loadMpi().init(workers);
}

/** MPI_Finalize: call it on every exit path of a rank (an exit without it aborts the whole job). */
export function finalizeMpi(): void {
  loadMpi().finalize();
}

/** Prints `message` and ends the whole job (every rank) with `code`: MPI_Abort. */
export function abortMpi(code: number, message: string): never {
  return loadMpi().abort(code, message);
}

/**
 * DataParallel's `communicator` option for a run across hosts: `DataParallel.create({ …,
 * communicator: mpiCommunicator() })`. Its options carry the process's abort flag (a
 * SharedArrayBuffer every worker of the run shares): one per DataParallel. `timeoutMs`: see
 * {@link MpiCommunicatorOptions} (default the run's barrierTimeoutMs; 0: blocking MPI calls).
 */
export function mpiCommunicator(options: { timeoutMs?: number } = {}): { module: string; options: { abort: SharedArrayBuffer; timeoutMs?: number } } {
  return { module: new URL("./communicator-module.js", import.meta.url).href, options: { abort: new SharedArrayBuffer(4), ...options } };
}
