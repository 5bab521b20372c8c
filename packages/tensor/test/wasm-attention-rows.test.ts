import { describe, expect, it } from "vitest";
import * as js from "../src/kernels/js/attention.js";
import { WasmKernels, wasmSimdSupported, type WasmMemory } from "../src/kernels/wasm/index.js";
import { Rng } from "../src/rng.js";

// The wasm row passes of the fused attention (assembly/attention.ts) against the js ones
// (kernels/js/attention.ts), in a WasmKernels' own memory (they run in place only). Cephes expf
// and float32 arithmetic instead of the js kernels' table exp and float64 arithmetic (as
// PyTorch's float32 softmax: s − max is rounded to float32, an error of 2⁻²⁴·|s − max| in the
// exponent): the normalised weights E·inv within (4 + |s − max|)·2⁻²⁴ relative + 1e-30, dS within 1e-6·(|dP| + |dot|)·max E·inv
// + 1e-30. Special rows: every score −∞ (zeros, inv 0), a NaN score (a NaN row), huge scores.

const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly;

describe.runIf(wasmSimdSupported())("wasm attention row kernels", () => {
  const k = new WasmKernels({ memory: new WA.Memory({ initial: 16 }), scratchOffset: 0, scratchBytes: 4096 });
  let next = 4096;
  const rng = new Rng(31);
  function f32(n: number): Float32Array { const a = new Float32Array(k.memory.buffer, next, n); next += Math.ceil(n * 4 / 64) * 64; return a; }
  function f64(n: number): Float64Array { const a = new Float64Array(k.memory.buffer, next, n); next += Math.ceil(n * 8 / 64) * 64; return a; }

  it.each([[5, 7, 9, 0, true], [3, 32, 32, 0, true], [4, 13, 16, 6, true], [6, 33, 40, 0, false], [1, 1, 4, 0, false]])(
    "forward then backward: rows %i, keys %i, stride %i, first %i, causal %s", (rows, keys, stride, first, causal) => {
      const eo = 3, dv = 5, go = 2;
      const e = f32(eo + rows * stride), inv = f64(rows + 1);
      rng.fillNormal(e, 0, 4);
      if (rows > 2) { e.fill(-Infinity, eo + stride, eo + stride + keys); e[eo + 2 * stride + 1] = 200; }
      const eJs = Float32Array.from(e), invJs = new Float64Array(rows + 1), scores = Float32Array.from(e);
      k.attentionRowsForward(e, eo, rows, keys, stride, first, causal, inv, 1);
      js.attentionRowsForward(eJs, eo, rows, keys, stride, first, causal, invJs, 1);
      for (let i = 0; i < rows; i++) {
        expect(inv[1 + i] === 0).toBe(invJs[1 + i] === 0);
        const vis = causal ? Math.min(first + i + 1, keys) : keys;
        const max = Math.max(...scores.subarray(eo + i * stride, eo + i * stride + vis));
        for (let j = 0; j < keys; j++) {
          const p = e[eo + i * stride + j] * inv[1 + i], q = eJs[eo + i * stride + j] * invJs[1 + i];
          const arg = j < vis && Number.isFinite(max) ? Math.abs(scores[eo + i * stride + j] - max) : 0;
          expect(Math.abs(p - q), `row ${i}, key ${j}`).toBeLessThanOrEqual((4 + arg) * 2 ** -24 * Math.abs(q) + 1e-30);
        }
      }
      const ds = f32(rows * stride), g = f32(go + rows * dv), out = f32(go + rows * dv);
      rng.fillNormal(ds, 0, 1); rng.fillNormal(g, 0, 1); rng.fillNormal(out, 0, 1);
      const dsJs = Float32Array.from(ds), ds0 = Float32Array.from(ds);
      k.attentionRowsBackward(e, eo, ds, rows, keys, stride, g, go, out, dv, inv, 1);
      js.attentionRowsBackward(eJs, eo, dsJs, rows, keys, stride, g, go, out, dv, invJs, 1);
      for (let i = 0; i < rows; i++) {
        let dot = 0, absDot = 0;
        for (let c = 0; c < dv; c++) { dot += g[go + i * dv + c] * out[go + i * dv + c]; absDot += Math.abs(g[go + i * dv + c] * out[go + i * dv + c]); }
        for (let j = 0; j < keys; j++) {
          const pj = eJs[eo + i * stride + j] * invJs[1 + i];
          const tol = 1e-6 * (Math.abs(ds0[i * stride + j]) + absDot) * pj + 1e-30;
          expect(Math.abs(ds[i * stride + j] - dsJs[i * stride + j])).toBeLessThanOrEqual(tol);
        }
      }
    });

  it("a NaN score makes its row NaN; a row of −∞ becomes 0 with inv 0", () => {
    const e = f32(8), inv = f64(2);
    e.set([1, NaN, 2, 3, -Infinity, -Infinity, -Infinity, -Infinity]);
    k.attentionRowsForward(e, 0, 2, 4, 4, 0, false, inv, 0);
    expect(Array.from(e.subarray(0, 4)).every(Number.isNaN)).toBe(true);
    expect(Array.from(e.subarray(4))).toEqual([0, 0, 0, 0]);
    expect(inv[1]).toBe(0);
  });

  it("refuses arrays outside its memory", () => {
    expect(() => k.attentionRowsForward(new Float32Array(4), 0, 1, 4, 4, 0, false, f64(1), 0)).toThrow(/must lie in this instance's memory/);
  });
});
