import { afterEach, describe, expect, it } from "vitest";
import { gemm as jsGemm } from "../src/kernels/js/gemm.js";
import { backend, gemm, parseBackend, setBackend } from "../src/kernels/backend.js";
import { WasmKernels, wasmGemm, wasmSimdSupported, type WasmMemory } from "../src/kernels/wasm/index.js";
import { reference, type Case } from "./gemm-reference.js";

// The WebAssembly SIMD gemm against two oracles: a naive float64 triple loop (the contract)
// and the TypeScript kernel (the other backend). Tolerance, stated: |got − want| ≤ 1e-4 +
// 1e-4·|want| for both. The wasm kernel sums in float32 (the JS kernel in double), so its
// error grows with k; with operands in [−1, 1) and k ≤ 784 it stays near 1e-5 here.
const TOL = 1e-4;

/** Deterministic values in [-1, 1) (LCG), so failures reproduce. */
function fill(arr: Float32Array, seed: number): Float32Array {
  let s = seed >>> 0;
  for (let i = 0; i < arr.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    arr[i] = s / 2 ** 31 - 1;
  }
  return arr;
}


function makeCase(transA: boolean, transB: boolean, [m, n, k]: [number, number, number], opts: Partial<Case> = {}): Case {
  const base: Case = {
    transA, transB, m, n, k, alpha: 1, beta: 0, aOff: 0, bOff: 0, cOff: 0, biasOff: 0, bias: false,
    lda: transA ? m : k, ldb: transB ? k : n, ldc: n,
  };
  return { ...base, ...opts };
}

function operands(cs: Case) {
  const aRows = cs.transA ? cs.k : cs.m, bRows = cs.transB ? cs.n : cs.k;
  const a = fill(new Float32Array(cs.aOff + aRows * cs.lda + 3), 1);
  const b = fill(new Float32Array(cs.bOff + bRows * cs.ldb + 3), 2);
  const c = fill(new Float32Array(cs.cOff + cs.m * cs.ldc + 3), 3);
  const bias = cs.bias ? fill(new Float32Array(cs.biasOff + cs.n + 2), 4) : null;
  if (cs.beta === 0) c.fill(NaN, cs.cOff, cs.cOff + cs.m * cs.ldc); // beta = 0 must never read C
  return { a, b, c, bias };
}


type GemmFn = typeof wasmGemm; // float32 operands (the JS kernel also accepts them)

function run(fn: GemmFn, cs: Case, ops: ReturnType<typeof operands>): Float32Array {
  const c = ops.c.slice();
  fn(cs.transA, cs.transB, cs.m, cs.n, cs.k, cs.alpha, ops.a, cs.aOff, cs.lda, ops.b, cs.bOff, cs.ldb,
    cs.beta, c, cs.cOff, cs.ldc, ops.bias, cs.biasOff);
  return c;
}

/** Runs the wasm gemm and the JS gemm on one case; compares both with the float64 oracle, and outside C with the input. */
function check(cs: Case, wasm: GemmFn = wasmGemm): void {
  const ops = operands(cs);
  const want = reference(cs, ops.a, ops.b, ops.c, ops.bias);
  const got = run(wasm, cs, ops);
  const js = run(jsGemm, cs, ops);
  for (let idx = 0; idx < got.length; idx++) {
    const i = Math.floor((idx - cs.cOff) / cs.ldc), j = (idx - cs.cOff) - i * cs.ldc;
    if (!(idx >= cs.cOff && i < cs.m && j < cs.n)) {
      // Padding between rows (ldc > n) and outside the matrix is left untouched, NaN included.
      if (!Object.is(got[idx], ops.c[idx])) expect.fail(`wasm gemm wrote outside C at ${idx}`);
      continue;
    }
    for (const [name, ref] of [["float64 oracle", want[idx]], ["JS kernel", js[idx]]] as const) {
      if (!(Math.abs(got[idx] - ref) <= TOL + TOL * Math.abs(ref))) {
        expect.fail(`C[${i}][${j}] = ${got[idx]}, ${name} says ${ref} (${JSON.stringify(cs)})`);
      }
    }
  }
}

