/**
 * One worker of `bench:allreduce`: times the engine's reduce-scatter — each rank sums its own
 * range of the W gradient slots, in rank order, into the reduced gradient, then meets the others
 * at a barrier — or a bare barrier, with @weft/parallel's SharedCommunicator. The two paths of
 * packages/parallel/src/worker.ts, one per kernel backend: under `wasm` (the default backend) it
 * calls `WasmKernels.sumPtr` on the slots in a shared WebAssembly.Memory, in place; under `js` it
 * runs the engine's JS loop, copied here so the benchmark times exactly that loop. Rank 0 posts
 * its timings.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SharedCommunicator, paramRange, sumSlots } from "@weft/parallel";
import { WasmKernels, type WasmMemory } from "@weft/tensor";

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
const comm = new SharedCommunicator(rank, worldSize, new Int32Array(job.control), new Float64Array(worldSize));
const slots = Array.from({ length: worldSize }, (_, r) => new Float32Array(buffer, job.slots + r * job.stride, n));
const red = new Float32Array(buffer, job.reduced, n);
const [lo, hi] = paramRange(n, worldSize, rank);
const kernels = job.backend === "wasm" ? new WasmKernels({ memory: job.memory as WasmMemory }) : null;

/** worker.ts's reduce of this rank's range: the wasm kernel in place, or the JS loop. */
function reduceOwnRange(): void {
  if (kernels) {
    kernels.sumPtr(job.reduced + lo * 4, job.slots + lo * 4, job.stride, worldSize, hi - lo);
    return;
  }
  sumSlots(red, slots, lo, hi);
}

const times: number[] = [];
for (let rep = -1; rep < job.repeats; rep++) {
  comm.barrier(); // everyone starts the repeat together
  const t0 = performance.now();
  if (job.mode === "reduce") {
    for (let k = 0; k < job.iterations; k++) {
      reduceOwnRange();
      comm.barrier(); // the reduced gradient is complete only when every rank has written its range
    }
  } else {
    for (let k = 0; k < job.iterations; k++) comm.barrier();
  }
  const t = (performance.now() - t0) / job.iterations;
  if (rep >= 0) times.push(t); // repeat −1 is the warm-up (JIT, first touch)
}
if (rank === 0) parentPort!.postMessage(times);
