/**
 * Sampling from a character-level language model: one character at a time from
 * softmax(logits / temperature) of the last position, each document from the end-of-document
 * character until the model emits it again.
 */
import { Rng, Tensor, noGrad } from "@weft/tensor";
import type { CharTransformer } from "./char-transformer.js";
import { END } from "./corpus.js";
import type { CharVocabulary } from "./vocabulary.js";

export interface SampleOptions {
  /** Documents to generate (default 10). */
  count?: number;
  /** Divides the logits: < 1 sharper, > 1 flatter (default 1). */
  temperature?: number;
  /** Seed of the draws: the same seed gives the same documents (default 0). */
  seed?: number;
  /** A document is cut after this many characters (default 100). */
  maxLength?: number;
}

/**
 * `count` documents drawn from `model` (in eval mode, without gradients), as strings without the
 * end-of-document character. Deterministic for a seed.
 *
 * @example
 * sampleDocuments(lm, vocab, { count: 5, temperature: 0.8, seed: 1 }); // ["maria", "elion", …]
 */
export function sampleDocuments(model: CharTransformer, vocab: CharVocabulary, options: SampleOptions = {}): string[] {
  const { count = 10, temperature = 1, seed = 0, maxLength = 100 } = options;
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new Error(`sampleDocuments: temperature must be a positive number, got ${temperature}`);
  const end = vocab.id(END);
  if (end < 0) throw new Error("sampleDocuments: the vocabulary has no end-of-document character \"\\n\"");
  const V = vocab.size, T = model.blockSize;
  const rng = new Rng(seed);
  const p = new Float64Array(V);
  const out: string[] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let n = 0; n < count; n++) {
        const context = [end];
        const chars: number[] = [];
        while (chars.length < maxLength) {
          const window = Int32Array.from(context.slice(-T));
          const logits = model.forward(new Tensor(window, [1, window.length])).data;
          const o = (window.length - 1) * V;
          let max = -Infinity;
          for (let j = 0; j < V; j++) max = Math.max(max, logits[o + j] / temperature);
          let sum = 0;
          for (let j = 0; j < V; j++) sum += (p[j] = Math.exp(logits[o + j] / temperature - max));
          let u = rng.uniform() * sum, c = 0;
          while (c < V - 1 && (u -= p[c]) > 0) c++;
          if (c === end) break;
          chars.push(c);
          context.push(c);
        }
        out.push(vocab.decode(chars));
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return out;
}
