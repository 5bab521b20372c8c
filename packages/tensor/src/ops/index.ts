export { add, sub, mul, div } from "./binary.js";
export { neg, exp, log, sqrt, abs, pow } from "./unary.js";
export { relu, leakyRelu, sigmoid, tanh, gelu, softmax, logSoftmax } from "./activation.js";
export { sum, mean, max, argmax, min, argmin, maxWithIndices, minWithIndices } from "./reduce.js";
export { matmul, linear } from "./matmul.js";
export { reshape, flatten, unflatten, squeeze, unsqueeze, permute, transpose, expand, clone, toDtype } from "./shape.js";
export { narrow, slice, split, chunk, cat, stack, pad } from "./slice.js";
export { fill_, copy_, add_, mul_, maskedFill_ } from "./inplace.js";
export { scaledDotProductAttention } from "./attention.js";
export type { AttentionOptions } from "./attention.js";
// Indexing, comparison and maths (issue 11):
export { indexSelect, gather, scatterAdd, embedding } from "./indexing.js";
export type { EmbeddingOptions } from "./indexing.js";
export { maskedFill, where, tril, triu } from "./masking.js";
export { eq, ne, lt, le, gt, ge, logicalNot, logicalAnd, logicalOr } from "./compare.js";
export type { CompareOperand } from "./compare.js";
export { maximum, minimum, clamp, variance, variance as var, std, logsumexp, cumsum } from "./maths.js";
export type { VarianceOptions } from "./maths.js";
// Convolution and pooling (issue 14):
export { conv1d, conv2d } from "./conv.js";
export type { ConvOptions } from "./conv.js";
export { maxPool2d, avgPool2d, adaptiveAvgPool2d } from "./pool.js";
export type { Pool2dOptions, AvgPool2dOptions } from "./pool.js";
// Sequence models (issue 15):
export { lstm, gru } from "./rnn.js";
export type { RnnOptions, RnnResult, LstmResult } from "./rnn.js";
