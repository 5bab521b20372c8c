import { afterEach, describe, expect, it } from "vitest";
import { backend, kernels, setBackend } from "../src/kernels/backend.js";
import type { Kernels } from "../src/kernels/interface.js";
import { jsKernels } from "../src/kernels/js/index.js";
import { WasmKernels, setThreadWasmKernels, wasmSimdSupported, type WasmMemory } from "../src/kernels/wasm/index.js";
import { wasmKernels } from "../src/kernels/wasm/wasm-kernels.js";

// The kernel interface's routing (src/kernels/wasm/dispatch.ts): every method wasmKernels
// implements runs its wasm kernel for float32 operands — in place, on this thread's kernels, when
// they lie in their memory — and the js kernel for float64 operands, a float32/float64 mix and a
// layout the wasm kernel does not take, with the js kernel's bits wherever the wasm kernel gives
// them (all but gemm's summation order and the float32 approximations of tanh and GELU).

const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly;

type Kind = "f32" | "f64";
type Arrays = { kind: Kind; inMemory: boolean };

/** Operands for one call: float32 ones in `memory` (or on the heap), float64 ones where asked. */
class Operands {
  private at = 1 << 16;
  constructor(private readonly memory: WasmMemory, private readonly o: Arrays) {}
  /** An either-precision operand of n deterministic values. */
  data(n: number, seed: number): Float32Array | Float64Array {
    return this.fill(this.o.kind === "f64" ? new Float64Array(n) : this.f32(n), seed);
  }
  /** A float64-only operand (statistics, losses), in the memory when the call's operands are. */
  f64(n: number, seed = 0): Float64Array {
    const a = this.o.inMemory ? new Float64Array(this.memory.buffer, this.take(n * 8), n) : new Float64Array(n);
    return this.fill(a, seed);
  }
  /** Float32 operands equally spaced in the memory (the engine's gradient slots), or on the heap. */
  slots(w: number, n: number): Float32Array[] {
    return Array.from({ length: w }, (_, r) => this.fill(this.f32(n), 30 + r) as Float32Array);
  }
  /** An int32 operand (max pooling's winners), in the memory when the call's operands are. */
  i32(n: number): Int32Array {
    return this.o.inMemory ? new Int32Array(this.memory.buffer, this.take(n * 4), n) : new Int32Array(n);
  }
  private f32(n: number): Float32Array {
    return this.o.inMemory ? new Float32Array(this.memory.buffer, this.take(n * 4), n) : new Float32Array(n);
  }
  private take(bytes: number): number {
    const p = this.at;
    this.at += Math.ceil(bytes / 64) * 64;
    return p;
  }
  private fill<T extends Float32Array | Float64Array>(a: T, seed: number): T {
    let s = seed >>> 0;
    for (let i = 0; i < a.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      a[i] = s / 2 ** 31 - 1;
    }
    return a;
  }
}

interface Case {
  method: keyof Kernels;
  /** The kernel module export it runs under wasm. */
  wasm: string;
  args: (o: Operands) => unknown[];
  /** The wasm kernel gives the js kernel's bits. */
  exact?: boolean;
  /** Arguments the call writes (compared between the backends). */
  outputs: number[];
}

const R = 3, C = 4, N = R * C;
/** 3×3, padding 1 on 3 channels of 5×5 (stride 1), and 3×2, stride 2, dilation [1, 2], padding [1, 0]. */
const CONV1 = { c: 3, h: 5, w: 5, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, oh: 5, ow: 5 };
const CONV2 = { c: 3, h: 5, w: 5, kh: 3, kw: 2, sh: 2, sw: 2, ph: 1, pw: 0, dh: 1, dw: 2, oh: 3, ow: 2 };
/** 3×3 windows, stride 2, padding 1, ceil mode on 5×5 planes: 3×3 outputs. */
const POOL = { h: 5, w: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1, oh: 3, ow: 3 };
/** Winners in range of a 5×5 plane. */
const winners = (a: Int32Array): Int32Array => {
  for (let i = 0; i < a.length; i++) a[i] = (i * 7) % 25;
  return a;
};
/** |a| in place (a stays where it is). */
const abs = <T extends Float32Array | Float64Array>(a: T): T => {
  for (let i = 0; i < a.length; i++) a[i] = Math.abs(a[i]);
  return a;
};
const unary = (method: keyof Kernels, extra: unknown[] = [], exact = true): Case => ({ method, wasm: method, exact, outputs: [1], args: (o) => [o.data(N, 1), o.data(N, 2), ...extra] });
const binary = (method: keyof Kernels, extra: unknown[] = [], exact = true): Case => ({ method, wasm: method, exact, outputs: [2], args: (o) => [o.data(N, 1), o.data(N, 2), o.data(N, 3), ...extra] });

