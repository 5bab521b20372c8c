/** The sequence family of layer specs: Embedding, MultiheadAttention (self-attention), TransformerEncoderLayer, LSTM, GRU (token logits [B, T, V] fold with the conv family's Flatten {startDim 0, endDim 1}). */
import { Embedding, GRU, LSTM, MultiheadAttention, TransformerEncoderLayer } from "@weft/layers";
import type { LayerBuilders } from "./types.js";

interface RnnSpec { inputSize: number; hiddenSize: number; numLayers?: number; bias?: boolean; batchFirst?: boolean; dropout?: number; bidirectional?: boolean }

export type SequenceLayerSpec =
  | { type: "Embedding"; numEmbeddings: number; embeddingDim: number; paddingIdx?: number | null }
  | { type: "MultiheadAttention"; embedDim: number; numHeads: number; bias?: boolean; batchFirst?: boolean; dropout?: number; causal?: boolean }
  | {
    type: "TransformerEncoderLayer"; dModel: number; nhead: number; dimFeedforward?: number; dropout?: number; activation?: "relu" | "gelu";
    layerNormEps?: number; batchFirst?: boolean; normFirst?: boolean; bias?: boolean; causal?: boolean;
  }
  | ({ type: "LSTM" } & RnnSpec)
  | ({ type: "GRU" } & RnnSpec);

const RNN_OPTIONS = ["inputSize", "hiddenSize", "numLayers", "bias", "batchFirst", "dropout", "bidirectional"] as const;

export const SEQUENCE_LAYERS: LayerBuilders<SequenceLayerSpec> = {
  Embedding: {
    options: ["numEmbeddings", "embeddingDim", "paddingIdx"],
    build: (l, rng) => new Embedding(l.numEmbeddings, l.embeddingDim, { paddingIdx: l.paddingIdx, rng }),
  },
  MultiheadAttention: {
    options: ["embedDim", "numHeads", "bias", "batchFirst", "dropout", "causal"],
    build: ({ type: _t, embedDim, numHeads, ...o }, rng) => new MultiheadAttention(embedDim, numHeads, { ...o, rng }),
  },
  TransformerEncoderLayer: {
    options: ["dModel", "nhead", "dimFeedforward", "dropout", "activation", "layerNormEps", "batchFirst", "normFirst", "bias", "causal"],
    build: ({ type: _t, dModel, nhead, ...o }, rng) => new TransformerEncoderLayer(dModel, nhead, { ...o, rng }),
  },
  LSTM: { options: RNN_OPTIONS, build: ({ type: _t, inputSize, hiddenSize, ...o }, rng) => new LSTM(inputSize, hiddenSize, { ...o, rng }) },
  GRU: { options: RNN_OPTIONS, build: ({ type: _t, inputSize, hiddenSize, ...o }, rng) => new GRU(inputSize, hiddenSize, { ...o, rng }) },
};
