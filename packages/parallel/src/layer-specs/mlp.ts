/** The MLP family of layer specs: Linear, the 1-D norms, activations, Dropout. */
import { Dropout, GELU, LeakyReLU, Linear, ReLU, Sigmoid, Tanh } from "@weft/layers";
import { BatchNorm1d, LayerNorm } from "@weft/norm";
import type { LayerBuilders } from "./types.js";

export type MlpLayerSpec =
  | { type: "Linear"; inFeatures: number; outFeatures: number; bias?: boolean }
  | { type: "BatchNorm1d"; numFeatures: number; eps?: number; momentum?: number | null; affine?: boolean; trackRunningStats?: boolean }
  | { type: "LayerNorm"; normalizedShape: number | number[]; eps?: number; elementwiseAffine?: boolean }
  | { type: "ReLU" }
  | { type: "Sigmoid" }
  | { type: "Tanh" }
  | { type: "LeakyReLU"; negativeSlope?: number }
  | { type: "GELU"; approximate?: "none" | "tanh" }
  | { type: "Dropout"; p?: number };

export const MLP_LAYERS: LayerBuilders<MlpLayerSpec> = {
  Linear: { options: ["inFeatures", "outFeatures", "bias"], build: (l, rng) => new Linear(l.inFeatures, l.outFeatures, { bias: l.bias ?? true, rng }) },
  BatchNorm1d: {
    options: ["numFeatures", "eps", "momentum", "affine", "trackRunningStats"],
    build: ({ type: _t, numFeatures, ...o }) => new BatchNorm1d(numFeatures, o),
  },
  LayerNorm: { options: ["normalizedShape", "eps", "elementwiseAffine"], build: ({ type: _t, normalizedShape, ...o }) => new LayerNorm(normalizedShape, o) },
  ReLU: { options: [], build: () => new ReLU() },
  Sigmoid: { options: [], build: () => new Sigmoid() },
  Tanh: { options: [], build: () => new Tanh() },
  LeakyReLU: { options: ["negativeSlope"], build: (l) => new LeakyReLU(l.negativeSlope ?? 0.01) },
  GELU: { options: ["approximate"], build: (l) => new GELU({ approximate: l.approximate ?? "none" }) },
  Dropout: { options: ["p"], build: (l, rng) => new Dropout(l.p ?? 0.5, { rng }) },
};