const CASES: Case[] = [
  { method: "gemm", wasm: "gemm", exact: false, outputs: [13], args: (o) => [false, true, R, 2, C, 1, o.data(N, 1), 0, C, o.data(2 * C, 2), 0, C, 0.5, o.data(R * 2, 3), 0, 2, o.data(2, 4), 0] },
  { method: "columnSum", wasm: "columnSum", outputs: [3], args: (o) => [o.data(N, 1), R, C, o.data(C, 2)] },
  { method: "firstNonFinite", wasm: "firstNonFinite", outputs: [], args: (o) => { const x = o.data(N, 1); x[5] = Infinity; return [x]; } },
  unary("reluForward"), binary("reluBackward"), unary("leakyReluForward", [0.1]), binary("leakyReluBackward", [0.1]),
  unary("sigmoidForward"), binary("sigmoidBackward"), unary("tanhForward", [], false), binary("tanhBackward"),
  unary("geluForward", ["none"], false), binary("geluBackward", ["tanh"], false),
  // GELU with its derivative (what the gelu op runs when its input requires grad), and the backward through it.
  { method: "geluForward", wasm: "geluForwardDeriv", exact: false, outputs: [1, 3], args: (o) => [o.data(N, 1), o.data(N, 2), "none", o.data(N, 3)] },
  binary("mulAccumulate", [], false),
  // Elementwise sums (in place: test/elementwise-kernels.test.ts) and the heads' layout moves of attention (2 heads of 3 over columns [1, 7) of width 8).
  { method: "addArrays", wasm: "addArrays", outputs: [2], args: (o) => [o.data(N, 1), o.data(N, 2), o.data(N, 3), -1] },
  { method: "addArrays", wasm: "addArrays", outputs: [2], args: (o) => [o.data(N + 3, 1), o.data(N + 3, 2), o.data(N + 3, 3), 1] },
  { method: "moveHeads", wasm: "moveHeads", outputs: [1], args: (o) => [o.data(2 * 3 * 8, 1), o.data(2 * 2 * 3 * 3, 2), 2, 2, 3, 3, 8, 1, true, false] },
  { method: "moveHeads", wasm: "moveHeads", outputs: [0], args: (o) => [o.data(2 * 3 * 8, 1), o.data(2 * 2 * 3 * 3, 2), 2, 2, 3, 3, 8, 1, false, true] },
  { method: "moveHeads", wasm: "moveHeads", outputs: [0], args: (o) => [o.data(2 * 5 * 8, 1), o.data(2 * 2 * 5 * 4, 2), 2, 2, 5, 4, 8, 0, false, false] },
  { method: "moveHeads", wasm: "moveHeads", outputs: [1], args: (o) => [o.data(2 * 5 * 8, 1), o.data(2 * 2 * 5 * 4, 2), 2, 2, 5, 4, 8, 0, true, true] },
  { method: "softmaxForward", wasm: "softmaxForward", outputs: [1], args: (o) => [o.data(N, 1), o.data(N, 2), R, C, 1, false] },
  { method: "softmaxBackward", wasm: "softmaxBackward", outputs: [2], args: (o) => [o.data(N, 1), o.data(N, 2), o.data(N, 3), R, C, 1, true] },
  { method: "crossEntropy", wasm: "crossEntropyIndex", outputs: [5, 6], args: (o) => [o.data(N, 1), R, C, Int32Array.of(0, 3, 1), 0.1, o.f64(R), o.f64(N)] },
  { method: "crossEntropyProbs", wasm: "crossEntropyProbs", outputs: [5, 6], args: (o) => [o.data(N, 1), R, C, abs(o.data(N, 2)), 0.1, o.f64(R), o.f64(N)] },
  { method: "layerNormForward", wasm: "layerNormForward", outputs: [6, 7, 8], args: (o) => [o.data(N, 1), R, C, 1e-5, o.data(C, 2), o.data(C, 3), o.data(N, 4), o.f64(R), o.f64(R)] },
  { method: "layerNormBackward", wasm: "layerNormBackward", outputs: [7, 8, 9], args: (o) => [o.data(N, 1), o.data(N, 2), R, C, o.f64(R, 3), abs(o.f64(R, 4)), o.data(C, 5), o.data(N, 6), o.data(C, 7), o.data(C, 8)] },
  { method: "batchNormMeanVar", wasm: "batchNormMeanVar", outputs: [4, 5], args: (o) => [o.data(N, 1), R, C, 1, o.f64(C), o.f64(C)] },
  { method: "batchNormSums", wasm: "batchNormSums", outputs: [4, 5], args: (o) => [o.data(N, 1), R, C, 1, o.f64(C, 2), o.f64(C, 3)] },
  { method: "batchNormForward", wasm: "batchNormForward", outputs: [7], args: (o) => [o.data(N, 1), R, C, 1, o.f64(C, 2), o.f64(C, 3), o.f64(C, 4), o.data(N, 5)] },
  { method: "batchNormBackwardSums", wasm: "batchNormBackwardSums", outputs: [7], args: (o) => [o.data(N, 1), o.data(N, 2), R, C, 1, o.f64(C, 3), o.f64(C, 4), o.f64(2 * C, 5)] },
  { method: "batchNormBackwardDx", wasm: "batchNormBackwardDx", outputs: [10], args: (o) => [o.data(N, 1), o.data(N, 2), R, C, 1, o.f64(C, 3), o.f64(C, 4), o.f64(C, 5), o.f64(C, 6), o.f64(C, 7), o.data(N, 8)] },
  // BatchNorm2d's layout [n, c, inner > 1]: the planes kernels (statistics summed in another order).
  { method: "batchNormMeanVar", wasm: "batchNormPlanesMeanVar", exact: false, outputs: [4, 5], args: (o) => [o.data(N * 6, 1), R, C, 6, o.f64(C), o.f64(C)] },
  { method: "batchNormSums", wasm: "batchNormPlanesSums", exact: false, outputs: [4, 5], args: (o) => [o.data(N * 5, 1), R, C, 5, o.f64(C, 2), o.f64(C, 3)] },
  { method: "batchNormForward", wasm: "batchNormPlanesForward", outputs: [7], args: (o) => [o.data(N * 6, 1), R, C, 6, o.f64(C, 2), o.f64(C, 3), o.f64(C, 4), o.data(N * 6, 5)] },
  { method: "batchNormBackwardSums", wasm: "batchNormPlanesBackwardSums", exact: false, outputs: [7], args: (o) => [o.data(N * 7, 1), o.data(N * 7, 2), R, C, 7, o.f64(C, 3), o.f64(C, 4), o.f64(2 * C, 5)] },
  { method: "batchNormBackwardDx", wasm: "batchNormPlanesBackwardDx", outputs: [10], args: (o) => [o.data(N * 6, 1), o.data(N * 6, 2), R, C, 6, o.f64(C, 3), o.f64(C, 4), o.f64(C, 5), o.f64(C, 6), o.f64(C, 7), o.data(N * 6, 8)] },
  // Convolution's unfold/fold (stride 1 and 2, padded) and max pooling.
  { method: "im2col", wasm: "im2col", outputs: [3], args: (o) => [o.data(2 * 3 * 5 * 5, 1), 75, CONV1, o.data(3 * 9 * 25, 2)] },
  { method: "im2col", wasm: "im2col", outputs: [3], args: (o) => [o.data(3 * 5 * 5, 1), 0, CONV2, o.data(3 * 6 * 9, 2)] },
  { method: "col2im", wasm: "col2im", outputs: [2], args: (o) => [o.data(3 * 9 * 25, 1), CONV1, o.data(2 * 3 * 5 * 5, 2), 75] },
  { method: "col2im", wasm: "col2im", outputs: [2], args: (o) => [o.data(3 * 6 * 9, 1), CONV2, o.data(3 * 5 * 5, 2), 0] },
  // Winograd F(2×2, 3×3)'s transforms (2 samples, 3 → 4 channels, 5×5 planes: 9 tiles each).
  { method: "winogradWeights", wasm: "winogradWeights", outputs: [4], args: (o) => [o.data(4 * 3 * 9, 1), 4, 3, true, o.data(16 * 12, 2)] },
  { method: "winogradInput", wasm: "winogradInput", outputs: [5], args: (o) => [o.data(2 * 3 * 25, 1), 2, 3, 5, 5, o.data(16 * 3 * 18, 2)] },
  { method: "winogradOutput", wasm: "winogradOutput", outputs: [5], args: (o) => [o.data(16 * 4 * 18, 1), 2, 4, 5, 5, o.data(2 * 4 * 25, 2), true] },
  { method: "maxPool2dForward", wasm: "maxPool2dForward", outputs: [3, 4], args: (o) => [o.data(6 * 5 * 5, 1), 6, POOL, o.data(6 * 9, 2), o.i32(6 * 9)] },
  { method: "maxPool2dBackward", wasm: "maxPool2dBackward", outputs: [4], args: (o) => [o.data(6 * 9, 1), winners(o.i32(6 * 9)), 6, POOL, o.data(6 * 5 * 5, 2)] },
  // The fused attention's row passes (3 rows of 5 keys at row stride 6, from offset 2; causal from row 1), in place only.
  { method: "attentionRowsForward", wasm: "attentionRowsForward", exact: false, outputs: [0, 7], args: (o) => [o.data(24, 1), 2, 3, 5, 6, 1, true, o.f64(4), 1] },
  { method: "attentionRowsForward", wasm: "attentionRowsForward", exact: false, outputs: [0, 7], args: (o) => [o.data(24, 1), 0, 3, 5, 6, 0, false, o.f64(3), 0] },
  { method: "attentionRowsBackward", wasm: "attentionRowsBackward", exact: false, outputs: [2], args: (o) => [o.data(24, 1), 2, o.data(18, 2), 3, 5, 6, o.data(14, 3), 2, o.data(14, 4), 4, o.f64(4, 5), 1] },
  // The recurrent cells (R rows, hidden 2); tanh from exp in wasm: not claimed bit-exact.
  { method: "lstmCellForward", wasm: "lstmCellForward", exact: false, outputs: [2, 8, 11], args: (o) => [R, 2, o.data(R * 8, 1), 0, 8, o.data(R * 2, 2), 0, 2, o.data(R * 2, 3), 0, 2, o.data(R * 2, 4), 0, 2] },
  { method: "lstmCellBackward", wasm: "lstmCellBackward", exact: false, outputs: [15, 16], args: (o) => [R, 2, o.data(R * 8, 1), 0, 8, o.data(R * 2, 2), 0, 2, o.data(R * 2, 3), 0, 2, o.data(R * 2, 4), 0, 2, o.data(R * 2, 5), o.data(R * 2, 6), o.data(R * 8, 7)] },
  { method: "gruCellForward", wasm: "gruCellForward", exact: false, outputs: [2, 11], args: (o) => [R, 2, o.data(R * 6, 1), 0, 6, o.data(R * 6, 2), 0, 6, o.data(R * 2, 3), 0, 2, o.data(R * 2, 4), 0, 2] },
  { method: "gruCellBackward", wasm: "gruCellBackward", exact: false, outputs: [14, 15, 16], args: (o) => [R, 2, o.data(R * 6, 1), 0, 6, o.data(R * 6, 2), 0, 6, o.data(R * 2, 3), 0, 2, o.data(R * 2, 4), 0, 2, o.data(R * 2, 5), o.data(R * 6, 6), o.data(R * 6, 7)] },
];

