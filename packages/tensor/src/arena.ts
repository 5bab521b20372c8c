/**
 * Step arenas: where the temporaries of one training step live — op outputs, the gradients of
 * non-leaf tensors, the fused losses' and normalisations' work arrays — so that a steady
 * training loop allocates no typed arrays at all, and (when the arena lies in a kernel's
 * `WebAssembly.Memory`) the wasm kernels run on activations in place instead of staging them.
 *
 * Ops allocate through {@link allocLike} / {@link allocFloat32} / {@link allocFloat64}: inside
 * {@link withArena} they bump-allocate from the arena, outside from the JS heap as usual.
 * Everything an arena hands out is valid until its next {@link Arena.reset} — a caller that
 * resets per step must not keep a step's tensors (read what you need, e.g. `loss.item()`,
 * before the next reset). Leaf gradients (`.grad`) and everything created by the constructors
 * of create.ts never come from an arena.
 */
import type { FloatArray } from "./tensor.js";

/** Every allocation starts on a cache line (and so is 16-byte aligned for SIMD). */
const ALIGN = 64;

type View = Float32Array | Float64Array | Int32Array | Uint8Array;
interface ViewCtor {
  new (n: number): View;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): View;
  readonly BYTES_PER_ELEMENT: number;
}

/** Where an arena's bytes are. */
export interface ArenaOptions {
  /**
   * The buffer to carve from: an ArrayBuffer, a SharedArrayBuffer, or a *shared*
   * `WebAssembly.Memory`'s buffer (shared memories never move). Not a plain wasm memory's buffer
   * that may grow — growth detaches it and every view handed out — and not a range some kernel
   * instance uses as scratch. Default: a new ArrayBuffer of `byteLength`.
   */
  buffer?: ArrayBufferLike;
  /** First byte of the arena in `buffer` (a multiple of 64). Default 0. */
  byteOffset?: number;
  /** Bytes of the arena. Default: the rest of `buffer`; without a buffer, 16 MiB. */
  byteLength?: number;
}

/** What an arena has seen since it was made. */
export interface ArenaStats {
  /** Bytes handed out since the last reset. */
  used: number;
  /** The most bytes any one step (reset to reset) asked for, overflow included. */
  highWater: number;
  /** Allocations that did not fit and came from the JS heap instead (correct, but not free). */
  overflows: number;
  /** Bytes of those allocations. */
  overflowBytes: number;
}

/**
 * A bump allocator over a fixed byte range. Allocations are zero-filled, 64-byte aligned and
 * come back as the same view objects step after step when the sequence of requests repeats
 * (as a training step's does), so a steady loop creates no garbage here. A request that does
 * not fit is served from the JS heap and counted in {@link Arena.stats}.
 *
 * @example
 * const arena = new Arena({ byteLength: 8 << 20 });
 * for (const batch of batches) {
 *   arena.reset();
 *   const loss = withArena(arena, () => { const l = lossFn(model.forward(batch.x), batch.y); l.backward(); return l.item(); });
 *   optimizer.step();
 * }
 */
export class Arena {
  readonly buffer: ArrayBufferLike;
  readonly byteOffset: number;
  readonly byteLength: number;
  private at: number;
  private seq = 0;
  private readonly slots: View[] = [];
  private highWater = 0;
  private overflows = 0;
  private overflowBytes = 0;
  private stepBytes = 0;
  /** The arena as 64-bit words, for {@link Arena.zero} (made on first use). */
  private words: BigUint64Array | null = null;

  constructor(options: ArenaOptions = {}) {
    const offset = options.byteOffset ?? 0;
    if (!Number.isInteger(offset) || offset < 0 || offset % ALIGN !== 0) {
      throw new Error(`Arena: byteOffset must be a non-negative multiple of ${ALIGN}, got ${offset}`);
    }
    const buffer = options.buffer ?? new ArrayBuffer(options.byteLength ?? 16 << 20);
    const length = options.byteLength ?? buffer.byteLength - offset;
    if (!Number.isInteger(length) || length < 0 || offset + length > buffer.byteLength) {
      throw new Error(`Arena: the range [${offset}, ${offset + length}) must lie inside the buffer's ${buffer.byteLength} bytes`);
    }
    this.buffer = buffer;
    this.byteOffset = offset;
    this.byteLength = length;
    this.at = offset;
  }

  /** Frees everything handed out since the last reset (their views become the next step's). */
  reset(): void {
    this.at = this.byteOffset;
    this.seq = 0;
    this.stepBytes = 0;
  }

  stats(): ArenaStats {
    return { used: this.at - this.byteOffset, highWater: this.highWater, overflows: this.overflows, overflowBytes: this.overflowBytes };
  }

  /** n zeroed float32 values. */
  float32(n: number): Float32Array {
    return this.take<Float32Array>(Float32Array as unknown as ViewCtor, n);
  }

  /** n zeroed float64 values. */
  float64(n: number): Float64Array {
    return this.take<Float64Array>(Float64Array as unknown as ViewCtor, n);
  }

  /** n zeroed int32 values. */
  int32(n: number): Int32Array {
    return this.take<Int32Array>(Int32Array as unknown as ViewCtor, n);
  }

