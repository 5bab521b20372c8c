/**
 * A model as plain data (the golden `train` format's `model` list), so a worker can rebuild the
 * same model from a structured-clone message: `[{type: "Linear", inFeatures: 784, outFeatures: 256}, …]`.
 */
import { Dropout, GELU, LeakyReLU, Linear, Module, ReLU, Sequential, Sigmoid, Tanh } from "@weft/layers";
import { BatchNorm1d, LayerNorm, SyncBatchNorm } from "@weft/norm";
import type { Communicator, Rng } from "@weft/tensor";

export type LayerSpec =
  | { type: "Linear"; inFeatures: number; outFeatures: number; bias?: boolean }
  | { type: "BatchNorm1d"; numFeatures: number; eps?: number; momentum?: number | null; affine?: boolean; trackRunningStats?: boolean }
  | { type: "LayerNorm"; normalizedShape: number | number[]; eps?: number; elementwiseAffine?: boolean }
  | { type: "ReLU" }
  | { type: "Sigmoid" }
  | { type: "Tanh" }
  | { type: "LeakyReLU"; negativeSlope?: number }
  | { type: "GELU"; approximate?: "none" | "tanh" }
  | { type: "Dropout"; p?: number };

const OPTIONS: Record<LayerSpec["type"], string[]> = {
  Linear: ["inFeatures", "outFeatures", "bias"],
  BatchNorm1d: ["numFeatures", "eps", "momentum", "affine", "trackRunningStats"],
  LayerNorm: ["normalizedShape", "eps", "elementwiseAffine"],
  ReLU: [],
  Sigmoid: [],
  Tanh: [],
  LeakyReLU: ["negativeSlope"],
  GELU: ["approximate"],
  Dropout: ["p"],
};

export interface BuildOptions {
  /** Generator for initialisation and dropout masks. */
  rng?: Rng;
  /** When given (and worldSize > 1), BatchNorm1d layers become SyncBatchNorm over it. */
  communicator?: Communicator;
}

/** Builds a `Sequential` from its spec; unknown layer types or options are an error naming the layer. */
export function buildModel(spec: readonly LayerSpec[], options: BuildOptions = {}): Sequential {
  const layers = spec.map((layer, i): Module => {
    const known = OPTIONS[layer.type];
    if (!known) throw new Error(`model layer ${i}: unknown type ${JSON.stringify(layer.type)} (known: ${Object.keys(OPTIONS).join(", ")})`);
    for (const k of Object.keys(layer)) {
      if (k !== "type" && !known.includes(k)) throw new Error(`model layer ${i} (${layer.type}): unknown option ${JSON.stringify(k)} (known: ${known.join(", ") || "none"})`);
    }
    switch (layer.type) {
      case "Linear":
        return new Linear(layer.inFeatures, layer.outFeatures, { bias: layer.bias ?? true, rng: options.rng });
      case "BatchNorm1d": {
        const { type: _t, numFeatures, ...o } = layer;
        const comm = options.communicator;
        return comm && comm.worldSize > 1 ? new SyncBatchNorm(numFeatures, { ...o, communicator: comm }) : new BatchNorm1d(numFeatures, o);
      }
      case "LayerNorm": {
        const { type: _t, normalizedShape, ...o } = layer;
        return new LayerNorm(normalizedShape, o);
      }
      case "ReLU":
        return new ReLU();
      case "Sigmoid":
        return new Sigmoid();
      case "Tanh":
        return new Tanh();
      case "LeakyReLU":
        return new LeakyReLU(layer.negativeSlope ?? 0.01);
      case "GELU":
        return new GELU({ approximate: layer.approximate ?? "none" });
      case "Dropout":
        return new Dropout(layer.p ?? 0.5, { rng: options.rng });
    }
  });
  return new Sequential(...layers);
}