/** A copy of each typed array argument (so the js reference runs on the same inputs, elsewhere). */
const copyArgs = (args: unknown[]): unknown[] => args.map((a) => (a instanceof Float32Array || a instanceof Float64Array || a instanceof Int32Array ? a.slice() : a));
const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));

describe.runIf(wasmSimdSupported())("wasmKernels: routing of each interface method", () => {
  const memory = new WA.Memory({ initial: 4 });
  const thread = new WasmKernels({ memory, scratchOffset: 64, scratchBytes: 60_000 });
  // Which kernel module exports the thread's kernels ran (the exports object itself is frozen).
  const ran: string[] = [];
  const exports = thread.exports;
  (thread as unknown as { exports: unknown }).exports = new Proxy(exports, {
    get: (target, name) => {
      ran.push(String(name));
      return Reflect.get(target, name);
    },
  });
  afterEach(() => setThreadWasmKernels(null));

  /** Runs `c` through wasmKernels with this thread's kernels set, and the js kernel on copies; returns what the thread's kernels ran. */
  function run(c: Case, o: Arrays): { ran: string[]; got: unknown[]; want: unknown[]; result: unknown; wantResult: unknown } {
    const args = c.args(new Operands(memory, o));
    const ref = copyArgs(args);
    setThreadWasmKernels(thread);
    ran.length = 0;
    const result = (wasmKernels[c.method] as (...a: unknown[]) => unknown)(...args);
    const seen = [...ran];
    setThreadWasmKernels(null);
    const wantResult = (jsKernels[c.method] as (...a: unknown[]) => unknown)(...ref);
    return { ran: seen, got: args, want: ref, result, wantResult };
  }

  it("covers every method wasmKernels implements", () => {
    const implemented = (Object.keys(wasmKernels) as (keyof Kernels)[]).filter((m) => wasmKernels[m] !== jsKernels[m]);
    expect(new Set([...CASES.map((c) => c.method), "sumRanks"])).toEqual(new Set(implemented));
  });

  it.each(CASES.map((c) => [c.method, c] as const))("%s: float32 operands in this thread's memory run its wasm kernel in place", (_m, c) => {
    const r = run(c, { kind: "f32", inMemory: true });
    expect(r.ran).toContain(c.wasm);
    expect(r.result).toEqual(r.wantResult);
    if (c.exact !== false) for (const i of c.outputs) expect(sameBits(r.got[i] as Float32Array, r.want[i] as Float32Array)).toBe(true);
  });

  it.each(CASES.map((c) => [c.method, c] as const))("%s: float32 operands outside it run on the default instance, float64 ones the js kernel", (_m, c) => {
    for (const o of [{ kind: "f32", inMemory: false }, { kind: "f64", inMemory: false }] as Arrays[]) {
      const r = run(c, o);
      // gemm also runs on this thread's kernels when the staging of the operands outside fits their scratch.
      if (c.method === "gemm" && o.kind === "f32") expect(r.ran).toContain("gemm");
      else expect(r.ran).toEqual([]);
      expect(r.result).toEqual(r.wantResult);
      if (c.exact !== false || o.kind === "f64") for (const i of c.outputs) expect(sameBits(r.got[i] as Float32Array, r.want[i] as Float32Array)).toBe(true);
    }
  });

  it("a float32/float64 mix, and a layout the wasm kernels do not take, run the js kernel", () => {
    const o = new Operands(memory, { kind: "f32", inMemory: true });
    setThreadWasmKernels(thread);
    ran.length = 0;
    const x = o.data(N, 1), out64 = new Float64Array(N);
    wasmKernels.reluForward(x, out64);
    // softmax over a middle axis ([3, 2, 2], axis 1).
    const y = o.data(N, 2) as Float32Array;
    wasmKernels.softmaxForward(x, y, R, 2, 2, false);
    expect(ran).toEqual([]);
    const want = new Float32Array(N);
    jsKernels.softmaxForward(x, want, R, 2, 2, false);
    expect(sameBits(y, want)).toBe(true);
  });

  it("sumRanks: in place on equally spaced slots in the memory (the engine's layout), else the js loop", () => {
    for (const inMemory of [true, false]) {
      const o = new Operands(memory, { kind: "f32", inMemory });
      const srcs = o.slots(3, 20), dst = o.data(20, 9) as Float32Array, want = dst.slice();
      jsKernels.sumRanks(want, srcs, 2, 17);
      setThreadWasmKernels(thread);
      ran.length = 0;
      wasmKernels.sumRanks(dst, srcs, 2, 17);
      expect(ran).toEqual(inMemory ? ["sum"] : []);
      expect(sameBits(dst, want)).toBe(true);
      setThreadWasmKernels(null);
    }
  });
});

describe("kernels(): this thread's choice", () => {
  const initial = backend();
  afterEach(() => setBackend(initial));

  it("follows the backend: jsKernels under js, wasmKernels under wasm", () => {
    setBackend("js");
    expect(kernels()).toBe(jsKernels);
    if (wasmSimdSupported()) {
      setBackend("wasm");
      expect(kernels()).toBe(wasmKernels);
    }
  });

  it("jsKernels implements every method, wasmKernels too (the rest being the js ones)", () => {
    const names = Object.keys(jsKernels).sort();
    expect(Object.keys(wasmKernels).sort()).toEqual(names);
    expect(wasmKernels.batchNormBackwardDxEval).toBe(jsKernels.batchNormBackwardDxEval);
    for (const n of names) expect(typeof (jsKernels as unknown as Record<string, unknown>)[n]).toBe("function");
  });
});
