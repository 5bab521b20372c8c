export { add, sub, mul, div } from "./binary.js";
export { neg, exp, log, sqrt, abs, pow } from "./unary.js";
export { relu, leakyRelu, sigmoid, tanh, gelu, softmax, logSoftmax } from "./activation.js";
export { sum, mean, max, argmax } from "./reduce.js";
export { matmul, linear, transpose, reshape } from "./matmul.js";
