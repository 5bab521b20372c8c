import { describe, expect, it } from "vitest";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";

describe.runIf(wasmSimdSupported())("wasm firstNonFinite", () => {
  const k = new WasmKernels();
  const at = 1024; // byte address of the operand in the kernels' own memory
  const check = (values: number[]) => {
    k.f32().set(values, at >> 2);
    return k.firstNonFinitePtr(at, values.length);
  };
  const reference = (values: number[]) => Float32Array.from(values).findIndex((v) => !Number.isFinite(v));

  it("is −1 for finite values (including ±0, subnormals and the float32 extremes)", () => {
    expect(check([])).toBe(-1);
    expect(check([0, -0, 1e-45, -1e-45, 3.4028234e38, -3.4028234e38, 1, 2, 3])).toBe(-1);
  });

  it.each([1, 7, 8, 9, 16, 17, 1001])("finds the first ±∞ or NaN wherever it is (n = %i)", (n) => {
    for (const bad of [Infinity, -Infinity, NaN]) {
      for (const pos of [0, Math.floor(n / 2), n - 1]) {
        const values = Array.from({ length: n }, (_, i) => Math.sin(i) * 100);
        values[pos] = bad;
        if (pos + 1 < n) values[n - 1] = NaN; // a later one must not win
        expect(check(values)).toBe(reference(values));
        expect(check(values)).toBe(pos);
      }
    }
  });
});
