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

/** A wasm32 memory holds at most 65,536 pages of 64 KiB. */
export const WASM_MEMORY_LIMIT_BYTES = 2 ** 32;

/** The run's memory stays under 2 GiB with the dataset in it (a wasm32 memory can hold 4 GiB; headroom for the rest of the process). */
export const MAX_RUN_BYTES = 2 ** 31;

/** What {@link DataParallel.planMemory} reports: the run's one shared memory, before anything is allocated. */
export interface MemoryPlan {
  /** Floats of the flat parameters. */
  parameters: number;
  /** Bytes of the run's shared memory (parameters, W gradient slots, the reduced gradient, optimiser state, W arenas and, under wasm, W kernel scratches; the dataset when it fits). */
  totalBytes: number;
  /** The parameter-sized arrays among them: 1 + W + 1 + the optimiser's state arrays. */
  parameterCopies: number;
  /** Names of the optimiser's state arrays (what its checkpoints hold). */
  optimizerState: string[];
  /** Bytes per worker of arena and kernel scratch. */
  perWorkerBytes: number;
  /** Whether the dataset lies in that memory (else it gets buffers of its own, of `dataBytes`). */
  dataInRun: boolean;
  dataBytes: number;
  /** What the backend allows the shared memory to be: 4 GiB under wasm, null (the machine's memory) under js. */
  limitBytes: number | null;
}

/** The plan of a run of `parameters` floats, W workers and an optimiser with `stateNames`, with room for a dataset of `room` bytes if it fits. */
export function planRun(parameters: number, workers: number, stateNames: readonly string[], wasm: boolean, arenaBytes: number | undefined, room: number): MemoryPlan {
  // A dataset too big for one 32-bit memory next to the rest keeps buffers of its own (setData's path).
  const dataInRun = room > 0 && Number.isInteger(room) && planMemory(parameters, workers, stateNames, wasm, arenaBytes, room).totalBytes <= MAX_RUN_BYTES;
  const layout = planMemory(parameters, workers, stateNames, wasm, arenaBytes, dataInRun ? room : 0);
  return {
    parameters,
    totalBytes: layout.totalBytes,
    parameterCopies: 2 + workers + stateNames.length,
    optimizerState: [...stateNames],
    perWorkerBytes: layout.arenaBytes + layout.scratchBytes,
    dataInRun,
    dataBytes: room,
    limitBytes: wasm ? WASM_MEMORY_LIMIT_BYTES : null,
  };
}
