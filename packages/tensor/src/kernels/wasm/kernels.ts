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

/** Bytes reserved at address 0 of an owned memory, so that no operand lives at the null pointer. */
const RESERVED = 64;
/** Operands are staged 64-byte aligned (a cache line). */
const ALIGN = 64;

const align = (x: number): number => Math.ceil(x / ALIGN) * ALIGN;

/** Elements of a row-major block of `rows` rows of `cols` values `ld` apart (0 when empty). */
const span = (rows: number, cols: number, ld: number): number => (rows <= 0 || cols <= 0 ? 0 : (rows - 1) * ld + cols);

/**
 * The WebAssembly SIMD kernels bound to one linear memory.
 *
 * Two levels of entry point:
 * - pointer level (`gemmPtr`, `adamPtr`, `sumPtr`, `reluForwardPtr`, `reluBackwardPtr`): operands are byte addresses of float32
 *   data already in `memory`; the kernels run in place, with zero copies. This is the path for
 *   a caller that keeps its tensors in (shared) wasm memory.
 * - array level (`gemm`, `adam`, `sum`, `reluForward`, `reluBackward`): ordinary Float32Arrays, copied into this instance's
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
export class WasmKernels {
  /** The memory the kernels read and write. */
  readonly memory: WasmMemory;
  /** Whether `memory` is shared (its buffer a SharedArrayBuffer). */
  readonly shared: boolean;
  private readonly x: KernelExports;
  private readonly owned: boolean;
  private readonly scratchStart: number;
  private scratchEnd: number;
  private view: Float32Array;
  // Views of the memory handed to Float32Array.set when copying results out, cached by
  // address and length so that a steady training loop allocates none (cleared on growth).
  private readonly views = new Map<number, Map<number, Float32Array>>();

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
  }

  /** A float32 view of the whole memory (a new one after the memory has grown). */
  f32(): Float32Array {
    const buf = this.memory.buffer;
    if (this.view.buffer !== buf) {
      this.view = new Float32Array(buf);
      this.views.clear();
    }
    return this.view;
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
  private reserve(bytes: number): number {
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
    const all = this.f32();
    let byLen = this.views.get(ptr);
    if (byLen === undefined) {
      if (this.views.size >= 64) this.views.clear();
      byLen = new Map();
      this.views.set(ptr, byLen);
    }
    let v = byLen.get(len);
    if (v === undefined) {
      if (byLen.size >= 16) byLen.clear();
      v = all.subarray(ptr >> 2, (ptr >> 2) + len);
      byLen.set(len, v);
    }
    return v;
  }

  /** Whether `arr` is a view of this instance's memory (so it can be used in place). */
  private inMemory(arr: Float32Array): boolean {
    return arr.buffer === this.memory.buffer;
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

  /** out[i] = relu(x[i]) for n float32 elements at byte addresses (out may be x). */
  reluForwardPtr(x: number, out: number, n: number): void {
    this.x.reluForward(x, out, n);
  }

  /** slot[i] += g[i] where x[i] > 0, for n float32 elements at byte addresses. */
  reluBackwardPtr(x: number, g: number, slot: number, n: number): void {
    this.x.reluBackward(x, g, slot, n);
  }

  // ---- array level ----

  /** Scratch bytes {@link gemm} needs to stage this call's operands that are not in `memory`. */
  private gemmStagingBytes(m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, c: Float32Array, ldc: number, transA: boolean, transB: boolean, bias?: Float32Array | null): number {
    const product = k > 0 && alpha !== 0;
    const aLen = product ? (transA ? span(k, m, lda) : span(m, k, lda)) : 0;
    const bLen = product ? (transB ? span(n, k, ldb) : span(k, n, ldb)) : 0;
    const cLen = span(m, n, ldc);
    const work = product ? align(this.x.gemmScratchBytes(m, n, k)) : 0;
    const aIn = aLen === 0 || this.inMemory(a), bIn = bLen === 0 || this.inMemory(b), cIn = this.inMemory(c);
    const biasIn = bias === undefined || bias === null || this.inMemory(bias);
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
    const aIn = aLen === 0 || this.inMemory(a), bIn = bLen === 0 || this.inMemory(b), cIn = this.inMemory(c);
    const hasBias = bias !== undefined && bias !== null;
    const biasIn = !hasBias || this.inMemory(bias);
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

  /** out = relu(x) on ordinary arrays of equal length, through scratch copies (see {@link reluForwardPtr}). */
  reluForward(x: Float32Array, out: Float32Array): void {
    const n = x.length;
    if (out.length !== n) throw new Error(`WasmKernels.reluForward: out has ${out.length} elements, x has ${n}`);
    if (n === 0) return;
    const base = this.reserve(align(n * 4));
    this.put(x, 0, n, base);
    this.x.reluForward(base, base, n);
    out.set(this.viewAt(base, n));
  }

  /** slot += g where x > 0 on ordinary arrays of equal length, through scratch copies (see {@link reluBackwardPtr}). */
  reluBackward(x: Float32Array, g: Float32Array, slot: Float32Array): void {
    const n = x.length;
    if (g.length !== n || slot.length !== n) throw new Error(`WasmKernels.reluBackward: x, g and slot must have equal lengths, got ${n}, ${g.length}, ${slot.length}`);
    if (n === 0) return;
    const bytes = align(n * 4);
    const base = this.reserve(3 * bytes);
    this.put(x, 0, n, base);
    this.put(g, 0, n, base + bytes);
    this.put(slot, 0, n, base + 2 * bytes);
    this.x.reluBackward(base, base + bytes, base + 2 * bytes, n);
    slot.set(this.viewAt(base + 2 * bytes, n));
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
}
