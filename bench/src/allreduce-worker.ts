/**
 * One worker of `bench:allreduce`: times the engine's gradient collectives on @weft/parallel's
 * SharedCommunicator — `reduceScatter` of this rank's gradient slot (the ranks meet at a barrier,
 * then each sums its own range of the W slots, in rank order, into the reduced gradient) — or a
 * bare barrier (what the step's `allGather` of the shared parameters costs). The engine's calls exactly, per kernel backend: under `wasm` (the default
 * backend) the sum is the wasm kernel on the slots in a shared WebAssembly.Memory, in place;
 * under `js` the JS loop. Rank 0 posts its timings.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SharedCommunicator } from "@weft/parallel";
import { WasmKernels, setBackend, setThreadWasmKernels, type WasmMemory } from "@weft/tensor";

export interface AllReduceJob {
  mode: "reduce" | "barrier";
  /** The kernel backend whose all-reduce path runs: `wasm` (sumPtr) or `js` (the JS loop). */
  backend: "wasm" | "js";
  rank: number;
  worldSize: number;
  /** Gradient length in floats. */
  n: number;
  /** Int32Array control block (barrier generation, count, abort flag). */
  control: SharedArrayBuffer;
  /** The shared memory (wasm backend) or its buffer (js backend): slot r at `slots + r · stride` bytes, the reduced gradient at `reduced`. */
  memory: WasmMemory | SharedArrayBuffer;
  slots: number;
  stride: number;
  reduced: number;
  /** Operations per timed repeat. */
  iterations: number;
  repeats: number;
}

const job = workerData as AllReduceJob;
const { rank, worldSize, n } = job;
const buffer = (job.backend === "wasm" ? (job.memory as WasmMemory).buffer : job.memory) as SharedArrayBuffer;
const slots = Array.from({ length: worldSize }, (_, r) => new Float32Array(buffer, job.slots + r * job.stride, n));
const red = new Float32Array(buffer, job.reduced, n);
// The reduced gradient stands in for the parameters the all-gather is called on (the run's shared ones).
const comm = new SharedCommunicator(rank, worldSize, new Int32Array(job.control), new Float64Array(worldSize), 30_000, { slots, params: red });
setBackend(job.backend);
setThreadWasmKernels(job.backend === "wasm" ? new WasmKernels({ memory: job.memory as WasmMemory }) : null);

const times: number[] = [];
for (let rep = -1; rep < job.repeats; rep++) {
  comm.barrier(); // everyone starts the repeat together
  const t0 = performance.now();
  if (job.mode === "reduce") {
    for (let k = 0; k < job.iterations; k++) {
      comm.reduceScatter(slots[rank], red); // the step's reduce-scatter: a barrier, then this rank's range summed
    }
  } else {
    for (let k = 0; k < job.iterations; k++) comm.barrier();
  }
  const t = (performance.now() - t0) / job.iterations;
  if (rep >= 0) times.push(t); // repeat −1 is the warm-up (JIT, first touch)
}
if (rank === 0) parentPort!.postMessage(times);
