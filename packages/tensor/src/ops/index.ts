export { add, sub, mul, div } from "./binary.js";
export { neg, exp, log, sqrt, abs, pow } from "./unary.js";
export { relu, leakyRelu, sigmoid, tanh, gelu, softmax, logSoftmax } from "./activation.js";
export { sum, mean, max, argmax } from "./reduce.js";
export { matmul, linear } from "./matmul.js";
export { reshape, flatten, unflatten, squeeze, unsqueeze, permute, transpose, expand, clone, toDtype } from "./shape.js";
export { narrow, slice, split, chunk, cat, stack, pad } from "./slice.js";
export { fill_, copy_, add_, mul_, maskedFill_ } from "./inplace.js";
