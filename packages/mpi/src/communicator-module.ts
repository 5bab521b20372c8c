/**
 * The communicator module of a DataParallel run across hosts (its `communicator` option; see
 * {@link mpiCommunicator}): each worker composes an {@link MpiCommunicator} over its
 * SharedCommunicator.
 */
import type { EngineCommunicator } from "@weft/parallel";
import { MpiCommunicator } from "./mpi-communicator.js";

export function createCommunicator({ local, options }: { local: EngineCommunicator; options?: { abort?: SharedArrayBuffer; timeoutMs?: number } }): EngineCommunicator {
  return new MpiCommunicator(local, { abortFlag: options?.abort ? new Int32Array(options.abort) : undefined, timeoutMs: options?.timeoutMs });
}
