import { instantiateKernels, createPrivateMemory, isSharedMemory } from "./module.js";
import { type KernelExports, type WasmMemory, PAGE_BYTES } from "./wasm-api.js";

/** Where a {@link WasmKernels} instance works. */
export interface WasmKernelsOptions {
  /**
   * A `WebAssembly.Memory` to work in, plain or shared (`shared: true`, as a parallel engine
   * that keeps parameters, gradients and optimiser state in one memory would pass). Default: a
   * new plain memory that the instance owns and grows as needed.
   */
  memory?: WasmMemory;
  /**
   * With `memory`: the byte range `[scratchOffset, scratchOffset + scratchBytes)` that this
   * instance may overwrite — gemm's packing buffers and the staging copies of the array-level
   * calls. Each thread needs its own range. A caller's memory is never grown by the instance.
   */
  scratchOffset?: number;
  scratchBytes?: number;
}

/**
 * Hyper-parameters of one Adam/AdamW step, as @weft/optim's AdamBase derives them:
 * `decay` = 1 − lr·weightDecay for AdamW, else 1; `l2` = weightDecay for Adam, else 0;
 * `sign` = −1 when maximising, else 1; `stepSize` = lr / (1 − β1^t);
 * `bias2Sqrt` = √(1 − β2^t). Keep one object and update it each step: no allocation.
 */
export interface AdamStep {
  decay: number;
  l2: number;
  sign: number;
  beta1: number;
  beta2: number;
  stepSize: number;
  bias2Sqrt: number;
  eps: number;
}

/**
 * Scalars of one SGD step, as @weft/optim's SGD uses them: `sign` = −1 when maximising;
 * `scale` = 1 − dampening; `first`: the first step (the momentum buffer becomes d).
 */
export interface SgdStep {
  lr: number;
  weightDecay: number;
  sign: number;
  momentum: number;
  scale: number;
  nesterov: boolean;
  first: boolean;
}

/** Scalars of one RMSprop step, as @weft/optim's RMSprop uses them (`sign` = −1 when maximising). */
export interface RmspropStep {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  sign: number;
}

/** Bytes reserved at address 0 of an owned memory, so that no operand lives at the null pointer. */
const RESERVED = 64;
/** Operands are staged 64-byte aligned (a cache line). */
const ALIGN = 64;

const align = (x: number): number => Math.ceil(x / ALIGN) * ALIGN;

/** Elements of a row-major block of `rows` rows of `cols` values `ld` apart (0 when empty). */
const span = (rows: number, cols: number, ld: number): number => (rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols);

/** A view of `len` elements at byte address `ptr` of `all`, cached by address and length. */
function cachedView<T extends Float32Array | Float64Array>(cache: Map<number, Map<number, T>>, all: T, shift: number, ptr: number, len: number): T {
  let byLen = cache.get(ptr);
  if (byLen === undefined) {
    if (cache.size >= 64) cache.clear();
    byLen = new Map();
    cache.set(ptr, byLen);
  }
  let v = byLen.get(len);
  if (v === undefined) {
    if (byLen.size >= 16) byLen.clear();
    v = all.subarray(ptr >> shift, (ptr >> shift) + len) as T;
    byLen.set(len, v);
  }
  return v;
}

/**
 * The WebAssembly SIMD kernels bound to one linear memory — the elementwise, gemm, optimiser and
 * BatchNorm ones; {@link WasmKernels} (row-kernels.ts) adds the per-row kernels (softmax,
 * cross-entropy, LayerNorm) and is the class to use.
 *
 * Two levels of entry point:
 * - pointer level (`gemmPtr`, `adamPtr`, `sumPtr`, `reluForwardPtr`, `reluBackwardPtr`,
 *   the other activations' `*ForwardPtr` / `*BackwardPtr`,
 *   `columnSumPtr`, `batchNorm*Ptr`, `sgdPtr`, `rmspropPtr`): operands are byte addresses of data
 *   already in `memory`; the kernels run in place, with zero copies. This is the path for
 *   a caller that keeps its tensors in (shared) wasm memory.
 * - array level (`gemm`, `adam`, `sum`, `reluForward`, `reluBackward`,
 *   `leakyRelu*`, `sigmoid*`, `tanh*`, `gelu*`, `columnSum`,
 *   `batchNorm*`, `sgd`, `rmsprop`): ordinary typed arrays, copied into this instance's
 *   scratch with `Float32Array.set`, computed, and copied back. An operand that already lies in
 *   `memory` (its `.buffer` is `memory.buffer`) is used in place instead.
 *
 * The cost of those copies (scripts/bench-wasm.mjs, 2-vCPU Zen dev machine, medians; operands
 * in ordinary ArrayBuffers): forward Y[128×256] = X[128×784]·W[256×784]ᵀ + b copies 1.2 MB
 * in and 128 KB out, 27–37 µs against a 1.3–1.4 ms kernel (2–3%); the backward gemms
 * (dW = dYᵀ·X, dX = dY·W) also copy C in and out because they accumulate (beta = 1): 41–43 µs,
 * ≈ 3.4% of the kernel. Two things make it worse in real training: a source in a
 * SharedArrayBuffer (the parallel engine's parameters and gradients) copies at half the speed
 * (V8 copies shared memory with relaxed atomics: 28 vs 15 µs for W's 800 KB), and small layers
 * copy more per flop. Profiling `weft train --workers 1` (784-256-128-10, batch 128) showed the
 * staging copies at ≈ 20% of the wasm gemm time — what zero-copy storage in wasm memory
 * (the pointer level) removes. Copying into a shared memory also costs twice as much, which is
 * why the default instance's memory is not shared.
 *
 * Not thread-safe by design: one instance per thread (each worker builds its own; several may
 * share one memory as long as their scratch ranges are disjoint).
 */
