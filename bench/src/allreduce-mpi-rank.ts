/**
 * One rank of `bench:allreduce --mpi` (started by mpirun from allreduce-mpi.ts): `node
 * allreduce-mpi-rank.js <sizes,…> <repeats>`. Times MPI all-reduce in place and, in this same
 * process, `Float32Array.set` of the same bytes; rank 0 prints one JSON line of the rank-max medians.
 */
import { abortMpi, finalizeMpi, initMpi, loadMpi } from "@weft/mpi";
import { median } from "./summary.js";

const [sizesArg, repeatsArg] = process.argv.slice(2);
const sizes = sizesArg.split(",").map(Number);
const repeats = Number(repeatsArg);
const { rank } = initMpi(1);
const mpi = loadMpi();
/** Calls per repeat: ≈ 3 M floats each (at least 2), so the whole run stays well under a minute. */
const callsFor = (n: number) => Math.max(2, Math.round(3e6 / n));

/** This rank's ms per call of `fn`, `repeats` times, then the slower rank's of each repeat. */
function time(calls: number, fn: () => void, together: boolean): number[] {
  for (let i = 0; i < 2; i++) fn(); // warm-up
  const per = new Float64Array(repeats);
  for (let r = 0; r < repeats; r++) {
    if (together) mpi.barrier(0);
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn();
    per[r] = (performance.now() - t0) / calls;
  }
  mpi.allReduce(0, per, "max");
  return Array.from(per);
}

try {
  const rows = [];
  for (const n of sizes) {
    const data = new Float32Array(new SharedArrayBuffer(4 * n)).fill(1e-3);
    const src = new Float32Array(n).fill(2), dst = new Float32Array(n);
    const calls = callsFor(n);
    const allReduceMs = median(time(calls, () => mpi.allReduce(0, data), true));
    const memcpyMs = median(time(calls, () => dst.set(src), false));
    rows.push({ floats: n, allReduceMs, gbPerS: (4 * n) / allReduceMs / 1e6, memcpyMs, vsMemcpy: memcpyMs / allReduceMs });
  }
  if (rank === 0) console.log(JSON.stringify(rows));
  finalizeMpi();
} catch (e) {
  abortMpi(1, `bench:allreduce --mpi: rank ${rank} failed: ${e instanceof Error ? e.stack : e}`);
}
