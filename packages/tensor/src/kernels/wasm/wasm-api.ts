/**
 * The few WebAssembly JS-API types the kernels need. The package compiles against ES2022 and
 * @types/node, neither of which declares the global `WebAssembly` namespace (lib.dom does), so
 * it is described here structurally instead of pulling in a DOM lib: a real
 * `WebAssembly.Memory` satisfies {@link WasmMemory}.
 */

/** A `WebAssembly.Memory`: plain (`buffer` is an ArrayBuffer) or shared (a SharedArrayBuffer). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Grows by `delta` 64 KiB pages; returns the old size in pages. */
  grow(delta: number): number;
}

/** Exported functions of the kernel module (assembly/index.ts); pointers are byte addresses. */
export interface KernelExports {
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
    bias: number, hasBias: number, scratch: number): void;
  gemmScratchBytes(m: number, n: number, k: number): number;
  sum(dst: number, src: number, strideBytes: number, worldSize: number, n: number): void;
  firstNonFinite(x: number, n: number): number;
  adam(n: number, p: number, g: number, m1: number, m2: number, mx: number,
    decay: number, l2: number, sign: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number,
    stepSize: number, bias2Sqrt: number, eps: number): void;
  adamExact(n: number, p: number, g: number, m1: number, m2: number, mx: number,
    decay: number, l2: number, sign: number, beta1: number, beta2: number, stepSize: number, bias2Sqrt: number, eps: number): void;
  reluForward(x: number, out: number, n: number): void;
  reluBackward(x: number, g: number, slot: number, n: number, assign: number): void;
  leakyReluForward(x: number, out: number, n: number, slope: number): void;
  leakyReluBackward(x: number, g: number, slot: number, n: number, slope: number): void;
  sigmoidForward(x: number, out: number, n: number): void;
  sigmoidBackward(y: number, g: number, slot: number, n: number): void;
  tanhForward(x: number, out: number, n: number): void;
  tanhBackward(y: number, g: number, slot: number, n: number): void;
  geluForward(x: number, out: number, n: number, approximate: number): void;
  geluBackward(x: number, g: number, slot: number, n: number, approximate: number): void;
  geluForwardDeriv(x: number, out: number, deriv: number, n: number, approximate: number): void;
  mulAccumulate(a: number, b: number, slot: number, n: number, assign: number): void;
  attentionRowsForward(e: number, rows: number, keys: number, stride: number, first: number, causal: number, inv: number): void;
  attentionRowsBackward(e: number, ds: number, rows: number, keys: number, stride: number, g: number, o: number, dv: number, inv: number): void;
  winogradWeights(w: number, cOut: number, cIn: number, flip: number, u: number): void;
  winogradInput(x: number, n: number, c: number, h: number, w: number, v: number, pad: number): void;
  winogradOutput(m: number, n: number, c: number, h: number, w: number, y: number, accumulate: number): void;
  addArrays(a: number, b: number, out: number, n: number, sign: number): void;
  moveHeads(x: number, y: number, batch: number, heads: number, len: number, d: number, width: number, col: number, toHeads: number, add: number): void;
  columnSum(a: number, rows: number, cols: number, dst: number): void;
  crossEntropyIndex(x: number, rows: number, classes: number, target: number, eps: number, loss: number, grad: number): void;
  crossEntropyProbs(x: number, rows: number, classes: number, probs: number, eps: number, loss: number, grad: number): void;
  softmaxForward(x: number, out: number, rows: number, cols: number, log: number, scratch: number): void;
  softmaxBackward(y: number, g: number, slot: number, rows: number, cols: number, log: number): void;
  layerNormForward(x: number, rows: number, d: number, eps: number, weight: number, bias: number, out: number, mean: number, invstd: number): void;
  layerNormBackward(x: number, g: number, rows: number, d: number, mean: number, invstd: number, weight: number,
    gx: number, gw: number, gb: number): void;
  batchNormMeanVar(x: number, n: number, c: number, mean: number, variance: number): void;
  batchNormSums(x: number, n: number, c: number, sum: number, sumSq: number): void;
  batchNormForward(x: number, n: number, c: number, mean: number, scale: number, shift: number, out: number): void;
  batchNormBackwardSums(x: number, g: number, n: number, c: number, mean: number, invstd: number, sums: number): void;
  batchNormBackwardDx(x: number, g: number, n: number, c: number, mean: number, invstd: number, k: number,
    meanDy: number, meanDyXhat: number, gx: number): void;
  im2col(x: number, c: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number,
    dh: number, dw: number, oh: number, ow: number, col: number): void;
  col2im(col: number, c: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number,
    dh: number, dw: number, oh: number, ow: number, gx: number): void;
  maxPool2dForward(x: number, planes: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number,
    ph: number, pw: number, oh: number, ow: number, out: number, argmax: number): void;
  maxPool2dBackward(gy: number, argmax: number, planes: number, hw: number, ohw: number, gx: number, assign: number): void;
  batchNormPlanesMeanVar(x: number, n: number, c: number, inner: number, mean: number, variance: number): void;
  batchNormPlanesSums(x: number, n: number, c: number, inner: number, sum: number, sumSq: number): void;
  batchNormPlanesForward(x: number, n: number, c: number, inner: number, mean: number, scale: number, shift: number, out: number): void;
  batchNormPlanesBackwardSums(x: number, g: number, n: number, c: number, inner: number, mean: number, invstd: number, sums: number): void;
  batchNormPlanesBackwardDx(x: number, g: number, n: number, c: number, inner: number, mean: number, invstd: number, k: number,
    meanDy: number, meanDyXhat: number, gx: number, assign: number): void;
  sgd(n: number, p: number, g: number, buf: number, lr: number, wd: number, sign: number, momentum: number,
    scale: number, nesterov: number, first: number): void;
  rmsprop(n: number, p: number, g: number, sq: number, gAvg: number, buf: number, lr: number, alpha: number,
    oneMinusAlpha: number, eps: number, wd: number, momentum: number, sign: number): void;
  lstmCellForward(rows: number, hidden: number, g: number, gS: number, cp: number, cpS: number, hasCp: number, c: number, cS: number, h: number, hS: number): void;
  lstmCellBackward(rows: number, hidden: number, g: number, gS: number, cp: number, cpS: number, hasCp: number, c: number, cS: number,
    dho: number, dhoS: number, hasDho: number, dh: number, dc: number, dg: number): void;
  gruCellForward(rows: number, hidden: number, gx: number, gxS: number, gh: number, ghS: number, hp: number, hpS: number, hasHp: number, h: number, hS: number): void;
  gruCellBackward(rows: number, hidden: number, gx: number, gxS: number, gh: number, ghS: number, hp: number, hpS: number, hasHp: number,
    dho: number, dhoS: number, hasDho: number, dh: number, dgx: number, dgh: number): void;
}

interface WasmModule { readonly __brand: "WebAssembly.Module" }

interface WasmNamespace {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: { env: { memory: WasmMemory } }) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** The global `WebAssembly`, or null where the host has none. */
export function webAssembly(): WasmNamespace | null {
  return ((globalThis as { WebAssembly?: WasmNamespace }).WebAssembly) ?? null;
}

/** 64 KiB, the WebAssembly page. */
export const PAGE_BYTES = 65536;
