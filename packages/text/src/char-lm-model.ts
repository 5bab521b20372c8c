/**
 * The model file (the engine's `createModel(ctx)` contract) of the character-level language model:
 * `ctx.options` are {@link CharTransformerOptions} (without `rng`); the logits come folded to
 * `[B·T, V]`, so the engine's cross-entropy is the mean over every position of every window
 * (nats per character) and its accuracy the next-character accuracy. Pass {@link CHAR_LM_MODEL}
 * as DataParallel's `model`, with int32 windows `[T]` as samples and their next characters `[T]`
 * as targets.
 */
import type { Rng } from "@weft/tensor";
import { CharTransformer, type CharTransformerOptions } from "./char-transformer.js";

/** This file's URL, for DataParallel's `model` option. */
export const CHAR_LM_MODEL = new URL(import.meta.url);

export function createModel(ctx: { rng: Rng; options?: unknown }): CharTransformer {
  return new CharTransformer({ ...(ctx.options as CharTransformerOptions), flattenLogits: true, rng: ctx.rng });
}
