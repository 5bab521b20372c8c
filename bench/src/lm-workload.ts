/**
 * Issue 15's standard char-LM workload: the standard character-level Transformer (@weft/text's
 * STANDARD_CHAR_LM: token + position embeddings, d = 64, block 32, 2 pre-norm layers of 4 heads,
 * feed-forward 256, GELU, causal, dropout 0, LayerNorm, Linear over the vocabulary) on windows of
 * 32 characters of the names corpus' training split, AdamW (lr 1e-3). A batch is 32 windows:
 * 1,024 tokens.
 */
import { loadDocuments, splitCorpus, windows, STANDARD_CHAR_LM, type Windows } from "@weft/text";
import type { OptimizerSpec } from "@weft/parallel";

export const LM_OPTIMIZER: OptimizerSpec = { type: "AdamW", config: { lr: 1e-3 } };
export const LM_BLOCK = STANDARD_CHAR_LM.blockSize;

export interface LmDataset extends Windows {
  vocabSize: number;
}

/** Every window (stride 1) of the names corpus' training split (seed 0). */
export function lmData(): LmDataset {
  const { vocab, streams } = splitCorpus(loadDocuments("names"), { seed: 0 });
  return { ...windows(streams.train, LM_BLOCK), vocabSize: vocab.size };
}

/** Parameters of the standard model over `vocabSize` characters. */
export function lmParameterCount(vocabSize: number): number {
  const { blockSize: T, dModel: d, numLayers: L, dimFeedforward: F } = STANDARD_CHAR_LM;
  const layer = 3 * d * d + 3 * d + d * d + d + F * d + F + d * F + d + 4 * d;
  return vocabSize * d + T * d + L * layer + 2 * d + d * vocabSize + vocabSize;
}