const layouts = [
  { transA: false, transB: false, name: "NN" },
  { transA: false, transB: true, name: "NT" },
  { transA: true, transB: false, name: "TN" },
  { transA: true, transB: true, name: "TT" },
];

// Smaller than, equal to and just past the micro-tile (4×8) and the cache blocks (MC = 128
// rows, NC = 1024 columns, KC = 256 deep), one-row/one-column shapes, and
// the sizes the brief names.
const shapes: [number, number, number][] = [
  [1, 1, 1], [2, 3, 1], [1, 7, 5], [7, 1, 5], [7, 13, 5], [4, 8, 3], [5, 9, 4], [8, 16, 257],
  [67, 33, 129], [130, 257, 70], [129, 17, 513], [3, 1031, 9], [33, 17, 600],
];

describe.runIf(wasmSimdSupported())("wasm gemm", () => {
  describe.each(layouts)("$name", ({ transA, transB }) => {
    it.each(shapes)("C = A·B at %i×%i×%i", (m, n, k) => {
      check(makeCase(transA, transB, [m, n, k]));
    });

    it.each(shapes)("alpha, beta, bias at %i×%i×%i", (m, n, k) => {
      check(makeCase(transA, transB, [m, n, k], { alpha: -0.75, beta: 0.5, bias: true }));
    });

    it.each([[1, 1, 1], [7, 13, 5], [67, 33, 129], [130, 257, 70]] as [number, number, number][])(
      "offsets, and strides larger than a row, at %i×%i×%i", (m, n, k) => {
        const ld = (cols: number): number => cols + 5;
        check(makeCase(transA, transB, [m, n, k], {
          alpha: 1.5, beta: -2, bias: true, aOff: 3, bOff: 11, cOff: 7, biasOff: 2,
          lda: ld(transA ? m : k), ldb: ld(transB ? k : n), ldc: ld(n),
        }));
        // beta = 0 with gaps between C's rows: the gaps (NaN here) must come back unchanged.
        check(makeCase(transA, transB, [m, n, k], { aOff: 1, cOff: 2, ldc: ld(n), lda: ld(transA ? m : k) }));
      });
  });

  it("the three Linear layouts at the standard workload's shapes", () => {
    // forward Y[128×256] = X[128×784]·W[256×784]ᵀ + b, dW[256×784] += dYᵀ·X, dX[128×784] = dY·W.
    check(makeCase(false, true, [128, 256, 784], { bias: true }));
    check(makeCase(true, false, [256, 784, 128], { beta: 1 }));
    check(makeCase(false, false, [128, 784, 256]));
  });

  it("m = 0 or n = 0 touches nothing; k = 0 gives beta·C + bias; alpha = 0 reads neither A nor B", () => {
    const c = new Float32Array([1, 2, 3]);
    wasmGemm(false, false, 0, 3, 2, 1, new Float32Array(6), 0, 2, new Float32Array(6), 0, 3, 0, c, 0, 3);
    wasmGemm(false, false, 1, 0, 2, 1, new Float32Array(2), 0, 2, new Float32Array(0), 0, 0, 0, c, 0, 0);
    expect(Array.from(c)).toEqual([1, 2, 3]);
    const d = new Float32Array([NaN, NaN, 4, 8]);
    wasmGemm(false, false, 1, 2, 0, 1, new Float32Array(0), 0, 0, new Float32Array(0), 0, 2, 0, d, 0, 2, new Float32Array([0, 1, 2]), 1);
    wasmGemm(true, true, 1, 2, 0, 1, new Float32Array(0), 0, 1, new Float32Array(0), 0, 0, 0.5, d, 2, 2);
    expect(Array.from(d)).toEqual([1, 2, 2, 4]);
    const e = new Float32Array([3, 5]);
    wasmGemm(false, false, 1, 2, 1, 0, new Float32Array([NaN]), 0, 1, new Float32Array([NaN, NaN]), 0, 2, 2, e, 0, 2);
    expect(Array.from(e)).toEqual([6, 10]);
  });

  it("is deterministic: the same inputs give the same bits, call after call, whatever ran in between", () => {
    const cs = makeCase(false, true, [130, 257, 70], { bias: true, beta: 0.5 });
    const ops = operands(cs);
    const first = run(wasmGemm, cs, ops);
    check(makeCase(true, true, [67, 33, 129])); // other shapes, other scratch layout
    const second = run(wasmGemm, cs, ops);
    expect(second).toEqual(first);
    expect(Buffer.from(second.buffer).equals(Buffer.from(first.buffer))).toBe(true);
  });

  it("grows its memory for a bigger problem, then keeps it", () => {
    const k = new WasmKernels();
    const before = k.memory.buffer.byteLength;
    const big: GemmFn = (...args) => k.gemm(...(args as Parameters<WasmKernels["gemm"]>));
    check(makeCase(false, false, [300, 300, 300]), big);
    const grown = k.memory.buffer.byteLength;
    expect(grown).toBeGreaterThan(before);
    check(makeCase(true, false, [300, 300, 300]), big);
    check(makeCase(false, true, [7, 13, 5]), big);
    expect(k.memory.buffer.byteLength).toBe(grown);
  });
});

