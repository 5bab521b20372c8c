/** Runner for golden `module` cases: load state, forward, backward, check grads and buffers after. */
import { AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, Embedding, Flatten, GRU, LSTM, Linear, MaxPool2d, MultiheadAttention, TransformerEncoderLayer, type Module } from "@weft/layers";
import type { Tensor } from "@weft/tensor";
import { BatchNorm1d, BatchNorm2d, LayerNorm } from "@weft/norm";
import { checkKeys, expectClose, toTensor, type GCase, type GTensor } from "./cases.js";

type Config = Record<string, unknown>;

const CONV = ["inChannels", "outChannels", "kernelSize", "stride", "padding", "dilation", "groups", "bias"];

interface ModuleSpec {
  options: string[];
  make: (c: Config) => Module;
}

const RNN_OPTIONS = ["inputSize", "hiddenSize", "numLayers", "bias", "batchFirst", "dropout", "bidirectional"];

const MODULES: Record<string, ModuleSpec> = {
  Linear: { options: ["inFeatures", "outFeatures", "bias"], make: (c) => new Linear(c.inFeatures as number, c.outFeatures as number, { bias: (c.bias as boolean) ?? true }) },
  BatchNorm1d: {
    options: ["numFeatures", "eps", "momentum", "affine", "trackRunningStats"],
    make: ({ numFeatures, ...o }) => new BatchNorm1d(numFeatures as number, o),
  },
  LayerNorm: {
    options: ["normalizedShape", "eps", "elementwiseAffine"],
    make: ({ normalizedShape, ...o }) => new LayerNorm(normalizedShape as number[], o),
  },
  // Convolutional modules (conv.json):
  Conv1d: { options: CONV, make: ({ inChannels, outChannels, kernelSize, ...o }) => new Conv1d(inChannels as number, outChannels as number, kernelSize as number[], o) },
  Conv2d: { options: CONV, make: ({ inChannels, outChannels, kernelSize, ...o }) => new Conv2d(inChannels as number, outChannels as number, kernelSize as number[], o) },
  BatchNorm2d: {
    options: ["numFeatures", "eps", "momentum", "affine", "trackRunningStats"],
    make: ({ numFeatures, ...o }) => new BatchNorm2d(numFeatures as number, o),
  },
  MaxPool2d: { options: ["kernelSize", "stride", "padding", "ceilMode"], make: ({ kernelSize, ...o }) => new MaxPool2d(kernelSize as number[], o) },
  AvgPool2d: { options: ["kernelSize", "stride", "padding", "ceilMode", "countIncludePad"], make: ({ kernelSize, ...o }) => new AvgPool2d(kernelSize as number[], o) },
  AdaptiveAvgPool2d: { options: ["outputSize"], make: (c) => new AdaptiveAvgPool2d(c.outputSize as number[]) },
  Flatten: { options: ["startDim", "endDim"], make: (c) => new Flatten((c.startDim as number) ?? 1, (c.endDim as number) ?? -1) },
  // Sequence models (issue 15):
  Embedding: {
    options: ["numEmbeddings", "embeddingDim", "paddingIdx"],
    make: (c) => new Embedding(c.numEmbeddings as number, c.embeddingDim as number, { paddingIdx: c.paddingIdx as number | undefined }),
  },
  MultiheadAttention: {
    options: ["embedDim", "numHeads", "bias", "batchFirst", "dropout", "causal"],
    make: ({ embedDim, numHeads, ...o }) => new MultiheadAttention(embedDim as number, numHeads as number, o),
  },
  TransformerEncoderLayer: {
    options: ["dModel", "nhead", "dimFeedforward", "dropout", "activation", "layerNormEps", "batchFirst", "normFirst", "bias", "causal"],
    make: ({ dModel, nhead, ...o }) => new TransformerEncoderLayer(dModel as number, nhead as number, o),
  },
  LSTM: { options: RNN_OPTIONS, make: ({ inputSize, hiddenSize, ...o }) => new LSTM(inputSize as number, hiddenSize as number, o) },
  GRU: { options: RNN_OPTIONS, make: ({ inputSize, hiddenSize, ...o }) => new GRU(inputSize as number, hiddenSize as number, o) },
};

export function runModuleCase(c: GCase): void {
  const spec = MODULES[c.module as string];
  if (!spec) throw new Error(`unknown module ${JSON.stringify(c.module)} (known: ${Object.keys(MODULES).join(", ")})`);
  const config = (c.config ?? {}) as Config;
  checkKeys(`module ${c.module} config`, config, spec.options);
  const m = spec.make(config);
  const state: Record<string, GTensor> = { ...(c.params as Record<string, GTensor>), ...(c.buffers as Record<string, GTensor>) };
  m.loadStateDict(state);
  if (c.mode !== "train" && c.mode !== "eval") throw new Error(`unknown mode ${JSON.stringify(c.mode)}`);
  m.train(c.mode === "train");
  const input = toTensor(c.input as GTensor, true) as Tensor;
  const out = m.forward(input);
  expectClose("output", out.shape, out.data, c.output as GTensor, c.tol);
  out.backward(toTensor(c.upstream as GTensor));
  // An int input (token ids) has no gradient: inputGrad is null.
  if (c.inputGrad === null) {
    if (input.grad !== null) throw new Error("inputGrad: the case has none (an int input), but the input received one");
  } else {
    if (!input.grad) throw new Error("inputGrad: the input received no gradient");
    expectClose("inputGrad", input.grad.shape, input.grad.data, c.inputGrad as GTensor, c.tol);
  }
  const params = Object.fromEntries(m.namedParameters());
  for (const [name, g] of Object.entries((c.paramGrads ?? {}) as Record<string, GTensor>)) {
    const p = params[name];
    if (!p) throw new Error(`paramGrads names ${name}, which the module does not have`);
    if (!p.grad) throw new Error(`parameter ${name} received no gradient`);
    expectClose(`grad of ${name}`, p.shape, p.grad.data, g, c.tol);
  }
  const buffers = Object.fromEntries(m.namedBuffers());
  for (const [name, b] of Object.entries((c.buffersAfter ?? {}) as Record<string, GTensor>)) {
    const t = buffers[name];
    if (!t) throw new Error(`buffersAfter names ${name}, which the module does not have`);
    expectClose(`buffer ${name} after`, b.shape.length === 0 ? [] : t.shape, t.data, b, c.tol);
  }
}