export class WasmKernelsBase {
  /** The memory the kernels read and write. */
  readonly memory: WasmMemory;
  /** Whether `memory` is shared (its buffer a SharedArrayBuffer). */
  readonly shared: boolean;
  protected readonly x: KernelExports;
  private readonly owned: boolean;
  private readonly scratchStart: number;
  private scratchEnd: number;
  private view: Float32Array;
  private view64: Float64Array;
  // Views of the memory handed to Float32Array.set when copying results out, cached by
  // address and length so that a steady training loop allocates none (cleared on growth).
  private readonly views = new Map<number, Map<number, Float32Array>>();
  private readonly views64 = new Map<number, Map<number, Float64Array>>();
  /** Byte addresses of the operands of the array-level call in progress (reused: no allocation). */
  protected readonly ptrs: number[] = [];

  constructor(options: WasmKernelsOptions = {}) {
    if (options.memory !== undefined) {
      const start = options.scratchOffset ?? 0;
      const bytes = options.scratchBytes ?? 0;
      if (!Number.isInteger(start) || start < 0 || start % 16 !== 0) {
        throw new Error(`WasmKernels: scratchOffset must be a non-negative multiple of 16, got ${start}`);
      }
      if (!Number.isInteger(bytes) || bytes < 0 || start + bytes > options.memory.buffer.byteLength) {
        throw new Error(`WasmKernels: scratch range [${start}, ${start + bytes}) must lie inside the memory's ${options.memory.buffer.byteLength} bytes`);
      }
      this.memory = options.memory;
      this.owned = false;
      this.scratchStart = start;
      this.scratchEnd = start + bytes;
    } else {
      if (options.scratchOffset !== undefined || options.scratchBytes !== undefined) {
        throw new Error("WasmKernels: scratchOffset/scratchBytes apply only with a memory of your own (options.memory)");
      }
      this.memory = createPrivateMemory(16);
      this.owned = true;
      this.scratchStart = RESERVED;
      this.scratchEnd = this.memory.buffer.byteLength;
    }
    this.shared = isSharedMemory(this.memory);
    this.x = instantiateKernels(this.memory);
    this.view = new Float32Array(this.memory.buffer);
    this.view64 = new Float64Array(this.memory.buffer);
  }

  /** A float32 view of the whole memory (a new one after the memory has grown). */
  f32(): Float32Array {
    const buf = this.memory.buffer;
    if (this.view.buffer !== buf) {
      this.view = new Float32Array(buf);
      this.view64 = new Float64Array(buf);
      this.views.clear();
      this.views64.clear();
    }
    return this.view;
  }

  /** A float64 view of the whole memory (a new one after the memory has grown). */
  private f64(): Float64Array {
    this.f32();
    return this.view64;
  }

  /** Whether `arr` is a view of this instance's memory, so that the array-level calls use it in place. */
  holds(arr: Float32Array | Float64Array | Int32Array): boolean {
    return arr.buffer === this.memory.buffer;
  }

  /** Bytes of scratch {@link gemmPtr} needs for an m×n×k product. */
  gemmScratchBytes(m: number, n: number, k: number): number {
    return this.x.gemmScratchBytes(m, n, k);
  }