/** A caller's memory with A, B, C, bias laid out by hand, as a parallel engine would. */
function callerMemory(shared: boolean): WasmMemory {
  const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => WasmMemory } }).WebAssembly;
  return new WA.Memory(shared ? { initial: 64, maximum: 64, shared: true } : { initial: 64 });
}

describe.runIf(wasmSimdSupported())("wasm kernels in a caller's memory", () => {
  it.each([false, true])("gemmPtr runs in place, zero copies (shared: %s)", (shared) => {
    const memory = callerMemory(shared);
    expect(memory.buffer instanceof SharedArrayBuffer).toBe(shared);
    const scratchOffset = 1 << 20, scratchBytes = 1 << 20;
    const k = new WasmKernels({ memory, scratchOffset, scratchBytes });
    expect(k.shared).toBe(shared);
    const f32 = new Float32Array(memory.buffer);
    const m = 67, n = 33, kk = 129;
    const A = 256, B = A + m * kk * 4, C = B + kk * n * 4, BIAS = C + m * n * 4;
    fill(f32.subarray(A / 4, A / 4 + m * kk), 1);
    fill(f32.subarray(B / 4, B / 4 + kk * n), 2);
    fill(f32.subarray(BIAS / 4, BIAS / 4 + n), 4);
    f32.fill(NaN, C / 4, C / 4 + m * n);
    const a = f32.slice(A / 4, A / 4 + m * kk), b = f32.slice(B / 4, B / 4 + kk * n), bias = f32.slice(BIAS / 4, BIAS / 4 + n);
    k.gemmPtr(false, false, m, n, kk, 1, A, kk, B, n, 0, C, n, BIAS);
    const want = new Float32Array(m * n);
    jsGemm(false, false, m, n, kk, 1, a, 0, kk, b, 0, n, 0, want, 0, n, bias, 0);
    const got = f32.subarray(C / 4, C / 4 + m * n);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(TOL + TOL * Math.abs(want[i]));
    // Only the scratch range and C were written: the inputs are intact.
    expect(f32.subarray(A / 4, A / 4 + m * kk)).toEqual(a);
    // The array-level call also works on arrays that are views of that memory (used in place).
    const c2 = f32.subarray(C / 4, C / 4 + m * n);
    k.gemm(false, false, m, n, kk, 1, f32.subarray(A / 4), 0, kk, f32.subarray(B / 4), 0, n, 0, c2, 0, n, f32.subarray(BIAS / 4), 0);
    for (let i = 0; i < want.length; i++) expect(Math.abs(c2[i] - want[i])).toBeLessThanOrEqual(TOL + TOL * Math.abs(want[i]));
  });

  it("a scratch range too small is a clear error, and a caller's memory is never grown", () => {
    const memory = callerMemory(false);
    const k = new WasmKernels({ memory, scratchOffset: 1024, scratchBytes: 1024 });
    const a = new Float32Array(64 * 64), c = new Float32Array(64 * 64);
    expect(() => k.gemm(false, false, 64, 64, 64, 1, a, 0, 64, a, 0, 64, 0, c, 0, 64)).toThrow(/needs \d+ bytes of scratch, but the range given holds 1024/);
    expect(memory.buffer.byteLength).toBe(64 * 65536);
    expect(() => new WasmKernels({ memory, scratchOffset: 8 })).toThrow(/multiple of 16/);
    expect(() => new WasmKernels({ memory, scratchOffset: 0, scratchBytes: 65 * 65536 })).toThrow(/inside the memory/);
    expect(() => new WasmKernels({ scratchBytes: 16 })).toThrow(/only with a memory of your own/);
  });
});