  /** n zeroed bytes. */
  uint8(n: number): Uint8Array {
    return this.take<Uint8Array>(Uint8Array as unknown as ViewCtor, n);
  }

  /**
   * n float32 (or float64) values whose contents are unspecified — whatever an earlier step
   * left there — for an output that its kernel writes whole (a gemm with beta 0, an activation,
   * a pooling). With it the zero-fill fell from 6.6% to 5.2% of a CNN training step (profile).
   */
  emptyLike(like: FloatArray, n: number): FloatArray {
    return this.take<FloatArray>((like instanceof Float64Array ? Float64Array : Float32Array) as unknown as ViewCtor, n, false);
  }

  /** n int32 values whose contents are unspecified (see {@link Arena.emptyLike}). */
  emptyInt32(n: number): Int32Array {
    return this.take<Int32Array>(Int32Array as unknown as ViewCtor, n, false);
  }

  /**
   * Zeroes `bytes` (a multiple of 64) from byte `start` of the buffer, 8 bytes a store through
   * one BigUint64Array over the arena, made once: on a SharedArrayBuffer (the engine's memory)
   * that ran 2–3× faster than a Float32Array's fill (0.6 vs 1.2–1.9 ms per 16 MB, Node 20, a
   * scratch measurement), and the zero-fill of a CNN's ≈ 160 MB of activations a step had been
   * ≈ 24% of its time.
   */
  private zero(start: number, bytes: number): void {
    if (this.words === null || this.words.buffer !== this.buffer) this.words = new BigUint64Array(this.buffer, this.byteOffset, Math.floor(this.byteLength / 8));
    const from = (start - this.byteOffset) >> 3;
    this.words.fill(0n, from, from + (bytes >> 3));
  }

  private take<T extends View>(ctor: ViewCtor, n: number, zero = true): T {
    const bytes = n * ctor.BYTES_PER_ELEMENT;
    const need = Math.ceil(bytes / ALIGN) * ALIGN;
    this.stepBytes += need;
    if (this.stepBytes > this.highWater) this.highWater = this.stepBytes;
    const start = this.at;
    if (this.buffer.byteLength === 0 && this.byteLength > 0) {
      throw new Error("Arena: its buffer has been detached (a non-shared WebAssembly.Memory that grew?): carve arenas from a SharedArrayBuffer or a shared memory");
    }
    if (start + need > this.byteOffset + this.byteLength) {
      this.overflows++;
      this.overflowBytes += bytes;
      return new ctor(n) as T;
    }
    this.at = start + need;
    if (zero) this.zero(start, need);
    const k = this.seq++;
    const old = this.slots[k];
    if (old !== undefined && old.constructor === ctor && old.byteOffset === start && old.length === n) return old as T;
    const view = new ctor(this.buffer, start, n) as T;
    this.slots[k] = view;
    return view;
  }
}

let active: Arena | null = null;

/** The arena ops allocate from now (null: the JS heap). */
export function activeArena(): Arena | null {
  return active;
}

/**
 * Runs `fn` with `arena` as the place where ops allocate (null: the JS heap); restores the
 * previous one afterwards, also when `fn` throws. The arena is not reset here.
 */
export function withArena<T>(arena: Arena | null, fn: () => T): T {
  const previous = active;
  active = arena;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** n zeroed float32 values: from the active arena, else the heap. */
export function allocFloat32(n: number): Float32Array {
  return active !== null ? active.float32(n) : new Float32Array(n);
}

/** n zeroed float64 values: from the active arena, else the heap. */
export function allocFloat64(n: number): Float64Array {
  return active !== null ? active.float64(n) : new Float64Array(n);
}

/** n zeroed values of `like`'s element type: from the active arena, else the heap. */
export function allocLike(like: FloatArray, n: number): FloatArray {
  return like instanceof Float64Array ? allocFloat64(n) : allocFloat32(n);
}

/**
 * n values of `like`'s element type whose contents are unspecified, for an output its kernel
 * writes whole: from the active arena without its zero-fill, else the heap (zeroed there, as a
 * new typed array is). Everything else takes the zeroed {@link allocLike}: gradients accumulate.
 */
export function allocEmptyLike(like: FloatArray, n: number): FloatArray {
  return active !== null ? active.emptyLike(like, n) : like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** n int32 values whose contents are unspecified (see {@link allocEmptyLike}). */
export function allocEmptyInt32(n: number): Int32Array {
  return active !== null ? active.emptyInt32(n) : new Int32Array(n);
}

/** n zeroed values of exactly `like`'s element type (float32, float64 or int32): from the active arena, else the heap. */
export function allocSame<D extends FloatArray | Int32Array>(like: D, n: number): D {
  if (like instanceof Int32Array) return allocInt32(n) as D;
  return (like instanceof Float64Array ? allocFloat64(n) : allocFloat32(n)) as D;
}

/** n zeroed bytes (masks): from the active arena, else the heap. */
export function allocUint8(n: number): Uint8Array {
  return active !== null ? active.uint8(n) : new Uint8Array(n);
}

/** n zeroed int32 values (indices): from the active arena, else the heap. */
export function allocInt32(n: number): Int32Array {
  return active !== null ? active.int32(n) : new Int32Array(n);
}
