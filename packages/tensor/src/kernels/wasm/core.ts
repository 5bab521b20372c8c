/**
 * The memory side of the WebAssembly kernels: the linear memory an instance works in, its
 * scratch range, and the staging of ordinary typed arrays through that scratch. The kernel
 * families (gemm.ts, reduce.ts, optim.ts, activations.ts, batch-norm.ts, softmax.ts,
 * cross-entropy.ts, layer-norm.ts) are methods over this core; kernels.ts composes them into
 * `WasmKernels`.
 */
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

/** An operand of an array-level call: float32 or float64 data, or null (none: address 0). */
export type Operand = Float32Array | Float64Array | null;

/**
 * A `copyIn` for {@link WasmKernelsCore.stage}: the first `read` operands are copied into
 * scratch, the `written` ones after them are only written by the kernel (nothing copied in).
 * Build each once, as a module-level constant.
 */
export const copyIn = (read: number, written = 0): readonly boolean[] =>
  Object.freeze([...Array<boolean>(read).fill(true), ...Array<boolean>(written).fill(false)]);

/** Bytes reserved at address 0 of an owned memory, so that no operand lives at the null pointer. */
const RESERVED = 64;
/** Operands are staged 64-byte aligned (a cache line). */
const ALIGN = 64;

/** `x` rounded up to the staging alignment (64 bytes). */
export const align = (x: number): number => Math.ceil(x / ALIGN) * ALIGN;

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
 * Byte address of element `off` of `a`, for the kernels that run in place only (the recurrent
 * cells, attention's row passes: they take offsets into a whole batch's buffers, which staging
 * would copy per call); 0 for null (those kernels read a flag instead). Throws when `a` is not in
 * `k`'s memory.
 */
export function heldAt(k: WasmKernelsCore, a: Float32Array | Float64Array | null, off: number, name: string): number {
  if (a === null) return 0;
  if (!k.holds(a)) throw new Error(`WasmKernels.${name}: every operand must lie in this instance's memory (the kernel runs in place only)`);
  return a.byteOffset + a.BYTES_PER_ELEMENT * off;
}

/**
 * One linear memory and this instance's scratch range in it, with the staging that the
 * array-level calls of every kernel family share: {@link stage} places a call's operands
 * (in place, or copied into scratch) and {@link unstage} copies results back. No kernels of
 * its own; see `WasmKernels` (kernels.ts) for the two levels of entry point and what the
 * staging costs. The staging members (`exports`, `ptrs`, `reserve`, `scratchFits`, `viewAt`,
 * `stage`, `unstage`, `put`) are public for the kernel families, which are plain objects of
 * methods over this core (no class chain); a user of the kernels needs none of them.
 */
