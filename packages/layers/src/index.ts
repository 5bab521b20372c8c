/** @weft/layers: Module, Sequential, ModuleList, ModuleDict, Linear, activations, Dropout, losses, init and checkpoints. */
export { Module, Parameter, isModule, isParameter } from "./module.js";
export type { StateEntry, FlatParameters } from "./module.js";
export { Sequential } from "./sequential.js";
export { ModuleList } from "./module-list.js";
export { ModuleDict } from "./module-dict.js";
export { Linear } from "./linear.js";
export type { LinearOptions } from "./linear.js";
export { ReLU, Sigmoid, Tanh, LeakyReLU, GELU, Softmax } from "./activation.js";
export { Dropout } from "./dropout.js";
export { mseLoss, bceLoss, bceWithLogitsLoss, crossEntropyLoss } from "./loss.js";
export type { Reduction, LossOptions, CrossEntropyOptions } from "./loss.js";
export * as init from "./init.js";
export { l1Penalty } from "./l1.js";
export { saveSafetensors, loadSafetensors } from "./checkpoint.js";
// Convolutional layers (issue 14):
export { Conv1d, Conv2d } from "./conv.js";
export type { ConvLayerOptions } from "./conv.js";
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from "./pool.js";
export type { MaxPool2dOptions, AvgPool2dOptions } from "./pool.js";
export { Flatten, Unflatten } from "./flatten.js";
export { Dropout2d } from "./dropout.js";
// Sequence models (issue 15):
export { LayerNorm } from "./layer-norm.js";
export type { LayerNormOptions } from "./layer-norm.js";
export { Embedding } from "./embedding.js";
export type { EmbeddingOptions } from "./embedding.js";
export { MultiheadAttention } from "./attention.js";
export type { MultiheadAttentionOptions, AttentionMasks } from "./attention.js";
export { TransformerEncoderLayer, TransformerEncoder } from "./transformer.js";
export type { TransformerEncoderLayerOptions, EncoderMasks } from "./transformer.js";
export { LSTM, GRU } from "./rnn.js";
export type { RnnOptions } from "./rnn.js";
