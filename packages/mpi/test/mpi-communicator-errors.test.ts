import { AbortedError, type EngineCommunicator } from "@weft/parallel";
import { describe, expect, it } from "vitest";
import type { MpiAddon } from "../src/addon.js";
import { MpiCommunicator } from "../src/mpi-communicator.js";

// How a wait across hosts fails, on a stand-in addon (no MPI needed): a timeout is this worker's
// own failure (a plain Error naming where, and the abort flag raised for the host's other
// workers); a wait cut short by that flag is an AbortedError, so that the engine and the
// launcher report the worker that timed out, never the one it woke. (CI once saw rank 0's
// report name worker 0's "abandoned" wait instead of worker 1's timeout.)

function addon(code: "EMPI_TIMEOUT" | "EMPI_ABORTED"): MpiAddon {
  const fail = () => { throw Object.assign(new Error(code), { code }); };
  return { info: () => ({ initialized: true, channels: 2, rank: 1, size: 2 }), barrier: fail, allReduce: fail, bcast: fail } as unknown as MpiAddon;
}
const local = { rank: 1, worldSize: 2, step: 7, barrier() {}, allReduce() {}, abort() {} } as unknown as EngineCommunicator;

describe("MpiCommunicator's failed waits across hosts", () => {
  it("a timeout throws an Error (not an AbortedError) naming the host, the worker and the step, and raises the abort flag", () => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const c = new MpiCommunicator(local, { abortFlag: flag, timeoutMs: 1500 }, addon("EMPI_TIMEOUT"));
    let caught: unknown;
    try { c.barrier(); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(AbortedError);
    expect((caught as Error).message).toMatch(/^MPI rank 1 \(worker 1\): a barrier across hosts did not complete within 1500 ms at step 7/);
    expect(flag[0]).toBe(1);
  });

  it("a wait the abort flag cut short throws an AbortedError that says what it was waiting for", () => {
    const c = new MpiCommunicator(local, { timeoutMs: 1500 }, addon("EMPI_ABORTED"));
    expect(() => c.barrier()).toThrow(AbortedError);
    expect(() => c.barrier()).toThrow(/^MPI rank 1 \(worker 1\): a barrier across hosts abandoned: the run was aborted$/);
  });
});