describe("backend selection", () => {
  afterEach(() => setBackend());

  it("parses WEFT_BACKEND: js, wasm, unset/empty = wasm where SIMD runs, else js", () => {
    expect(parseBackend("js", true)).toBe("js");
    expect(parseBackend("wasm", true)).toBe("wasm");
    expect(parseBackend(" wasm ", true)).toBe("wasm");
    expect(parseBackend(undefined, true)).toBe("wasm");
    expect(parseBackend("", true)).toBe("wasm");
    expect(parseBackend(undefined, false)).toBe("js");
    expect(parseBackend("js", false)).toBe("js");
  });

  it("an invalid value is an error naming the variable and the accepted values", () => {
    expect(() => parseBackend("WASM", true)).toThrow('WEFT_BACKEND must be one of "js", "wasm" (or unset), got "WASM"');
    expect(() => parseBackend("cpu", true)).toThrow(/WEFT_BACKEND must be one of "js", "wasm"/);
    expect(() => parseBackend("wasm", false)).toThrow(/WEFT_BACKEND="wasm", but this JavaScript host cannot run WebAssembly SIMD/);
  });

  it("reads the environment once, lazily; setBackend overrides and setBackend() forgets", () => {
    const saved = process.env.WEFT_BACKEND;
    try {
      process.env.WEFT_BACKEND = "js";
      setBackend();
      expect(backend()).toBe("js");
      process.env.WEFT_BACKEND = "nonsense";
      expect(backend()).toBe("js"); // read once
      setBackend();
      expect(() => backend()).toThrow(/WEFT_BACKEND must be one of/);
      setBackend("js");
      expect(backend()).toBe("js");
      expect(() => setBackend("gpu" as never)).toThrow(/expected one of "js", "wasm"/);
    } finally {
      if (saved === undefined) delete process.env.WEFT_BACKEND;
      else process.env.WEFT_BACKEND = saved;
    }
  });

  it.runIf(wasmSimdSupported())("gemm dispatches float32 to wasm under wasm, and float64 always to JS", () => {
    // A product whose float32 sums differ from double-then-round in the last bit tells the
    // kernels apart: the JS kernel rounds a double sum once, the wasm kernel sums in float32.
    const k = 300;
    const a = fill(new Float32Array(4 * k), 7), b = fill(new Float32Array(k * 8), 8);
    const viaJs = new Float32Array(32), viaWasm = new Float32Array(32), viaDispatch = new Float32Array(32);
    jsGemm(false, false, 4, 8, k, 1, a, 0, k, b, 0, 8, 0, viaJs, 0, 8);
    wasmGemm(false, false, 4, 8, k, 1, a, 0, k, b, 0, 8, 0, viaWasm, 0, 8);
    expect(viaWasm).not.toEqual(viaJs);
    setBackend("wasm");
    gemm(false, false, 4, 8, k, 1, a, 0, k, b, 0, 8, 0, viaDispatch, 0, 8);
    expect(viaDispatch).toEqual(viaWasm);
    setBackend("js");
    gemm(false, false, 4, 8, k, 1, a, 0, k, b, 0, 8, 0, viaDispatch, 0, 8);
    expect(viaDispatch).toEqual(viaJs);
    setBackend("wasm");
    const a64 = Float64Array.from(a), b64 = Float64Array.from(b), c64 = new Float64Array(32), want64 = new Float64Array(32);
    gemm(false, false, 4, 8, k, 1, a64, 0, k, b64, 0, 8, 0, c64, 0, 8);
    jsGemm(false, false, 4, 8, k, 1, a64, 0, k, b64, 0, 8, 0, want64, 0, 8);
    expect(c64).toEqual(want64);
  });
});
