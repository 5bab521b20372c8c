/**
 * `WasmKernels`: the memory core (core.ts) plus every kernel family, composed — not a class
 * chain. Each family (gemm.ts, reduce.ts, optim.ts, activations.ts, batch-norm.ts, softmax.ts,
 * cross-entropy.ts, layer-norm.ts) is a plain object of methods over the core; a new family is a
 * new file and one entry in {@link FAMILIES} and in the interface below.
 */
import { WasmKernelsCore } from "./core.js";
import { gemmKernels } from "./gemm.js";
import { reduceKernels } from "./reduce.js";
import { optimKernels } from "./optim.js";
import { activationKernels } from "./activations.js";
import { batchNormKernels } from "./batch-norm.js";
import { softmaxKernels } from "./softmax.js";
import { crossEntropyKernels } from "./cross-entropy.js";
import { layerNormKernels } from "./layer-norm.js";
import { convKernels } from "./conv.js";
import { rnnKernels } from "./rnn.js";
import { elementwiseKernels } from "./elementwise.js";
import { attentionKernels } from "./attention.js";
import { winogradKernels } from "./winograd.js";

export type { WasmKernelsOptions } from "./core.js";
export type { AdamStep, RmspropStep, SgdStep } from "./optim.js";

/** The methods of a family object as they appear on an instance (their `this` bound). */
type Family<T> = { [K in keyof T]: OmitThisParameter<T[K]> };

const FAMILIES = [
  gemmKernels, reduceKernels, optimKernels, activationKernels, batchNormKernels,
  softmaxKernels, crossEntropyKernels, layerNormKernels, convKernels, rnnKernels, elementwiseKernels, attentionKernels, winogradKernels,
] as const;

// Declaration merging: the class below gets every family's methods in its type, and the loop
// after it puts them on its prototype.
export interface WasmKernels extends
  Family<typeof gemmKernels>, Family<typeof reduceKernels>, Family<typeof optimKernels>,
  Family<typeof activationKernels>, Family<typeof batchNormKernels>, Family<typeof softmaxKernels>,
  Family<typeof crossEntropyKernels>, Family<typeof layerNormKernels>, Family<typeof convKernels>,
  Family<typeof rnnKernels>, Family<typeof elementwiseKernels>, Family<typeof attentionKernels>, Family<typeof winogradKernels> {}

/**
 * The WebAssembly SIMD kernels bound to one linear memory: gemm, the all-reduce's sum and
 * finiteness check, column sums, optimiser steps, elementwise activations, softmax,
 * cross-entropy, LayerNorm and BatchNorm.
 *
 * Two levels of entry point:
 * - pointer level (`gemmPtr`, `adamPtr`, `sumPtr`, `firstNonFinitePtr`, `reluForwardPtr`,
 *   the other activations' `*ForwardPtr` / `*BackwardPtr`, `columnSumPtr`, `batchNorm*Ptr`,
 *   `softmax*Ptr`, `crossEntropy*Ptr`, `layerNorm*Ptr`, `sgdPtr`, `rmspropPtr`): operands are
 *   byte addresses of data already in `memory`; the kernels run in place, with zero copies. This
 *   is the path for a caller that keeps its tensors in (shared) wasm memory.
 * - array level — the methods of the kernel interface (kernels/interface.ts) for float32
 *   operands, same names and signatures (`gemm`, `columnSum`, `reluForward`, `softmaxForward`,
 *   `layerNormForward`, `batchNormMeanVar`, …), plus `sum`, `adam`, `sgd`, `rmsprop`: ordinary
 *   typed arrays, copied into this instance's scratch with `Float32Array.set`, computed, and
 *   copied back. An operand that already lies in `memory` (its `.buffer` is `memory.buffer`) is
 *   used in place instead. The wasm backend (`wasmKernels`) calls these.
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
 *
 * @example
 * const k = new WasmKernels();
 * k.softmaxForward(x, y, rows, cols, 1, false); // x, y: Float32Array [rows, cols], over the last axis
 */
export class WasmKernels extends WasmKernelsCore {}

// The class is complete once this module has run; nothing outside it is touched. Methods are
// defined as a class body would (non-enumerable), and two families may not define one name.
for (const family of FAMILIES) {
  for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(family))) {
    if (name in WasmKernels.prototype) throw new Error(`WasmKernels: two kernel families define ${name}`);
    Object.defineProperty(WasmKernels.prototype, name, { ...descriptor, enumerable: false });
  }
}
