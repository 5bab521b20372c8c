import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";

// The shipped build (dist/, which carries the module inside binary.generated.js) instantiated
// synchronously in a worker thread over a shared memory the main thread also uses: the layout
// a data-parallel engine will have. Needs `npm run build` (turbo's test task depends on it).
const dist = new URL("../dist/kernels/wasm/index.js", import.meta.url);

describe.runIf(wasmSimdSupported() && existsSync(dist))("wasm kernels in a worker thread", () => {
  it("a worker and the main thread run kernels in place on one shared memory", async () => {
    const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: SharedArrayBuffer; grow(n: number): number } } }).WebAssembly;
    const memory = new WA.Memory({ initial: 8, maximum: 8, shared: true });
    const f32 = new Float32Array(memory.buffer);
    const n = 10_000, stride = 10_240; // slots of 2 "ranks" at 0 and stride; results at 2·stride
    for (let i = 0; i < 2 * stride; i++) f32[i] = (i % 97) / 7;
    // The worker sums the first half of the range, the main thread the second half.
    const half = n / 2;
    const code = `
      const { parentPort, workerData } = require("node:worker_threads");
      import(workerData.dist).then(({ WasmKernels }) => {
        const k = new WasmKernels({ memory: workerData.memory, scratchOffset: 4 * 65536, scratchBytes: 65536 });
        k.sumPtr(2 * workerData.stride * 4, 0, workerData.stride * 4, 2, workerData.half);
        parentPort.postMessage(k.shared);
      }).catch((e) => parentPort.postMessage(String(e)));`;
    const worker = new Worker(code, { eval: true, workerData: { memory, stride, half, dist: dist.href } });
    const fromWorker = await new Promise((resolve, reject) => { worker.once("message", resolve); worker.once("error", reject); });
    await worker.terminate();
    expect(fromWorker).toBe(true);
    const k = new WasmKernels({ memory, scratchOffset: 5 * 65536, scratchBytes: 65536 });
    k.sumPtr((2 * stride + half) * 4, half * 4, stride * 4, 2, n - half);
    for (let i = 0; i < n; i++) {
      const want = Math.fround(f32[i] + f32[stride + i]);
      if (f32[2 * stride + i] !== want) expect.fail(`sum[${i}] = ${f32[2 * stride + i]}, want ${want}`);
    }
  });
});
