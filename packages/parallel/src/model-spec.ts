/**
 * A model as plain data (the golden `train` format's `model` list), so a worker can rebuild the
 * same model from a structured-clone message: `[{type: "Linear", inFeatures: 784, outFeatures: 256}, …]`.
 * Each family of layers (layer-specs/*.ts) registers its types here; the engine treats the list
 * as one built-in model factory among others.
 */
import { Sequential, type Module } from "@weft/layers";
import { convertSyncBatchNorm } from "@weft/norm";
import type { Communicator, Rng } from "@weft/tensor";
import { MLP_LAYERS, type MlpLayerSpec } from "./layer-specs/mlp.js";
import { CONV_LAYERS, type ConvLayerSpec } from "./layer-specs/conv.js";
import { SEQUENCE_LAYERS, type SequenceLayerSpec } from "./layer-specs/sequence.js";
import type { LayerBuilder } from "./layer-specs/types.js";

export type LayerSpec = MlpLayerSpec | ConvLayerSpec | SequenceLayerSpec;

const BUILDERS: Record<string, LayerBuilder<never>> = { ...MLP_LAYERS, ...CONV_LAYERS, ...SEQUENCE_LAYERS } as Record<string, LayerBuilder<never>>;

/** The layer types a spec may name. */
export const layerTypes = (): string[] => Object.keys(BUILDERS);

export interface BuildOptions {
  /** Generator for initialisation and dropout masks. */
  rng?: Rng;
  /** When given (and worldSize > 1), every BatchNorm becomes a SyncBatchNorm over it (convertSyncBatchNorm). */
  communicator?: Communicator;
}

/** The options a spec of each type must carry (the positional arguments of its PyTorch constructor). */
const REQUIRED: Record<string, readonly string[]> = {
  Linear: ["inFeatures", "outFeatures"], BatchNorm1d: ["numFeatures"], LayerNorm: ["normalizedShape"],
  Conv1d: ["inChannels", "outChannels", "kernelSize"], Conv2d: ["inChannels", "outChannels", "kernelSize"], BatchNorm2d: ["numFeatures"],
  MaxPool2d: ["kernelSize"], AvgPool2d: ["kernelSize"], AdaptiveAvgPool2d: ["outputSize"], Unflatten: ["dim", "unflattenedSize"],
  Embedding: ["numEmbeddings", "embeddingDim"], TransformerEncoderLayer: ["dModel", "nhead"], LSTM: ["inputSize", "hiddenSize"], GRU: ["inputSize", "hiddenSize"],
};

/**
 * Checks a spec list's shape before anything reads its numbers: every layer a known type with
 * known options and its required ones. Errors name the layer.
 */
export function checkSpec(spec: readonly LayerSpec[]): void {
  if (!Array.isArray(spec)) throw new Error(`model: expected a list of layer specs ([{type: "Linear", …}, …]), got ${spec === null ? "null" : typeof spec}`);
  spec.forEach((layer, i) => {
    const b = Object.hasOwn(BUILDERS, layer?.type) ? BUILDERS[layer.type] : undefined;
    if (!b) throw new Error(`model layer ${i}: unknown type ${JSON.stringify(layer?.type)} (known: ${layerTypes().join(", ")})`);
    for (const k of Object.keys(layer)) {
      if (k !== "type" && !b.options.includes(k)) throw new Error(`model layer ${i} (${layer.type}): unknown option ${JSON.stringify(k)} (known: ${b.options.join(", ") || "none"})`);
    }
    const missing = (REQUIRED[layer.type] ?? []).filter((k) => (layer as Record<string, unknown>)[k] === undefined);
    if (missing.length > 0) throw new Error(`model layer ${i} (${layer.type}): missing ${missing.map((k) => JSON.stringify(k)).join(", ")} (required: ${REQUIRED[layer.type]!.join(", ")})`);
  });
}

/** Builds a `Sequential` from its spec; unknown layer types or options are an error naming the layer. */
export function buildModel(spec: readonly LayerSpec[], options: BuildOptions = {}): Sequential {
  checkSpec(spec);
  const layers = spec.map((layer): Module => BUILDERS[layer.type]!.build(layer as never, options.rng));
  const model = new Sequential(...layers);
  const comm = options.communicator;
  return comm && comm.worldSize > 1 ? (convertSyncBatchNorm(model, comm) as Sequential) : model;
}
