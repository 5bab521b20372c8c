/**
 * The run's shared state in ONE buffer: parameters, W gradient slots, the reduced gradient,
 * the optimiser state, each worker's step arena and (wasm backend) its kernel scratch, and the
 * dataset when it is known at creation. With the wasm backend the
 * buffer is a shared `WebAssembly.Memory`, so the SIMD kernels work on parameters, gradients and
 * optimiser state in place — the all-reduce and the Adam step copy nothing — and on each
 * worker's activations in its arena: gemm, the activations, BatchNorm and the loss read and write
 * where the data lives, with no staging copies. With the js backend it is a plain SharedArrayBuffer.
 */
import { WasmKernels, type WasmMemory } from "@weft/tensor";

/** The global WebAssembly.Memory constructor (ES2022 + @types/node declare no WebAssembly namespace). */
const WasmMemoryCtor = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory } }).WebAssembly.Memory;

/** Byte offsets of the regions (64-byte aligned: no two workers share a cache line across regions). */
export interface MemoryLayout {
  /** Floats of the flat parameters (n). */
  n: number;
  worldSize: number;
  params: number;
  /** Slot r at `grads + r · gradStride`. */
  grads: number;
  gradStride: number;
  reduced: number;
  state: Record<string, number>;
  /** Worker r's scratch at `scratch + r · scratchBytes` (wasm only; 0 bytes otherwise). */
  scratch: number;
  scratchBytes: number;
  /** Worker r's step arena (its batch, activations, their gradients, loss temporaries) at `arena + r · arenaBytes`. */
  arena: number;
  arenaBytes: number;
  /** Room for the dataset (x, then its targets), when one was given to DataParallel.create; 0 bytes otherwise. */
  data: number;
  dataBytes: number;
  totalBytes: number;
}

/** Kernel scratch per worker: gemm packing plus staged activations; bigger calls fall back to a private instance. */
export const WASM_SCRATCH_BYTES = 16 << 20;
const PAGE = 65536;
const align = (x: number): number => Math.ceil(x / 64) * 64;

/** Default step arena per worker: the standard MLP at 1,024 rows a worker needs ≈ 8 MB. */
export const DEFAULT_ARENA_BYTES = 32 << 20;

/** Bytes of a dataset's x and targets in the run's memory (each 64-byte aligned). */
export function dataBytes(rows: number, features: number, targetWidth: number): { x: number; y: number; total: number } {
  const x = align(rows * features * 4);
  const y = align(rows * targetWidth * 4);
  return { x, y, total: x + y };
}

export function planMemory(n: number, worldSize: number, stateNames: readonly string[], wasm: boolean, arenaBytes = DEFAULT_ARENA_BYTES, dataBytes = 0): MemoryLayout {
  if (!Number.isInteger(arenaBytes) || arenaBytes < 0) throw new Error(`arenaBytes must be a non-negative integer, got ${arenaBytes}`);
  let at = 64; // nothing at address 0 (a null pointer to the kernels)
  const take = (bytes: number): number => {
    const o = at;
    at = align(at + bytes);
    return o;
  };
  const params = take(n * 4);
  const gradStride = align(n * 4);
  const grads = take(gradStride * worldSize);
  const reduced = take(n * 4);
  const state: Record<string, number> = {};
  for (const s of stateNames) state[s] = take(n * 4);
  const scratchBytes = wasm ? WASM_SCRATCH_BYTES : 0;
  const scratch = take(scratchBytes * worldSize);
  const arenaStride = align(arenaBytes);
  const arena = take(arenaStride * worldSize);
  const data = take(dataBytes);
  return { n, worldSize, params, grads, gradStride, reduced, state, scratch, scratchBytes, arena, arenaBytes: arenaStride, data, dataBytes: align(dataBytes), totalBytes: Math.ceil(at / PAGE) * PAGE };
}

/** The run's memory: a shared WebAssembly.Memory (wasm) or a SharedArrayBuffer (js). */
export function allocateMemory(layout: MemoryLayout, wasm: boolean): { buffer: SharedArrayBuffer; memory: WasmMemory | null } {
  if (!wasm) return { buffer: new SharedArrayBuffer(layout.totalBytes), memory: null };
  const pages = layout.totalBytes / PAGE;
  const memory = new WasmMemoryCtor({ initial: pages, maximum: pages, shared: true });
  return { buffer: memory.buffer as unknown as SharedArrayBuffer, memory };
}

/** Float32 views of the regions. */
export function views(buffer: SharedArrayBuffer, l: MemoryLayout) {
  const f = (offset: number, len: number) => new Float32Array(buffer, offset, len);
  return {
    params: f(l.params, l.n),
    grads: Array.from({ length: l.worldSize }, (_, r) => f(l.grads + r * l.gradStride, l.n)),
    reduced: f(l.reduced, l.n),
    state: Object.fromEntries(Object.entries(l.state).map(([k, o]) => [k, f(o, l.n)])) as Record<string, Float32Array>,
  };
}

/** Worker `rank`'s kernels over the shared memory, with its own scratch range. */
export function workerKernels(memory: WasmMemory, l: MemoryLayout, rank: number): WasmKernels {
  return new WasmKernels({ memory, scratchOffset: l.scratch + rank * l.scratchBytes, scratchBytes: l.scratchBytes });
}