export class WasmKernelsCore {
  /** The memory the kernels read and write. */
  readonly memory: WasmMemory;
  /** Whether `memory` is shared (its buffer a SharedArrayBuffer). */
  readonly shared: boolean;
  /** The kernel module's exported functions, bound to `memory` (byte-address arguments). */
  readonly exports: KernelExports;
  private readonly owned: boolean;
  /** A buffer of `memory` that {@link holds} may trust without asking the memory (null: none yet). */
  private seenBuffer: ArrayBufferLike | null = null;
  private readonly scratchStart: number;
  private scratchEnd: number;
  private view: Float32Array;
  private view64: Float64Array;
  // Views of the memory handed to Float32Array.set when copying results out, cached by
  // address and length so that a steady training loop allocates none (cleared on growth).
  private readonly views = new Map<number, Map<number, Float32Array>>();
  private readonly views64 = new Map<number, Map<number, Float64Array>>();
  /** Byte addresses of the operands of the array-level call in progress (reused: no allocation). */
  readonly ptrs: number[] = [];
  /** The operands {@link stage} is placing (reused, and emptied after each call). */
  private readonly ops: Operand[] = new Array<Operand>(8).fill(null);

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
    this.exports = instantiateKernels(this.memory);
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
    // `memory.buffer` is a slow getter (≈ 80 ns on Node 20, and an array-level call asks a few
    // times per operand), so the buffer last seen is remembered where that is safe: every buffer
    // object a shared memory has handed out views the same, never-detached memory; an owned
    // memory grows only in reserve(), which forgets it. A caller's plain memory is asked each
    // time (the caller may grow it, detaching the old buffer).
    const b = arr.buffer;
    if (b === this.seenBuffer) return true;
    if (b !== this.memory.buffer) return false;
    if (this.shared || this.owned) this.seenBuffer = b;
    return true;
  }

  /**
   * Makes `[scratchStart, scratchStart + bytes)` usable and returns scratchStart: grows an owned
   * memory (by at least half its size, so growth stops once the largest call has been seen);
   * throws for a caller's memory whose scratch range is too small.
   */
  reserve(bytes: number): number {
    const need = this.scratchStart + bytes;
    if (need > this.scratchEnd) {
      if (!this.owned) {
        throw new Error(`WasmKernels: this call needs ${bytes} bytes of scratch, but the range given holds ${this.scratchEnd - this.scratchStart} (options.scratchBytes)`);
      }
      const have = this.memory.buffer.byteLength;
      this.memory.grow(Math.max(Math.ceil((need - have) / PAGE_BYTES), Math.ceil(have / PAGE_BYTES / 2)));
      this.seenBuffer = null; // the old buffer is detached now
      this.scratchEnd = this.memory.buffer.byteLength;
    }
    return this.scratchStart;
  }

  /**
   * Whether a call needing `bytes` of scratch can run: always with an owned memory (it grows),
   * else when the range given holds them.
   */
  scratchFits(bytes: number): boolean {
    return this.owned || bytes <= this.scratchEnd - this.scratchStart;
  }

  /** A cached float32 view of `len` elements at byte address `ptr`. */
  viewAt(ptr: number, len: number): Float32Array {
    return cachedView(this.views, this.f32(), 2, ptr, len);
  }

  /**
   * Reserves scratch for every operand of an array-level call that is not in `memory` (64-byte
   * aligned, after `workBytes` of kernel scratch) and sets `this.ptrs[i]` to operand i's byte
   * address: in place, or its staging slot, copied in when `copyIn[i]`. Null operands get 0.
   * The call has `copyIn.length` operands (at most 8), `a`, `b`, … in order: pass `copyIn` as a
   * module-level constant (built by this file's `copyIn` function) and the operands as arguments, so that a call
   * allocates nothing. Returns the address of the kernel scratch.
   */
  stage(
    copyIn: readonly boolean[], workBytes: number,
    a: Operand, b: Operand = null, c: Operand = null, d: Operand = null,
    e: Operand = null, f: Operand = null, g: Operand = null, h: Operand = null,
  ): number {
    const ops = this.ops, count = copyIn.length;
    ops[0] = a; ops[1] = b; ops[2] = c; ops[3] = d; ops[4] = e; ops[5] = f; ops[6] = g; ops[7] = h;
    let bytes = align(workBytes);
    for (let i = 0; i < count; i++) {
      const op = ops[i];
      if (op !== null && !this.holds(op)) bytes += align(op.byteLength);
    }
    const base = this.reserve(bytes);
    let at = base + align(workBytes);
    this.ptrs.length = count;
    for (let i = 0; i < count; i++) {
      const op = ops[i];
      if (op === null) this.ptrs[i] = 0;
      else if (this.holds(op)) this.ptrs[i] = op.byteOffset;
      else {
        this.ptrs[i] = at;
        if (copyIn[i] && op.length > 0) {
          if (op instanceof Float64Array) this.f64().set(op, at >> 3);
          else this.f32().set(op, at >> 2);
        }
        at += align(op.byteLength);
      }
    }
    ops.fill(null); // hold no caller's array past the call
    return base;
  }

  /** Copies operand i of the call in progress back from its staging slot (nothing when in place). */
  unstage(a: Float32Array | Float64Array, i: number): void {
    if (this.holds(a) || a.length === 0) return;
    if (a instanceof Float64Array) a.set(cachedView(this.views64, this.f64(), 3, this.ptrs[i], a.length));
    else a.set(this.viewAt(this.ptrs[i], a.length));
  }

  /** Copies `len` elements of `src` from `off` to byte address `ptr`. */
  put(src: Float32Array, off: number, len: number, ptr: number): void {
    const all = this.f32();
    all.set(off === 0 && len === src.length ? src : src.subarray(off, off + len), ptr >> 2);
  }
}
