/**
 * `jsKernels`: every method of the kernel interface in plain TypeScript — the portable default
 * that runs anywhere, and the reference the wasm kernels are tested against (import the
 * family files, or `jsKernels`, rather than copying a loop into a test).
 */
import type { Kernels } from "../interface.js";
import { gemm } from "./gemm.js";
import * as activation from "./activation.js";
import { softmaxBackward, softmaxForward } from "./softmax.js";
import { crossEntropy, crossEntropyProbs } from "./cross-entropy.js";
import { layerNormBackward, layerNormForward } from "./layer-norm.js";
import * as batchNorm from "./batch-norm.js";
import { columnSum, firstNonFinite, sumRanks } from "./reduce.js";
import { col2im, im2col } from "./conv.js";
import { winogradInput, winogradOutput, winogradWeights } from "./winograd.js";
import * as pool from "./pool.js";
import * as rnn from "./rnn.js";
import { addArrays, moveHeads } from "./elementwise.js";
import { attentionRowsBackward, attentionRowsForward } from "./attention.js";

/**
 * The TypeScript kernels: any precision, any layout. `kernels()` returns this object under the
 * js backend; the wasm backend's `wasmKernels` falls back to it.
 *
 * @example
 * import { jsKernels } from "@weft/tensor";
 * jsKernels.reluForward(x, out); // x, out: Float32Array or Float64Array of one length
 */
export const jsKernels: Kernels = Object.freeze({
  gemm,
  columnSum,
  sumRanks,
  firstNonFinite,
  ...activation,
  addArrays,
  moveHeads,
  attentionRowsForward,
  attentionRowsBackward,
  softmaxForward,
  softmaxBackward,
  crossEntropy,
  crossEntropyProbs,
  layerNormForward,
  layerNormBackward,
  ...batchNorm,
  im2col,
  col2im,
  winogradWeights,
  winogradInput,
  winogradOutput,
  ...pool,
  ...rnn,
});
