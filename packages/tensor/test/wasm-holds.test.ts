import { describe, expect, it } from "vitest";
import { WasmKernels, wasmSimdSupported, type WasmMemory } from "../src/kernels/wasm/index.js";

// WasmKernels.holds (which operands run in place) remembers the memory's buffer where that is
// safe (src/kernels/wasm/core.ts); growth must never make it trust a detached buffer.

const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory } }).WebAssembly;

describe.runIf(wasmSimdSupported())("WasmKernels.holds", () => {
  it("an owned memory: views of the buffer after growth are held, views of the detached one are not", () => {
    const k = new WasmKernels();
    const before = new Float32Array(k.memory.buffer, 64, 4);
    expect(k.holds(before)).toBe(true);
    // A call whose staging needs more than the 16 pages: the instance grows its memory.
    const big = new Float32Array(300_000), out = new Float32Array(300_000);
    k.reluForward(big, out);
    const after = new Float32Array(k.memory.buffer, 64, 4);
    expect(k.holds(after)).toBe(true);
    expect(k.holds(before)).toBe(false);
    expect(k.holds(new Float32Array(4))).toBe(false);
  });

  it("a shared memory: views made after the caller grows it are held; one made before still computes right", () => {
    const memory = new WA.Memory({ initial: 2, maximum: 8, shared: true });
    const k = new WasmKernels({ memory, scratchOffset: 0, scratchBytes: 1024 });
    const before = new Float32Array(memory.buffer, 1024, 4);
    expect(k.holds(before)).toBe(true);
    memory.grow(1);
    const after = new Float32Array(memory.buffer, 1024, 4);
    expect(k.holds(after)).toBe(true);
    // A view of the buffer before growth (a SharedArrayBuffer of the old length) may be staged
    // rather than used in place; either way the kernel reads and writes the same memory.
    before.set([-1, 2, -3, 4]);
    const out = new Float32Array(memory.buffer, 2048, 4);
    k.reluForward(before, out);
    expect(Array.from(out)).toEqual([0, 2, 0, 4]);
  });

  it("a caller's plain memory: after the caller grows it, the detached buffer's views are not held", () => {
    const memory = new WA.Memory({ initial: 1 });
    const k = new WasmKernels({ memory, scratchOffset: 0, scratchBytes: 1024 });
    const before = new Float32Array(memory.buffer, 1024, 4);
    expect(k.holds(before)).toBe(true);
    memory.grow(1);
    expect(k.holds(before)).toBe(false);
    expect(k.holds(new Float32Array(memory.buffer, 1024, 4))).toBe(true);
  });
});
