/**
 * The communicator module of a DataParallel run across hosts (its `communicator` option; see
 * {@link mpiCommunicator}): each worker composes an {@link MpiCommunicator} over its
 * SharedCommunicator.
 */
import type { EngineCommunicator } from "@weft/parallel";
import { MpiCommunicator } from "./mpi-communicator.js";

export function createCommunicator({ local }: { local: EngineCommunicator; options?: unknown }): EngineCommunicator {
  return new MpiCommunicator(local);
}
