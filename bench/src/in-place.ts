/**
 * What bench:rows and bench:ops share: the median time of a short call, and the "in place" setup
 * — ops run as a @weft/parallel worker runs them: inputs at the bottom of a shared
 * WebAssembly.Memory, a step arena above them, this thread's kernel scratch on top.
 */
import { Arena, Rng, WasmKernels, setThreadWasmKernels, withArena, type WasmMemory } from "@weft/tensor";
import { median } from "./summary.js";

/**
 * Median ms per call of `fn`; each sample repeats it for ≥ 2 ms so short calls are timed above
 * the clock's resolution. `samples` at most (and at least `minSamples`), within `budgetMs`.
 */
export function timeCall(fn: () => void, { samples = 31, minSamples = 5, budgetMs = 2500, warmup = 5 } = {}): number {
  for (let i = 0; i < warmup; i++) fn();
  const t = performance.now();
  fn();
  const inner = Math.max(1, Math.ceil(2 / Math.max(performance.now() - t, 1e-3)));
  const out: number[] = [];
  const start = performance.now();
  while (out.length < samples && (out.length < minSamples || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    out.push((performance.now() - t0) / inner);
  }
  return median(out);
}

const WasmMemoryCtor = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory } }).WebAssembly.Memory;

/** One shared memory laid out as inputs | arena | kernel scratch, and the random inputs carved from it. */
export class InPlace {
  readonly kernels: WasmKernels;
  readonly arena: Arena;
  private readonly buffer: SharedArrayBuffer;
  private inputAt = 64;

  constructor(readonly inputBytes: number, arenaBytes: number, scratchBytes: number, private readonly rng = new Rng(1)) {
    const pages = Math.ceil((inputBytes + arenaBytes + scratchBytes) / 65536);
    const memory = new WasmMemoryCtor({ initial: pages, maximum: pages, shared: true });
    this.buffer = memory.buffer as unknown as SharedArrayBuffer;
    this.kernels = new WasmKernels({ memory, scratchOffset: inputBytes + arenaBytes, scratchBytes });
    this.arena = new Arena({ buffer: this.buffer, byteOffset: inputBytes, byteLength: arenaBytes });
  }

  /** Forgets the inputs carved so far (the next case reuses the region). */
  resetInputs(): void {
    this.inputAt = 64;
  }

  /** n standard-normal float32 values (absolute values when `positive`): an ordinary array, or carved from the input region. */
  input(n: number, inMemory: boolean, positive = false): Float32Array {
    let a: Float32Array;
    if (inMemory) {
      a = new Float32Array(this.buffer, this.inputAt, n);
      this.inputAt = Math.ceil((this.inputAt + n * 4) / 64) * 64;
      if (this.inputAt > this.inputBytes) throw new Error(`bench: inputs exceed the ${this.inputBytes}-byte input region`);
    } else {
      a = new Float32Array(n);
    }
    this.rng.fillNormal(a);
    if (positive) for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]);
    return a;
  }

  /** `step` as a worker runs it: this thread's kernels over the memory, every allocation from the arena (reset per call). */
  inPlace(step: () => void): () => void {
    return () => {
      this.arena.reset();
      withArena(this.arena, step);
    };
  }

  /** Sets (or, with false, clears) this thread's kernels over the memory. */
  useKernels(on: boolean): void {
    setThreadWasmKernels(on ? this.kernels : null);
  }
}
