/**
 * conv2d at the standard CNN workload's second layer (x [B, 32, 14, 14], w [64, 32, 3, 3],
 * padding 1) against a gemm of the same work, on this thread's wasm kernels over a wasm memory
 * with the operands in a step arena there — as in an engine worker, so no kernel stages a copy:
 *
 *   node bench/dist/conv-micro.js [--batch B] [--iters N] [--json]
 *
 * forward and dx: Winograd F(2×2, 3×3) (the path conv2d takes for this layer: ops/conv.ts);
 * dW += dy·colᵀ with im2col per sample; x is a non-leaf, as the layer's input is in the CNN (its
 * gradient buffer from the step arena; the rule above it does nothing here). The gemm
 * reference: one gemm of the forward's 2·64·288·196·B flops ([64 × 288]·[288 × 196·B]).
 * Figures: process CPU time (other processes' time slices left out), median of the iterations,
 * GFLOP/s counted as the direct convolution's flops (so Winograd can pass 100%).
 */
import { Arena, Rng, Tensor, WasmKernels, conv2d, enableRelaxedSimd, fromOp, gemm, setBackend, setThreadWasmKernels, withArena } from "@weft/tensor";
import { intArg, parseArgs } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";

const args = parseArgs(process.argv.slice(2), ["batch", "iters"], ["json"]);
const B = intArg(args, "batch", 64), iters = intArg(args, "iters", 7);
const machine = describeMachine();
const relaxed = enableRelaxedSimd(); // as weft train and bench:train run (FMA in gemm; WEFT_RELAXED_SIMD=0: off)
setBackend("wasm");
const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => never } }).WebAssembly;
const SCRATCH = 8 << 20, ARENA = Math.ceil((B * 1.25 * 2 ** 20) / 2) + (64 << 20);
const memory = new WA.Memory({ initial: Math.ceil((SCRATCH + ARENA + 65536) / 65536), maximum: 65536, shared: true });
setThreadWasmKernels(new WasmKernels({ memory, scratchOffset: 64, scratchBytes: SCRATCH }));
const arena = new Arena({ buffer: (memory as unknown as { buffer: SharedArrayBuffer }).buffer, byteOffset: SCRATCH + 128, byteLength: ARENA });
const rng = new Rng(1);

/** A tensor in the arena's memory (allocated before the timed loop; the arena is not reset over it). */
function inMemory(shape: number[], requiresGrad: boolean): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = arena.float32(n);
  rng.fillNormal(data);
  return new Tensor(data, shape, requiresGrad);
}
const x = inMemory([B, 32, 14, 14], true), w = inMemory([64, 32, 3, 3], true), up = inMemory([B, 64, 14, 14], false);
const a = inMemory([64, 288], false), bm = inMemory([288, 196 * B], false), c = inMemory([64, 196 * B], false);
const mark = arena.stats().used;
const flops = 2 * 64 * 288 * 196 * B;

const cpuMs = (f: () => void): number => {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000;
};
const median = (v: number[]): number => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];

const fwd: number[] = [], bwd: number[] = [], ref: number[] = [];
for (let i = 0; i < iters + 1; i++) {
  // A fresh step on top of the inputs: the op's outputs and scratch, as an engine step allocates them.
  const scratch = new Arena({ buffer: arena.buffer, byteOffset: arena.byteOffset + Math.ceil(mark / 64) * 64 + 64, byteLength: ARENA - mark - 128 });
  withArena(scratch, () => {
    let y: Tensor | null = null;
    // The previous layer's output: a non-leaf over x's data.
    const input = fromOp(x.data, x.shape, [x], () => {});
    const tf = cpuMs(() => { y = conv2d(input, w, null, { padding: 1 }); });
    x.grad = null;
    w.grad = null;
    const tb = cpuMs(() => y!.backward(up));
    const tg = cpuMs(() => gemm(false, false, 64, 196 * B, 288, 1, a.data, 0, 288, bm.data, 0, 196 * B, 0, c.data, 0, 196 * B));
    if (i > 0) { fwd.push(tf); bwd.push(tb); ref.push(tg); } // the first is warm-up
  });
}
const gf = (ms: number, f: number): number => f / (ms * 1e6);
const record = {
  bench: "conv-micro", batch: B, iters, clock: "cpu", relaxedSimd: relaxed,
  forwardMs: median(fwd), backwardMs: median(bwd), gemmMs: median(ref),
  forwardGflops: gf(median(fwd), flops), backwardGflops: gf(median(bwd), 2 * flops), gemmGflops: gf(median(ref), flops),
  machine,
};
if (args.has("json")) console.log(JSON.stringify(record));
else {
  console.log(machineLine(machine));
  console.log(`conv2d x [${B}, 32, 14, 14] · w [64, 32, 3, 3], padding 1 (wasm${relaxed ? "+relaxed" : ""}, operands in wasm memory, CPU time, median of ${iters}):`);
  console.log(`  forward  ${record.forwardMs.toFixed(1)} ms  ${record.forwardGflops.toFixed(1)} GFLOP/s  (${((100 * record.forwardGflops) / record.gemmGflops).toFixed(0)}% of the gemm's)`);
  console.log(`  backward ${record.backwardMs.toFixed(1)} ms  ${record.backwardGflops.toFixed(1)} GFLOP/s  (dx + dW; ${((100 * record.backwardGflops) / record.gemmGflops).toFixed(0)}%)`);
  console.log(`  gemm [64 × 288]·[288 × ${196 * B}] ${record.gemmMs.toFixed(1)} ms  ${record.gemmGflops.toFixed(1)} GFLOP/s`);
}