  /**
   * Makes `[scratchStart, scratchStart + bytes)` usable and returns scratchStart: grows an owned
   * memory (by at least half its size, so growth stops once the largest call has been seen);
   * throws for a caller's memory whose scratch range is too small.
   */
  protected reserve(bytes: number): number {
    const need = this.scratchStart + bytes;
    if (need > this.scratchEnd) {
      if (!this.owned) {
        throw new Error(`WasmKernels: this call needs ${bytes} bytes of scratch, but the range given holds ${this.scratchEnd - this.scratchStart} (options.scratchBytes)`);
      }
      const have = this.memory.buffer.byteLength;
      this.memory.grow(Math.max(Math.ceil((need - have) / PAGE_BYTES), Math.ceil(have / PAGE_BYTES / 2)));
      this.scratchEnd = this.memory.buffer.byteLength;
    }
    return this.scratchStart;
  }

  /** A cached float32 view of `len` elements at byte address `ptr`. */
  private viewAt(ptr: number, len: number): Float32Array {
    return cachedView(this.views, this.f32(), 2, ptr, len);
  }

  /**
   * Reserves scratch for every operand of an array-level call that is not in `memory` (64-byte
   * aligned, after `workBytes` of kernel scratch) and sets `this.ptrs[i]` to operand i's byte
   * address: in place, or its staging slot, copied in when `copyIn[i]`. Null operands get 0.
   * Returns the address of the kernel scratch.
   */
  protected stage(ops: readonly (Float32Array | Float64Array | null)[], copyIn: readonly boolean[], workBytes = 0): number {
    let bytes = align(workBytes);
    for (const a of ops) if (a !== null && !this.holds(a)) bytes += align(a.byteLength);
    const base = this.reserve(bytes);
    let at = base + align(workBytes);
    this.ptrs.length = ops.length;
    for (let i = 0; i < ops.length; i++) {
      const a = ops[i];
      if (a === null) this.ptrs[i] = 0;
      else if (this.holds(a)) this.ptrs[i] = a.byteOffset;
      else {
        this.ptrs[i] = at;
        if (copyIn[i] && a.length > 0) {
          if (a instanceof Float64Array) this.f64().set(a, at >> 3);
          else this.f32().set(a, at >> 2);
        }
        at += align(a.byteLength);
      }
    }
    return base;
  }

  /** Copies operand i of the call in progress back from its staging slot (nothing when in place). */
  protected unstage(a: Float32Array | Float64Array, i: number): void {
    if (this.holds(a) || a.length === 0) return;
    if (a instanceof Float64Array) a.set(cachedView(this.views64, this.f64(), 3, this.ptrs[i], a.length));
    else a.set(this.viewAt(this.ptrs[i], a.length));
  }

  /** Copies `len` elements of `src` from `off` to byte address `ptr`. */
  private put(src: Float32Array, off: number, len: number, ptr: number): void {
    const all = this.f32();
    all.set(off === 0 && len === src.length ? src : src.subarray(off, off + len), ptr >> 2);
  }

  // ---- pointer level ----

