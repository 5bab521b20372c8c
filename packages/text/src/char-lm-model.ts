/**
 * The model file (the engine's `createModel(ctx)` contract) of the character-level language model:
 * `ctx.options` are {@link CharTransformerOptions} (without `rng`); the loss is the mean
 * cross-entropy over every position of every window (`[B, T, V]` logits against `[B, T]` targets).
 * Pass {@link CHAR_LM_MODEL} as DataParallel's `model`.
 */
import { reshape, type Rng, type Tensor, type TensorData } from "@weft/tensor";
import { crossEntropyLoss } from "@weft/layers";
import { CharTransformer, type CharTransformerOptions } from "./char-transformer.js";

/** This file's URL, for DataParallel's `model` option. */
export const CHAR_LM_MODEL = new URL(import.meta.url);

export function createModel(ctx: { rng: Rng; options?: unknown }): CharTransformer {
  return new CharTransformer({ ...(ctx.options as CharTransformerOptions), rng: ctx.rng });
}

/** Mean cross-entropy (nats per character) of logits `[B, T, V]` against targets `[B, T]`. */
export function loss(output: Tensor, target: Tensor<TensorData>): Tensor {
  const V = output.shape[output.ndim - 1];
  return crossEntropyLoss(reshape(output, [-1, V]), target.data as Int32Array);
}
