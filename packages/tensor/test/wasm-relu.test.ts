import { describe, expect, it } from "vitest";
import { reluBackward, reluForward } from "../src/kernels/js/activation.js";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";

// The wasm ReLU kernels against the JS ones (src/kernels/js/activation.ts): same bits, for every
// input but −∞ (JS: NaN, wasm: 0 as torch.relu) — compared with Object.is, so ±0 count.

function values(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 31 - 1) * 10 ** ((s >>> 9) % 9 - 4);
  }
  x.set([0, -0, NaN, Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38], 3);
  return x;
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe.runIf(wasmSimdSupported())("wasm relu", () => {
  const k = new WasmKernels();

  it.each([1, 7, 8, 9, 1003])("forward and backward give the JS kernel's bits (n = %i)", (n) => {
    const x = values(n + 11, n), g = values(n + 11, n + 1), slot0 = values(n + 11, n + 2);
    slot0[0] = -0;
    const want = new Float32Array(x.length), got = new Float32Array(x.length);
    reluForward(x, want);
    k.reluForward(x, got);
    expect(same(got, want)).toBe(true);
    const wantSlot = slot0.slice(), gotSlot = slot0.slice();
    reluBackward(x, g, wantSlot);
    k.reluBackward(x, g, gotSlot);
    expect(same(gotSlot, wantSlot)).toBe(true);
  });

  it("relu(−∞) = 0, as torch.relu (the JS kernel's (x + |x|)/2 gives NaN there)", () => {
    const out = new Float32Array(1);
    k.reluForward(new Float32Array([-Infinity]), out);
    expect(out[0]).toBe(0);
  });
});
