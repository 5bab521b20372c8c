import { afterEach, describe, expect, it } from "vitest";
import * as js from "../src/kernels/js/softmax.js";
import { backend, setBackend } from "../src/kernels/backend.js";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { logSoftmax, softmax } from "../src/ops/activation.js";
import { Tensor } from "../src/tensor.js";

// Softmax / log-softmax over the last axis in wasm (assembly/softmax.ts) against the JS kernels
// (src/kernels/js/softmax.ts, inner = 1): the same float64 arithmetic in the same order with
// fdlibm's exp/log (V8's), so the same float32 results — compared with Object.is (±0 and NaN
// count), tolerance 0. And against a float64 reference: within float32 rounding (2⁻²³ relative
// plus 1e-30 absolute, and for log-softmax 1e-12·|lse| for the float64 rounding of x − lse;
// −∞ where the reference leaves float32's range).

function values(n: number, seed: number, scale: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 31 - 1) * scale;
  }
  return x;
}
const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** rows, cols, |x| scale, and whether to sprinkle −∞ (never a whole row) into x. */
const SHAPES: [number, number, number, boolean][] = [
  [1, 1, 3, false], [1, 10, 3, false], [7, 1, 3, false], [5, 3, 2, false], [128, 10, 5, false], [13, 7, 4, true],
  [9, 13, 1e4, false], [4, 33, 3e38, false], [6, 1000, 8, true], [3, 17, 1e-30, false], [2, 6, 90, true],
];

function input(rows: number, cols: number, scale: number, negInf: boolean, seed: number): Float32Array {
  const x = values(rows * cols, seed, scale);
  if (negInf && cols > 1) for (let r = 0; r < rows; r++) x[r * cols + ((r * 5) % cols)] = -Infinity;
  return x;
}

