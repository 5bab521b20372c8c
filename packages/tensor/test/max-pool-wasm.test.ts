import { describe, expect, it } from "vitest";
import type { PoolGeometry } from "../src/kernels/interface.js";
import { jsKernels } from "../src/kernels/js/index.js";
import { WasmKernels, wasmSimdSupported, type WasmMemory } from "../src/kernels/wasm/index.js";

// NaN: the window's last NaN wins, as PyTorch 1.13's CPU max_pool2d picks it —
//   max_pool2d([[nan, 1, nan, 0], [2, nan, 3, nan]], 2, return_indices=True) → indices [5, 7];
//   max_pool2d([[nan, 1, 5], [2, nan, 3], [1, 1, 1]], 3, return_indices=True) → index 4.
//
// The wasm max pooling's 2×2 / stride 2 / no padding path (four windows a vector, branch-free)
// against the js kernel, the reference: the same maxima and the same winners (the first
// maximum in scan order; the last NaN; -Infinity windows; ties), at widths where the vector
// loop covers a row, leaves a scalar tail, or (ceilMode) meets a window cut by the edge — and
// the geometries that do not take the path, for comparison.

const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly;

function geometry(h: number, w: number, k: number, s: number, p: number, ceil: boolean): PoolGeometry {
  const out = (n: number) => {
    const span = n + 2 * p - k;
    let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (ceil && (o - 1) * s >= n + p) o--;
    return o;
  };
  return { h, w, kh: k, kw: k, sh: s, sw: s, ph: p, pw: p, oh: out(h), ow: out(w) };
}

/** Values with many ties (a few levels), some NaN and -Infinity, from a fixed LCG. */
function values(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const r = s / 2 ** 32;
    a[i] = r < 0.03 ? Number.NaN : r < 0.08 ? -Infinity : Math.floor(r * 7) - 3;
  }
  return a;
}

describe("maxPool2dForward: NaN winners as PyTorch's", () => {
  const nan = Number.NaN;
  const both = wasmSimdSupported() ? ["js", "wasm"] as const : ["js"] as const;
  it.each(both)("%s", (which) => {
    const k = which === "js" ? jsKernels : new WasmKernels({ memory: new WA.Memory({ initial: 4 }), scratchOffset: 64, scratchBytes: 1 << 16 });
    const a = new Float32Array(2), at = new Int32Array(2);
    k.maxPool2dForward(new Float32Array([nan, 1, nan, 0, 2, nan, 3, nan]), 1, geometry(2, 4, 2, 2, 0, false), a, at);
    expect(Array.from(at)).toEqual([5, 7]);
    expect(a.every(Number.isNaN)).toBe(true);
    const b = new Float32Array(1), bt = new Int32Array(1);
    k.maxPool2dForward(new Float32Array([nan, 1, 5, 2, nan, 3, 1, 1, 1]), 1, geometry(3, 3, 3, 3, 0, false), b, bt);
    expect(Array.from(bt)).toEqual([4]);
    // Eight columns take the wasm vector path: the winners of [nan, 1 | nan, 0] over [2, nan | 3, nan], twice.
    const c = new Float32Array(4), ct = new Int32Array(4);
    k.maxPool2dForward(new Float32Array([nan, 1, nan, 0, nan, 1, nan, 0, 2, nan, 3, nan, 2, nan, 3, nan]), 1, geometry(2, 8, 2, 2, 0, false), c, ct);
    expect(Array.from(ct)).toEqual([9, 11, 13, 15]);
  });
});

describe.runIf(wasmSimdSupported())("wasm maxPool2dForward ≡ js", () => {
  const memory = new WA.Memory({ initial: 64 });
  const kernels = new WasmKernels({ memory, scratchOffset: 64, scratchBytes: 1 << 20 });
  const cases: [number, number, number, number, number, boolean][] = [
    [28, 28, 2, 2, 0, false], [14, 14, 2, 2, 0, false], [8, 8, 2, 2, 0, false], [6, 9, 2, 2, 0, false],
    [7, 17, 2, 2, 0, true], [5, 16, 2, 2, 0, true], [4, 3, 2, 2, 0, false], [6, 12, 2, 2, 0, false], [3, 6, 2, 2, 0, false], [8, 22, 2, 2, 0, true],
    [9, 9, 3, 2, 1, false], [10, 10, 2, 1, 0, false], [11, 12, 2, 2, 1, true],
  ];
  it.each(cases)("h %i, w %i, kernel %i, stride %i, padding %i, ceilMode %s", (h, w, k, s, p, ceil) => {
    const g = geometry(h, w, k, s, p, ceil);
    const planes = 3;
    const x = values(planes * h * w, h * 31 + w);
    const n = planes * g.oh * g.ow;
    const outJs = new Float32Array(n), atJs = new Int32Array(n);
    jsKernels.maxPool2dForward(x, planes, g, outJs, atJs);
    // Twice, on the heap and in the kernels' memory (the engine's in-place call).
    const heapOut = new Float32Array(n), heapAt = new Int32Array(n);
    kernels.maxPool2dForward(x, planes, g, heapOut, heapAt);
    const xm = new Float32Array(memory.buffer, 2 << 20, x.length);
    xm.set(x);
    const memOut = new Float32Array(memory.buffer, 3 << 20, n), memAt = new Int32Array(memory.buffer, 3.5 * 2 ** 20, n);
    kernels.maxPool2dForward(xm, planes, g, memOut, memAt);
    for (const [out, at] of [[heapOut, heapAt], [memOut, memAt]] as const) {
      expect(Array.from(at)).toEqual(Array.from(atJs));
      expect(Array.from(out)).toEqual(Array.from(outJs));
    }
    // The cases hold what they are meant to: NaN winners, -Infinity winners and ties.
    expect(outJs.some((v) => Number.isNaN(v))).toBe(true);
  });
});
