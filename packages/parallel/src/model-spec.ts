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

/** Builds a `Sequential` from its spec; unknown layer types or options are an error naming the layer. */
export function buildModel(spec: readonly LayerSpec[], options: BuildOptions = {}): Sequential {
  if (!Array.isArray(spec)) throw new Error(`model: expected a list of layer specs ([{type: "Linear", …}, …]), got ${spec === null ? "null" : typeof spec}`);
  const layers = spec.map((layer, i): Module => {
    const b = Object.hasOwn(BUILDERS, layer.type) ? BUILDERS[layer.type] : undefined;
    if (!b) throw new Error(`model layer ${i}: unknown type ${JSON.stringify(layer.type)} (known: ${layerTypes().join(", ")})`);
    for (const k of Object.keys(layer)) {
      if (k !== "type" && !b.options.includes(k)) throw new Error(`model layer ${i} (${layer.type}): unknown option ${JSON.stringify(k)} (known: ${b.options.join(", ") || "none"})`);
    }
    return b.build(layer as never, options.rng);
  });
  const model = new Sequential(...layers);
  const comm = options.communicator;
  return comm && comm.worldSize > 1 ? (convertSyncBatchNorm(model, comm) as Sequential) : model;
}