describe.runIf(wasmSimdSupported())("wasm softmax / logSoftmax (last axis)", () => {
  const k = new WasmKernels();

  for (const log of [false, true]) {
    it.each(SHAPES)(`${log ? "logSoftmax" : "softmax"} rows = %i, cols = %i, |x| ≤ %f, −∞: %s: the JS kernels' bits`, (rows, cols, scale, negInf) => {
      const x = input(rows, cols, scale, negInf, rows * 31 + cols);
      const want = new Float32Array(x.length), got = new Float32Array(x.length).fill(7);
      js.softmaxForward(x, want, rows, cols, 1, log);
      k.softmaxForward(x, got, rows, cols, 1, log);
      expect(same(got, want)).toBe(true);
      // Backward accumulates onto a non-zero slot.
      const g = values(x.length, cols * 7 + 1, 1.5);
      const slotWant = values(x.length, 99, 0.25), slotGot = slotWant.slice();
      js.softmaxBackward(want, g, slotWant, rows, cols, 1, log);
      k.softmaxBackward(want, g, slotGot, rows, cols, 1, log);
      expect(same(slotGot, slotWant)).toBe(true);
      // float64 reference.
      for (let r = 0; r < rows; r++) {
        const row = Array.from(x.subarray(r * cols, (r + 1) * cols), Number);
        const max = Math.max(...row);
        const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
        for (let c = 0; c < cols; c++) {
          const ref = log ? row[c] - lse : Math.exp(row[c] - lse);
          // −∞ (a −∞ logit, or a log-probability below float32's range) must come out as −∞.
          if (!Number.isFinite(Math.fround(ref))) expect(got[r * cols + c]).toBe(Math.fround(ref));
          else expect(Math.abs(got[r * cols + c] - ref)).toBeLessThanOrEqual(2 ** -23 * Math.abs(ref) + 1e-30 + (log ? 1e-12 * Math.abs(lse) : 0));
        }
      }
    });
  }

  it("log-softmax backward on arbitrary y (exp of both signs, up to overflow) gives the JS kernel's bits", () => {
    const rows = 64, cols = 37, n = rows * cols;
    const y = values(n, 12, 1).map((u, i) => u * 2 ** ((i * 7919) % 31 - 20) * (i % 5 === 0 ? 700 : 1));
    const sp = [0, -0, 1, -1, 1.0397, -1.0397, 703.9, 704, 709.7, 709.8, -745.2, 88.7, 89, Infinity, -Infinity, NaN];
    sp.forEach((v, i) => (y[5 + i * 3] = v));
    const g = values(n, 13, 1), want = values(n, 14, 1), got = want.slice();
    js.softmaxBackward(y, g, want, rows, cols, 1, true);
    k.softmaxBackward(y, g, got, rows, cols, 1, true);
    expect(same(got, want)).toBe(true);
  });

  it("rows that are all −∞ give NaN on both (x − max = NaN), and a NaN poisons only its row", () => {
    const x = new Float32Array([-Infinity, -Infinity, -Infinity, 1, NaN, 2, 0, -0, 3]);
    for (const log of [false, true]) {
      const want = new Float32Array(9), got = new Float32Array(9);
      js.softmaxForward(x, want, 3, 3, 1, log);
      k.softmaxForward(x, got, 3, 3, 1, log);
      expect(same(got, want)).toBe(true);
      expect(Number.isNaN(got[0]) && Number.isNaN(got[3]) && Number.isFinite(got[6])).toBe(true);
    }
  });

  it("operands already in the kernels' memory are used in place (out = x allowed), array and pointer level", () => {
    const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: ArrayBuffer; grow(n: number): number } } }).WebAssembly;
    const memory = new WA.Memory({ initial: 2 });
    const kk = new WasmKernels({ memory, scratchOffset: 65536, scratchBytes: 65536 });
    const rows = 8, cols = 12, n = rows * cols;
    for (const log of [false, true]) {
      const x = values(n, 5, 6), g = values(n, 6, 1);
      const want = new Float32Array(n), slotWant = values(n, 8, 1);
      js.softmaxForward(x, want, rows, cols, 1, log);
      js.softmaxBackward(want, g, slotWant, rows, cols, 1, log);
      const inMem = new Float32Array(memory.buffer, 64, n);
      inMem.set(x);
      kk.softmaxForward(inMem, inMem, rows, cols, 1, log);
      expect(same(inMem, want)).toBe(true);
      const f32 = new Float32Array(memory.buffer);
      const G = 4096, S = 8192;
      f32.set(g, G / 4);
      f32.set(values(n, 8, 1), S / 4);
      kk.softmaxBackwardPtr(64, G, S, rows, cols, log);
      expect(same(f32.subarray(S / 4, S / 4 + n), slotWant)).toBe(true);
      f32.set(x, 64 / 4);
      kk.softmaxForwardPtr(64, 12288, rows, cols, log);
      expect(same(f32.subarray(12288 / 4, 12288 / 4 + n), want)).toBe(true);
    }
  });
});

describe.runIf(wasmSimdSupported())("softmax / logSoftmax ops: wasm and js backends agree", () => {
  const initial = backend();
  afterEach(() => setBackend(initial));

  function run(b: "js" | "wasm", shape: number[], axis: number, log: boolean): [Float32Array, Float32Array] {
    setBackend(b);
    const n = shape.reduce((a, d) => a * d, 1);
    const x = new Tensor(values(n, 17, 4), shape, true);
    const y = (log ? logSoftmax : softmax)(x, axis);
    y.backward(new Tensor(values(n, 3, 1), shape));
    return [y.data as Float32Array, x.grad!.data as Float32Array];
  }

  it.each([[[4, 10], -1], [[2, 3, 5], 2], [[2, 3, 5], 1], [[6, 1], 1], [[1, 9], 0]] as [number[], number][])("shape %j, axis %i", (shape, axis) => {
    for (const log of [false, true]) {
      const [yJ, gJ] = run("js", shape, axis, log);
      const [yW, gW] = run("wasm", shape, axis, log);
      expect(same(yW, yJ)).toBe(true);
      expect(same(gW, gJ)).toBe(true);
    }
  });
});