  /**
   * C[m×n] = alpha·op(A)·op(B) + beta·C (+ bias[j]) on byte addresses in `memory`, same
   * contract as kernels/gemm.ts (row-major, op(A) = A [m×k] or, when transA, A stored [k×m];
   * beta = 0 never reads C). `bias` null: none. `scratch`: byte address of
   * gemmScratchBytes(m, n, k) bytes it may overwrite; default: this instance's scratch range.
   * An address outside the memory traps (a WebAssembly.RuntimeError), it cannot corrupt.
   */
  gemmPtr(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
    bias: number | null = null, scratch?: number,
  ): void {
    const s = scratch ?? this.reserve(this.x.gemmScratchBytes(m, n, k));
    this.x.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias ?? 0, bias === null ? 0 : 1, s);
  }

  /**
   * One Adam/AdamW step over n float32 elements in place at byte addresses p (parameters),
   * g (gradients), m1, m2 (moments), mx (AMSGrad's running max; 0 = none).
   * `exact`: compute in float64 lanes, bit-identical to @weft/optim's JS loop, ≈ 2.5× slower;
   * default float32 lanes, equal to it within the golden tolerances.
   */
  adamPtr(n: number, p: number, g: number, m1: number, m2: number, mx: number, h: AdamStep, exact = false): void {
    if (exact) {
      this.x.adamExact(n, p, g, m1, m2, mx, h.decay, h.l2, h.sign, h.beta1, h.beta2, h.stepSize, h.bias2Sqrt, h.eps);
    } else {
      // (1 − β) is computed in double and rounded once, as the JS loop's double (1 − β) would be.
      this.x.adam(n, p, g, m1, m2, mx, h.decay, h.l2, h.sign, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.stepSize, h.bias2Sqrt, h.eps);
    }
  }

  /**
   * dst[i] = Σ_r src[r·stride + i] for r = 0…worldSize−1 in rank order, n float32 elements,
   * summed in float64 and rounded once (bit-identical to @weft/parallel's JS loop).
   * `src`, `dst` are byte addresses; `strideBytes` is the distance between consecutive
   * sources. dst may be one of the sources (the in-place all-reduce).
   */
  sumPtr(dst: number, src: number, strideBytes: number, worldSize: number, n: number): void {
    this.x.sum(dst, src, strideBytes, worldSize, n);
  }

  /** Index of the first ±∞ or NaN among n float32 elements at byte address x, or −1 when all are finite. */
  firstNonFinitePtr(x: number, n: number): number {
    return this.x.firstNonFinite(x, n);
  }

  /** out[i] = relu(x[i]) for n float32 elements at byte addresses (out may be x). */
  reluForwardPtr(x: number, out: number, n: number): void {
    this.x.reluForward(x, out, n);
  }

  /** slot[i] += g[i] where x[i] > 0, for n float32 elements at byte addresses. */
  reluBackwardPtr(x: number, g: number, slot: number, n: number): void {
    this.x.reluBackward(x, g, slot, n);
  }

  // The other activations on byte addresses (n float32 elements; out may be x): the kernels of
  // assembly/activation.ts, the JS kernels' bits (see the array-level methods). `approximate`
  // for GELU: "none" (erf) or "tanh".
  leakyReluForwardPtr(x: number, out: number, n: number, slope: number): void {
    this.x.leakyReluForward(x, out, n, slope);
  }
  leakyReluBackwardPtr(x: number, g: number, slot: number, n: number, slope: number): void {
    this.x.leakyReluBackward(x, g, slot, n, slope);
  }
  sigmoidForwardPtr(x: number, out: number, n: number): void {
    this.x.sigmoidForward(x, out, n);
  }
  /** From the output y: slot += g·y·(1 − y). */
  sigmoidBackwardPtr(y: number, g: number, slot: number, n: number): void {
    this.x.sigmoidBackward(y, g, slot, n);
  }
  tanhForwardPtr(x: number, out: number, n: number): void {
    this.x.tanhForward(x, out, n);
  }
  /** From the output y: slot += g·(1 − y²). */
  tanhBackwardPtr(y: number, g: number, slot: number, n: number): void {
    this.x.tanhBackward(y, g, slot, n);
  }
  geluForwardPtr(x: number, out: number, n: number, approximate: "none" | "tanh"): void {
    this.x.geluForward(x, out, n, approximate === "tanh" ? 1 : 0);
  }
  geluBackwardPtr(x: number, g: number, slot: number, n: number, approximate: "none" | "tanh"): void {
    this.x.geluBackward(x, g, slot, n, approximate === "tanh" ? 1 : 0);
  }

  /** dst[j] += Σ_r a[r·cols + j] (float32, row order) for a [rows, cols] at byte addresses. */
  columnSumPtr(a: number, rows: number, cols: number, dst: number): void {
    this.x.columnSum(a, rows, cols, dst);
  }

  // BatchNorm1d's kernels on byte addresses (x, dy, out, gx: float32 [n, c]; per-feature
  // vectors: float64 [c], sums [2c]); see the array-level methods of the same names.
  batchNormMeanVarPtr(x: number, n: number, c: number, mean: number, variance: number): void {
    this.x.batchNormMeanVar(x, n, c, mean, variance);
  }
  batchNormSumsPtr(x: number, n: number, c: number, sum: number, sumSq: number): void {
    this.x.batchNormSums(x, n, c, sum, sumSq);
  }
  batchNormForwardPtr(x: number, n: number, c: number, mean: number, scale: number, shift: number, out: number): void {
    this.x.batchNormForward(x, n, c, mean, scale, shift, out);
  }
  batchNormBackwardSumsPtr(x: number, dy: number, n: number, c: number, mean: number, invstd: number, sums: number): void {
    this.x.batchNormBackwardSums(x, dy, n, c, mean, invstd, sums);
  }
  batchNormBackwardDxPtr(x: number, dy: number, n: number, c: number, mean: number, invstd: number, k: number, meanDy: number, meanDyXhat: number, gx: number): void {
    this.x.batchNormBackwardDx(x, dy, n, c, mean, invstd, k, meanDy, meanDyXhat, gx);
  }

  /**
   * One SGD step over n float32 elements in place at byte addresses p, g and buf (the momentum
   * buffer; 0 = none), in float64 lanes: the bits of @weft/optim's JS loop.
   */
  sgdPtr(n: number, p: number, g: number, buf: number, h: SgdStep): void {
    this.x.sgd(n, p, g, buf, h.lr, h.weightDecay, h.sign, h.momentum, h.scale, h.nesterov ? 1 : 0, h.first ? 1 : 0);
  }

  /**
   * One RMSprop step over n float32 elements in place at byte addresses p, g, sq (square
   * average), gAvg (0 = not centered), buf (0 = no momentum), in float64 lanes: the bits of
   * @weft/optim's JS loop.
   */
  rmspropPtr(n: number, p: number, g: number, sq: number, gAvg: number, buf: number, h: RmspropStep): void {
    this.x.rmsprop(n, p, g, sq, gAvg, buf, h.lr, h.alpha, 1 - h.alpha, h.eps, h.weightDecay, h.momentum, h.sign);
  }

  // ---- array level ----

  /** Scratch bytes {@link gemm} needs to stage this call's operands that are not in `memory`. */
  private gemmStagingBytes(m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, c: Float32Array, ldc: number, transA: boolean, transB: boolean, bias?: Float32Array | null): number {
    const product = k > 0 && alpha !== 0;
    const aLen = product ? (transA ? span(k, m, lda) : span(m, k, lda)) : 0;
    const bLen = product ? (transB ? span(n, k, ldb) : span(k, n, ldb)) : 0;
    const cLen = span(m, n, ldc);
    const work = product ? align(this.x.gemmScratchBytes(m, n, k)) : 0;
    const aIn = aLen === 0 || this.holds(a), bIn = bLen === 0 || this.holds(b), cIn = this.holds(c);
    const biasIn = bias === undefined || bias === null || this.holds(bias);
    return work + (aIn ? 0 : align(aLen * 4)) + (bIn ? 0 : align(bLen * 4)) + (cIn ? 0 : align(cLen * 4)) + (biasIn ? 0 : n * 4);
  }

  /** Whether {@link gemm} can run this call within this instance's scratch (always, for an owned memory). */
  gemmFits(m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, c: Float32Array, ldc: number, transA: boolean, transB: boolean, bias?: Float32Array | null): boolean {
    return this.owned || this.gemmStagingBytes(m, n, k, alpha, a, lda, b, ldb, c, ldc, transA, transB, bias) <= this.scratchEnd - this.scratchStart;
  }

  /**
   * gemm with the signature of kernels/gemm.ts for float32 arrays: operands are copied into
   * scratch (unless already in `memory`), C is copied back. Only the elements the JS kernel
   * would touch are read or written.
   */
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, aOff: number, lda: number, b: Float32Array, bOff: number, ldb: number,
    beta: number, c: Float32Array, cOff: number, ldc: number, bias?: Float32Array | null, biasOff = 0,
  ): void {
    if (m <= 0 || n <= 0) return;
    const product = k > 0 && alpha !== 0; // otherwise A and B are not read (as in BLAS)
    const aLen = product ? (transA ? span(k, m, lda) : span(m, k, lda)) : 0;
    const bLen = product ? (transB ? span(n, k, ldb) : span(k, n, ldb)) : 0;
    const cLen = span(m, n, ldc);
    const aIn = aLen === 0 || this.holds(a), bIn = bLen === 0 || this.holds(b), cIn = this.holds(c);
    const hasBias = bias !== undefined && bias !== null;
    const biasIn = !hasBias || this.holds(bias);
    // Scratch layout: [gemm packing][A][B][C][bias], each staged operand 64-byte aligned.
    const work = product ? align(this.x.gemmScratchBytes(m, n, k)) : 0;
    const aAt = work, bAt = aAt + (aIn ? 0 : align(aLen * 4)), cAt = bAt + (bIn ? 0 : align(bLen * 4));
    const biasAt = cAt + (cIn ? 0 : align(cLen * 4));
    const base = this.reserve(biasAt + (biasIn ? 0 : n * 4));

    const aPtr = aIn ? a.byteOffset + aOff * 4 : base + aAt;
    const bPtr = bIn ? b.byteOffset + bOff * 4 : base + bAt;
    const cPtr = cIn ? c.byteOffset + cOff * 4 : base + cAt;
    const biasPtr = !hasBias ? null : biasIn ? bias.byteOffset + biasOff * 4 : base + biasAt;
    if (!aIn) this.put(a, aOff, aLen, aPtr);
    if (!bIn) this.put(b, bOff, bLen, bPtr);
    // C is read when beta ≠ 0; when rows have gaps (ldc > n) it is staged anyway so that the
    // copy back, one span, writes the gaps back unchanged.
    if (!cIn && (beta !== 0 || ldc > n)) this.put(c, cOff, cLen, cPtr);
    if (hasBias && !biasIn) this.put(bias, biasOff, n, biasPtr as number);

    this.x.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, aPtr, lda, bPtr, ldb, beta, cPtr, ldc,
      biasPtr ?? 0, hasBias ? 1 : 0, base);
    if (!cIn) c.set(this.viewAt(cPtr, cLen), cOff);
  }

  /**
   * One Adam/AdamW step on ordinary arrays of equal length (see {@link adamPtr}): parameters
   * `p` and gradients `g`, state `m1`, `m2` and, with AMSGrad, `mx` (else null), all updated
   * in place through scratch copies.
   */
  adam(p: Float32Array, g: Float32Array, m1: Float32Array, m2: Float32Array, mx: Float32Array | null, h: AdamStep, exact = false): void {
    const n = p.length;
    for (const [name, arr] of [["g", g], ["m1", m1], ["m2", m2], ["mx", mx]] as const) {
      if (arr !== null && arr.length !== n) throw new Error(`WasmKernels.adam: ${name} has ${arr.length} elements, p has ${n}`);
    }
    if (n === 0) return;
    const bytes = align(n * 4);
    const base = this.reserve(bytes * (mx === null ? 4 : 5));
    const ptrs = [p, g, m1, m2, mx].map((arr, i) => {
      if (arr === null) return 0;
      this.put(arr, 0, n, base + i * bytes);
      return base + i * bytes;
    });
    this.adamPtr(n, ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], h, exact);
    p.set(this.viewAt(ptrs[0], n));
    m1.set(this.viewAt(ptrs[2], n));
    m2.set(this.viewAt(ptrs[3], n));
    if (mx !== null) mx.set(this.viewAt(ptrs[4], n));
  }

  /** out = relu(x) on arrays of equal length, in place when in `memory`, else through scratch copies (see {@link reluForwardPtr}). */
  reluForward(x: Float32Array, out: Float32Array): void {
    const n = x.length;
    if (out.length !== n) throw new Error(`WasmKernels.reluForward: out has ${out.length} elements, x has ${n}`);
    if (n === 0) return;
    this.stage([x, out], [true, false]);
    this.x.reluForward(this.ptrs[0], this.ptrs[1], n);
    this.unstage(out, 1);
  }

  /** slot += g where x > 0 on arrays of equal length, in place when in `memory`, else through scratch copies (see {@link reluBackwardPtr}). */
  reluBackward(x: Float32Array, g: Float32Array, slot: Float32Array): void {
    const n = x.length;
    if (g.length !== n || slot.length !== n) throw new Error(`WasmKernels.reluBackward: x, g and slot must have equal lengths, got ${n}, ${g.length}, ${slot.length}`);
    if (n === 0) return;
    this.stage([x, g, slot], [true, true, true]);
    this.x.reluBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], n);
    this.unstage(slot, 2);
  }

  /** out = leakyRelu(x, slope) on arrays of equal length (x > 0 ? x : x·slope, in float64 rounded once: the JS kernel's bits). */
  leakyReluForward(x: Float32Array, out: Float32Array, slope: number): void {
    if (!this.unaryIn("leakyReluForward", x, out)) return;
    this.x.leakyReluForward(this.ptrs[0], this.ptrs[1], x.length, slope);
    this.unstage(out, 1);
  }
  /** slot += x > 0 ? g : g·slope on arrays of equal length (the JS kernel's bits). */
  leakyReluBackward(x: Float32Array, g: Float32Array, slot: Float32Array, slope: number): void {
    if (!this.binaryIn("leakyReluBackward", x, g, slot)) return;
    this.x.leakyReluBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], x.length, slope);
    this.unstage(slot, 2);
  }
  /** out = sigmoid(x), the stable form (the JS kernel's bits). */
  sigmoidForward(x: Float32Array, out: Float32Array): void {
    if (!this.unaryIn("sigmoidForward", x, out)) return;
    this.x.sigmoidForward(this.ptrs[0], this.ptrs[1], x.length);
    this.unstage(out, 1);
  }
  /** slot += g·y·(1 − y) from the output y (the JS kernel's bits). */
  sigmoidBackward(y: Float32Array, g: Float32Array, slot: Float32Array): void {
    if (!this.binaryIn("sigmoidBackward", y, g, slot)) return;
    this.x.sigmoidBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], y.length);
    this.unstage(slot, 2);
  }
  /** out = tanh(x) (fdlibm's tanh, as V8's Math.tanh: the JS kernel's bits). */
  tanhForward(x: Float32Array, out: Float32Array): void {
    if (!this.unaryIn("tanhForward", x, out)) return;
    this.x.tanhForward(this.ptrs[0], this.ptrs[1], x.length);
    this.unstage(out, 1);
  }
  /** slot += g·(1 − y²) from the output y (the JS kernel's bits). */
  tanhBackward(y: Float32Array, g: Float32Array, slot: Float32Array): void {
    if (!this.binaryIn("tanhBackward", y, g, slot)) return;
    this.x.tanhBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], y.length);
    this.unstage(slot, 2);
  }
  /** out = gelu(x), exact (erf) or the tanh approximation (the JS kernel's bits). */
  geluForward(x: Float32Array, out: Float32Array, approximate: "none" | "tanh"): void {
    if (!this.unaryIn("geluForward", x, out)) return;
    this.geluForwardPtr(this.ptrs[0], this.ptrs[1], x.length, approximate);
    this.unstage(out, 1);
  }
  /** slot += g·gelu′(x) (the JS kernel's bits). */
  geluBackward(x: Float32Array, g: Float32Array, slot: Float32Array, approximate: "none" | "tanh"): void {
    if (!this.binaryIn("geluBackward", x, g, slot)) return;
    this.geluBackwardPtr(this.ptrs[0], this.ptrs[1], this.ptrs[2], x.length, approximate);
    this.unstage(slot, 2);
  }

  /** Checks lengths and stages [x, out] of an elementwise forward; false when there is nothing to do. */
  private unaryIn(name: string, x: Float32Array, out: Float32Array): boolean {
    if (out.length !== x.length) throw new Error(`WasmKernels.${name}: out has ${out.length} elements, x has ${x.length}`);
    if (x.length === 0) return false;
    this.stage([x, out], [true, false]);
    return true;
  }
  /** Checks lengths and stages [x, g, slot] of an elementwise backward; false when there is nothing to do. */
  private binaryIn(name: string, x: Float32Array, g: Float32Array, slot: Float32Array): boolean {
    const n = x.length;
    if (g.length !== n || slot.length !== n) throw new Error(`WasmKernels.${name}: x, g and slot must have equal lengths, got ${n}, ${g.length}, ${slot.length}`);
    if (n === 0) return false;
    this.stage([x, g, slot], [true, true, true]);
    return true;
  }

  /** dst[i] = Σ_r srcs[r][i] in rank order on ordinary arrays (see {@link sumPtr}); dst may be one of srcs. */
  sum(dst: Float32Array, srcs: readonly Float32Array[]): void {
    const n = dst.length, w = srcs.length;
    srcs.forEach((s, r) => {
      if (s.length !== n) throw new Error(`WasmKernels.sum: source ${r} has ${s.length} elements, dst has ${n}`);
    });
    if (n === 0) return;
    if (w === 0) {
      dst.fill(0);
      return;
    }
    const stride = align(n * 4);
    const base = this.reserve(stride * (w + 1));
    srcs.forEach((s, r) => this.put(s, 0, n, base + r * stride));
    const out = base + w * stride;
    this.x.sum(out, base, stride, w, n);
    dst.set(this.viewAt(out, n));
  }

  /**
   * dst[j] += Σ_r a[r·cols + j] for a: [rows, cols] — linear's bias gradient. Float32 adds in
   * row order: the same bits as the JS loop.
   */
  columnSum(a: Float32Array, rows: number, cols: number, dst: Float32Array): void {
    if (a.length !== rows * cols || dst.length !== cols) throw new Error(`WasmKernels.columnSum: expected a of ${rows}×${cols} and dst of ${cols} elements, got ${a.length} and ${dst.length}`);
    if (rows === 0 || cols === 0) return;
    this.stage([a, dst], [true, true]);
    this.x.columnSum(this.ptrs[0], rows, cols, this.ptrs[1]);
    this.unstage(dst, 1);
  }

  /** BatchNorm statistics of x: [n, c]: mean[c] and biased var[c] (float64), two passes as BatchNorm1d.batchStats. */
  batchNormMeanVar(x: Float32Array, n: number, c: number, mean: Float64Array, variance: Float64Array): void {
    this.checkBn("batchNormMeanVar", x, n, c, mean, variance);
    this.stage([x, mean, variance], [true, false, false]);
    this.x.batchNormMeanVar(this.ptrs[0], n, c, this.ptrs[1], this.ptrs[2]);
    this.unstage(mean, 1);
    this.unstage(variance, 2);
  }

  /** sum[c] += Σ_i x[i, c] and sumSq[c] += Σ_i x[i, c]² (float64) for x: [n, c] — SyncBatchNorm's local sums. */
  batchNormSums(x: Float32Array, n: number, c: number, sum: Float64Array, sumSq: Float64Array): void {
    this.checkBn("batchNormSums", x, n, c, sum, sumSq);
    this.stage([x, sum, sumSq], [true, true, true]);
    this.x.batchNormSums(this.ptrs[0], n, c, this.ptrs[1], this.ptrs[2]);
    this.unstage(sum, 1);
    this.unstage(sumSq, 2);
  }

  /** out[i, c] = (x[i, c] − mean[c])·scale[c] + shift[c], computed in float64, for x, out: [n, c]. */
  batchNormForward(x: Float32Array, n: number, c: number, mean: Float64Array, scale: Float64Array, shift: Float64Array, out: Float32Array): void {
    this.checkBn("batchNormForward", x, n, c, mean, scale, shift);
    if (out.length !== x.length) throw new Error(`WasmKernels.batchNormForward: out has ${out.length} elements, x has ${x.length}`);
    this.stage([x, mean, scale, shift, out], [true, true, true, true, false]);
    this.x.batchNormForward(this.ptrs[0], n, c, this.ptrs[1], this.ptrs[2], this.ptrs[3], this.ptrs[4]);
    this.unstage(out, 4);
  }

  /** sums[0..c) += Σ_i dy and sums[c..2c) += Σ_i dy·(x − mean)·invstd (float64), for x, dy: [n, c]. */
  batchNormBackwardSums(x: Float32Array, dy: Float32Array, n: number, c: number, mean: Float64Array, invstd: Float64Array, sums: Float64Array): void {
    this.checkBn("batchNormBackwardSums", x, n, c, mean, invstd);
    if (dy.length !== x.length || sums.length !== 2 * c) throw new Error(`WasmKernels.batchNormBackwardSums: dy must match x and sums have ${2 * c} elements`);
    this.stage([x, dy, mean, invstd, sums], [true, true, true, true, true]);
    this.x.batchNormBackwardSums(this.ptrs[0], this.ptrs[1], n, c, this.ptrs[2], this.ptrs[3], this.ptrs[4]);
    this.unstage(sums, 4);
  }

  /**
   * gx[i, c] += k[c]·(dy − meanDy[c] − (x − mean[c])·invstd[c]·meanDyXhat[c]) (float64, rounded
   * once) for x, dy, gx: [n, c] — BatchNorm's closed-form dx.
   */
  batchNormBackwardDx(
    x: Float32Array, dy: Float32Array, n: number, c: number, mean: Float64Array, invstd: Float64Array,
    k: Float64Array, meanDy: Float64Array, meanDyXhat: Float64Array, gx: Float32Array,
  ): void {
    this.checkBn("batchNormBackwardDx", x, n, c, mean, invstd, k, meanDy, meanDyXhat);
    if (dy.length !== x.length || gx.length !== x.length) throw new Error("WasmKernels.batchNormBackwardDx: dy and gx must match x");
    this.stage([x, dy, mean, invstd, k, meanDy, meanDyXhat, gx], [true, true, true, true, true, true, true, true]);
    const p = this.ptrs;
    this.x.batchNormBackwardDx(p[0], p[1], n, c, p[2], p[3], p[4], p[5], p[6], p[7]);
    this.unstage(gx, 7);
  }

  /** {@link sgdPtr} on arrays of equal length (buf null: no momentum), in place or through scratch copies. */
  sgd(p: Float32Array, g: Float32Array, buf: Float32Array | null, h: SgdStep): void {
    const n = p.length;
    if (g.length !== n || (buf !== null && buf.length !== n)) throw new Error("WasmKernels.sgd: p, g and buf must have equal lengths");
    if (n === 0) return;
    this.stage([p, g, buf], [true, true, true]);
    this.sgdPtr(n, this.ptrs[0], this.ptrs[1], this.ptrs[2], h);
    this.unstage(p, 0);
    if (buf !== null) this.unstage(buf, 2);
  }

  /** {@link rmspropPtr} on arrays of equal length (gAvg, buf null: none), in place or through scratch copies. */
  rmsprop(p: Float32Array, g: Float32Array, sq: Float32Array, gAvg: Float32Array | null, buf: Float32Array | null, h: RmspropStep): void {
    const n = p.length;
    for (const a of [g, sq, gAvg, buf]) if (a !== null && a.length !== n) throw new Error("WasmKernels.rmsprop: p, g and the state arrays must have equal lengths");
    if (n === 0) return;
    this.stage([p, g, sq, gAvg, buf], [true, true, true, true, true]);
    const q = this.ptrs;
    this.rmspropPtr(n, q[0], q[1], q[2], q[3], q[4], h);
    this.unstage(p, 0);
    this.unstage(sq, 2);
    if (gAvg !== null) this.unstage(gAvg, 3);
    if (buf !== null) this.unstage(buf, 4);
  }

  private checkBn(name: string, x: Float32Array, n: number, c: number, ...perColumn: Float64Array[]): void {
    if (x.length !== n * c) throw new Error(`WasmKernels.${name}: x has ${x.length} elements, expected ${n}×${c}`);
    for (const v of perColumn) if (v.length !== c) throw new Error(`WasmKernels.${name}: per-feature arrays must have ${c} elements, got ${v.length}`);
  }
}
