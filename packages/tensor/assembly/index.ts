// Entry point of the WebAssembly kernel module (compiled by scripts/build-wasm.mjs).
// Every kernel works on byte pointers into the module's (imported) linear memory and owns no
// memory itself: the JS side (src/kernels/wasm/) decides where operands and scratch live.
export { gemm, gemmScratchBytes } from "./gemm";
export { sum } from "./sum";
export { firstNonFinite } from "./finite";
export { adam, adamExact } from "./adam";
export { reluForward, reluBackward } from "./relu";
export { columnSum } from "./column-sum";
export { crossEntropyIndex, crossEntropyProbs } from "./cross-entropy";
export { softmaxForward, softmaxBackward } from "./softmax";
export { layerNormForward, layerNormBackward } from "./layer-norm";
export { batchNormMeanVar, batchNormSums, batchNormForward, batchNormBackwardSums, batchNormBackwardDx } from "./batch-norm";
export { sgd } from "./sgd";
export { rmsprop } from "./rmsprop";
export {
  leakyReluForward, leakyReluBackward, sigmoidForward, sigmoidBackward, tanhForward, tanhBackward, geluForward, geluBackward,
  geluForwardDeriv, mulAccumulate,
} from "./activation";
// Convolution and pooling (issue 14), and BatchNorm over [n, C, inner > 1] (BatchNorm2d):
export { im2col, col2im } from "./conv";
export { addArrays, moveHeads } from "./elementwise";
export { maxPool2dForward, maxPool2dBackward } from "./pool";
export {
  batchNormPlanesMeanVar, batchNormPlanesSums, batchNormPlanesForward, batchNormPlanesBackwardSums, batchNormPlanesBackwardDx,
} from "./batch-norm-planes";
export { lstmCellForward, lstmCellBackward, gruCellForward, gruCellBackward } from "./rnn";
export { attentionRowsForward, attentionRowsBackward } from "./attention";
export { winogradWeights, winogradInput, winogradOutput } from "./winograd";
