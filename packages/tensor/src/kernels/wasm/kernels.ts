/**
 * WasmKernelsBase: every kernel family but the per-row ones, stacked on the memory core —
 * core.ts (memory, scratch, staging) → gemm.ts → reduce.ts → optim.ts → activations.ts →
 * batch-norm.ts → here; row-kernels.ts adds the per-row kernels as {@link WasmKernels}. The
 * families use none of each other's methods: they form a chain only because a class has one
 * base. A new family goes in a file of its own, inserted anywhere in the chain.
 */
import { BatchNormKernels } from "./batch-norm.js";

export type { WasmKernelsOptions } from "./core.js";
export type { AdamStep, RmspropStep, SgdStep } from "./optim.js";

/**
 * The WebAssembly SIMD kernels bound to one linear memory — the elementwise, gemm, optimiser and
 * BatchNorm ones; {@link WasmKernels} (row-kernels.ts) adds the per-row kernels (softmax,
 * cross-entropy, LayerNorm) and is the class to use.
 *
 * Two levels of entry point:
 * - pointer level (`gemmPtr`, `adamPtr`, `sumPtr`, `reluForwardPtr`, `reluBackwardPtr`,
 *   the other activations' `*ForwardPtr` / `*BackwardPtr`,
 *   `columnSumPtr`, `batchNorm*Ptr`, `sgdPtr`, `rmspropPtr`): operands are byte addresses of data
 *   already in `memory`; the kernels run in place, with zero copies. This is the path for
 *   a caller that keeps its tensors in (shared) wasm memory.
 * - array level (`gemm`, `adam`, `sum`, `reluForward`, `reluBackward`,
 *   `leakyRelu*`, `sigmoid*`, `tanh*`, `gelu*`, `columnSum`,
 *   `batchNorm*`, `sgd`, `rmsprop`): ordinary typed arrays, copied into this instance's
 *   scratch with `Float32Array.set`, computed, and copied back. An operand that already lies in
 *   `memory` (its `.buffer` is `memory.buffer`) is used in place instead.
 *
 * The cost of those copies (scripts/bench-wasm.mjs, 2-vCPU Zen dev machine, medians; operands
 * in ordinary ArrayBuffers): forward Y[128×256] = X[128×784]·W[256×784]ᵀ + b copies 1.2 MB
 * in and 128 KB out, 27–37 µs against a 1.3–1.4 ms kernel (2–3%); the backward gemms
 * (dW = dYᵀ·X, dX = dY·W) also copy C in and out because they accumulate (beta = 1): 41–43 µs,
 * ≈ 3.4% of the kernel. Two things make it worse in real training: a source in a
 * SharedArrayBuffer (the parallel engine's parameters and gradients) copies at half the speed
 * (V8 copies shared memory with relaxed atomics: 28 vs 15 µs for W's 800 KB), and small layers
 * copy more per flop. Profiling `weft train --workers 1` (784-256-128-10, batch 128) showed the
 * staging copies at ≈ 20% of the wasm gemm time — what zero-copy storage in wasm memory
 * (the pointer level) removes. Copying into a shared memory also costs twice as much, which is
 * why the default instance's memory is not shared.
 *
 * Not thread-safe by design: one instance per thread (each worker builds its own; several may
 * share one memory as long as their scratch ranges are disjoint).
 */
export class WasmKernelsBase extends BatchNormKernels {}
