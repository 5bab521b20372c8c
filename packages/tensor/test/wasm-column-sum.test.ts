import { describe, expect, it } from "vitest";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { columnSum, setBackend } from "../src/kernels/backend.js";
import { linear } from "../src/ops/matmul.js";
import { sum } from "../src/ops/reduce.js";
import { Tensor } from "../src/tensor.js";

// linear's bias gradient, db[j] += Σ_r dY[r, j]: the wasm kernel against the JS loop (float32
// adds in row order — the same bits, compared with Object.is) and against a float64 reference
// (tolerance: rows·2^-24 relative to Σ|dY|, the bound of float32 recursive summation).

function values(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 31 - 1) * 10 ** ((s >>> 9) % 5 - 2);
  }
  return x;
}

function jsColumnSum(a: Float32Array, rows: number, cols: number, dst: Float32Array): void {
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) dst[j] += a[r * cols + j];
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe.runIf(wasmSimdSupported())("wasm columnSum", () => {
  const k = new WasmKernels();

  it.each([[1, 1], [3, 5], [7, 17], [128, 256], [33, 10], [1, 31], [0, 4]])("rows = %i, cols = %i: the JS loop's bits, float64 within rows·2^-24·Σ|a|", (rows, cols) => {
    const a = values(rows * cols, rows * 31 + cols), d0 = values(cols, cols + 7);
    const want = d0.slice(), got = d0.slice();
    jsColumnSum(a, rows, cols, want);
    k.columnSum(a, rows, cols, got);
    expect(same(got, want)).toBe(true);
    for (let j = 0; j < cols; j++) {
      let ref = d0[j], mag = Math.abs(d0[j]);
      for (let r = 0; r < rows; r++) {
        ref += a[r * cols + j];
        mag += Math.abs(a[r * cols + j]);
      }
      expect(Math.abs(got[j] - ref)).toBeLessThanOrEqual((rows + 1) * 2 ** -24 * mag);
    }
  });

  it("is deterministic and works in place in its own memory", () => {
    const rows = 9, cols = 21;
    const a = values(rows * cols, 5), d0 = values(cols, 6);
    const once = d0.slice(), twice = d0.slice();
    k.columnSum(a, rows, cols, once);
    k.columnSum(a, rows, cols, twice);
    expect(same(once, twice)).toBe(true);
    const f32 = k.f32();
    const inA = f32.subarray(1 << 14, (1 << 14) + rows * cols), inD = f32.subarray(1 << 15, (1 << 15) + cols);
    inA.set(a);
    inD.set(d0);
    k.columnSum(inA, rows, cols, inD);
    expect(same(inD, once)).toBe(true);
  });

  it("linear's bias gradient is the same under both backends", () => {
    const rows = 13, inF = 5, outF = 19;
    const grads = (["js", "wasm"] as const).map((b) => {
      setBackend(b);
      const x = new Tensor(values(rows * inF, 1), [rows, inF]);
      const w = new Tensor(values(outF * inF, 2), [outF, inF], true);
      const bias = new Tensor(values(outF, 3), [outF], true);
      sum(linear(x, w, bias)).backward();
      return bias.grad!.data as Float32Array;
    });
    setBackend();
    expect(same(grads[0], grads[1])).toBe(true);
    const dst = new Float64Array(3);
    columnSum(new Float64Array([1, 2, 3, 4, 5, 6]), 2, 3, dst); // float64 stays on the JS loop
    expect([...dst]).toEqual([5, 7, 9]);
  });
});
