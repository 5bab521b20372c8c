import { describe, expect, it } from "vitest";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";

// The all-reduce's sum. Oracle: the JS loop of @weft/parallel (worker.ts, SharedCommunicator):
// `let acc = 0; for (r = 0…W−1) acc += src[r][i]; dst[i] = acc` — double accumulation in rank
// order, one rounding. The kernel does the same, so the comparison is exact (same bits).

function fill(arr: Float32Array, seed: number): Float32Array {
  let s = seed >>> 0;
  for (let i = 0; i < arr.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // Mixed magnitudes, so that the summation order and precision matter.
    arr[i] = (s / 2 ** 31 - 1) * 10 ** ((s >>> 8) % 7 - 3);
  }
  return arr;
}

function jsSum(srcs: Float32Array[], n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let r = 0; r < srcs.length; r++) acc += srcs[r][i];
    out[i] = acc;
  }
  return out;
}

describe.runIf(wasmSimdSupported())("wasm sum (all-reduce)", () => {
  it.each([[1, 1], [2, 7], [2, 235146], [3, 1001], [4, 64], [8, 4099]])("W = %i, n = %i: same bits as the JS loop", (w, n) => {
    const srcs = Array.from({ length: w }, (_, r) => fill(new Float32Array(n), r + 1));
    const got = new Float32Array(n);
    new WasmKernels().sum(got, srcs);
    const want = jsSum(srcs, n);
    if (!Buffer.from(got.buffer).equals(Buffer.from(want.buffer))) expect(got).toEqual(want); // fast path; toEqual explains

  });

  it("W = 2 (the float32 path) matches the JS loop on arbitrary finite bit patterns, subnormals and overflow included", () => {
    const n = 100003;
    const srcs = [0, 1].map((r) => {
      const bits = new Uint32Array(n);
      let s = 77 + r;
      for (let i = 0; i < n; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        // Exponent field 0xff (inf/NaN) avoided; i % 5 == 0 pairs nearby exponents so that sums cancel.
        let x = s;
        if (((x >>> 23) & 0xff) === 0xff) x ^= 0x40000000;
        bits[i] = x;
      }
      return new Float32Array(bits.buffer);
    });
    for (let i = 0; i < n; i += 5) srcs[1][i] = -srcs[0][i] * (1 + 2 ** -20);
    const got = new Float32Array(n);
    new WasmKernels().sum(got, srcs);
    const want = jsSum(srcs, n);
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
  });

  it("signed zeros come out as the JS loop makes them (acc starts at +0)", () => {
    for (const w of [1, 2, 3]) {
      const srcs = Array.from({ length: w }, () => new Float32Array(9).fill(-0));
      const got = new Float32Array(9);
      new WasmKernels().sum(got, srcs);
      expect(Array.from(got).every((x) => Object.is(x, 0))).toBe(true);
      expect(Object.is(jsSum(srcs, 9)[0], 0)).toBe(true);
    }
  });

  it("differs from float32 accumulation (so the test above would see it)", () => {
    const srcs = [new Float32Array([1, 1e8]), new Float32Array([1e8, 1]), new Float32Array([-1e8, -1e8])];
    const got = new Float32Array(2);
    new WasmKernels().sum(got, srcs);
    // In float32, 1 + 1e8 rounds to 1e8 and the 1 is lost; in double it survives.
    expect(Array.from(got)).toEqual([1, 1]);
  });

  it("in place, on strided slots in a shared memory (the all-reduce's layout)", () => {
    const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: object) => { buffer: SharedArrayBuffer; grow(n: number): number } } }).WebAssembly;
    const memory = new WA.Memory({ initial: 16, maximum: 16, shared: true });
    const kernels = new WasmKernels({ memory });
    const f32 = new Float32Array(memory.buffer);
    const W = 3, n = 5003, stride = 5008; // elements; slot r at r·stride
    const srcs = Array.from({ length: W }, (_, r) => fill(new Float32Array(n), 10 + r));
    srcs.forEach((s, r) => f32.set(s, r * stride));
    const want = jsSum(srcs, n);
    kernels.sumPtr(stride * 4, 0, stride * 4, W, n); // dst = slot 1
    expect(f32.subarray(stride, stride + n)).toEqual(want);
    expect(f32.subarray(0, n)).toEqual(srcs[0]);
  });

  it("W = 0 gives zeros; sources of another length are an error", () => {
    const k = new WasmKernels();
    const d = new Float32Array([1, 2]);
    k.sum(d, []);
    expect(Array.from(d)).toEqual([0, 0]);
    expect(() => k.sum(d, [new Float32Array(3)])).toThrow(/source 0 has 3 elements, dst has 2/);
  });
});
