/**
 * @weft/tensor: tensors over (shared) float storage, reverse-mode autograd, kernels, RNG,
 * gradcheck, safetensors and the Communicator interface.
 */
export { Tensor, noGrad, isGradEnabled, fromOp, gradSlot, freshGradSlot, shapeSize, formatShape, dtypeOf, SAVES_NOTHING } from "./tensor.js";
export type { FloatArray, TensorData, DType, BackwardFn, BackwardOptions, NestedArray } from "./tensor.js";
export { requireFloat, requireInt } from "./dtype-check.js";
export { permuteInto, copyBox } from "./kernels/strided.js";
export { tensor, zeros, ones, full, randn, rand, randint, arange } from "./create.js";
export type { TensorOptions, IntTensorOptions, FloatTensorOptions } from "./create.js";
export * from "./ops/index.js";
export { broadcastShapes } from "./shape.js";
export { Arena, withArena, activeArena, allocLike, allocEmptyLike, allocEmptyInt32, allocSame, allocFloat32, allocFloat64, allocInt32, allocUint8 } from "./arena.js";
export type { ArenaOptions, ArenaStats } from "./arena.js";
export { gemm } from "./kernels/backend.js";
export { gemm as jsGemm } from "./kernels/js/gemm.js";
export { backend, setBackend, kernels } from "./kernels/backend.js";
export type { Backend } from "./kernels/backend.js";
export type { Kernels, GeluApproximation, ConvGeometry, PoolGeometry } from "./kernels/interface.js";
export { jsKernels } from "./kernels/js/index.js";
export { wasmKernels } from "./kernels/wasm/wasm-kernels.js";
export { WasmKernels, defaultWasmKernels, setThreadWasmKernels, threadWasmKernels, wasmKernelsFor, enableRelaxedSimd, wasmRelaxedSimd, wasmSimdSupported } from "./kernels/wasm/index.js";
export type { AdamStep, SgdStep, RmspropStep, WasmKernelsOptions, WasmMemory } from "./kernels/wasm/index.js";
export { erf } from "./kernels/js/erf.js";
export { gradcheck } from "./gradcheck.js";
export type { GradcheckOptions } from "./gradcheck.js";
export * from "./rng.js";
export * from "./safetensors.js";
export { writeFileAtomic } from "./atomic-write.js";
export * from "./communicator.js";
export { manualSeed, defaultRng, setDefaultRng } from "./default-rng.js";
