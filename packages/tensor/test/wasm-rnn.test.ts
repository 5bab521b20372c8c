import { afterEach, describe, expect, it } from "vitest";
import { jsKernels } from "../src/kernels/js/index.js";
import { kernels, setBackend } from "../src/kernels/backend.js";
import { WasmKernels, setThreadWasmKernels, wasmSimdSupported, type WasmMemory } from "../src/kernels/wasm/index.js";
import { Rng } from "../src/rng.js";

// The wasm LSTM/GRU cell kernels (assembly/rnn.ts) against the js ones (kernels/js/rnn.ts), on
// strided rows in a WasmKernels' own memory (the cells run in place only). Each element is the
// js loop's float64 arithmetic with fdlibm's exp; tanh comes from that exp instead of Math.tanh,
// so results may differ from the js kernel's by an ulp or so of float32: bound 2e-7 relative
// (+ 1e-7 absolute; measured: the same bits on 5 × 64 × 64 random LSTM elements, forward and
// backward). Calls on arrays outside the memory run the js kernel.

const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => WasmMemory } }).WebAssembly;
afterEach(() => {
  setBackend();
  setThreadWasmKernels(null);
});

describe.runIf(wasmSimdSupported())("wasm recurrent cells", () => {
  const k = new WasmKernels({ memory: new WA.Memory({ initial: 16 }), scratchOffset: 0, scratchBytes: 4096 });
  let next = 4096;
  const rng = new Rng(15);
  /** n float32 values in k's memory, N(0, 1)·scale, and a plain copy. */
  function pair(n: number, scale = 1): [Float32Array, Float32Array] {
    const a = new Float32Array(k.memory.buffer, next, n);
    next += 4 * n + 64;
    for (let i = 0; i < n; i++) a[i] = rng.normal() * scale;
    return [a, Float32Array.from(a)];
  }
  function close(a: Float32Array, b: Float32Array, what: string): void {
    for (let i = 0; i < b.length; i++) {
      if (!(Math.abs(a[i] - b[i]) <= 1e-7 + 2e-7 * Math.abs(b[i]))) throw new Error(`${what}: element ${i} is ${a[i]}, js gives ${b[i]}`);
    }
  }
  // 3 rows of a [rows, T = 2, ·] layout: row stride 2·width, offset one step in.
  const R = 3, H = 5, T = 2;

  it("LSTM forward and backward: the js kernels' results", () => {
    const G = 4 * H, gS = T * G, hS = T * H;
    const [g, gj] = pair(R * gS, 2), [cp, cpj] = pair(R * hS), [c, cj] = pair(R * hS), [h, hj] = pair(R * hS);
    k.lstmCellForward(R, H, g, G, gS, cp, 0, hS, c, H, hS, h, H, hS);
    jsKernels.lstmCellForward(R, H, gj, G, gS, cpj, 0, hS, cj, H, hS, hj, H, hS);
    close(g, gj, "activated gates");
    close(c, cj, "c");
    close(h, hj, "h");
    const [dho, dhoj] = pair(R * hS), [dh, dhj] = pair(R * H), [dc, dcj] = pair(R * H), [dg, dgj] = pair(R * gS);
    k.lstmCellBackward(R, H, g, G, gS, cp, 0, hS, c, H, hS, dho, H, hS, dh, dc, dg);
    jsKernels.lstmCellBackward(R, H, gj, G, gS, cpj, 0, hS, cj, H, hS, dhoj, H, hS, dhj, dcj, dgj);
    close(dg, dgj, "dGates");
    close(dc, dcj, "dc");
    // The zero state and no output gradient.
    k.lstmCellForward(R, H, g, 0, gS, null, 0, 0, c, 0, hS, h, 0, hS);
    jsKernels.lstmCellForward(R, H, gj, 0, gS, null, 0, 0, cj, 0, hS, hj, 0, hS);
    close(h, hj, "h from the zero state");
    k.lstmCellBackward(R, H, g, 0, gS, null, 0, 0, c, 0, hS, null, 0, 0, dh, dc, dg);
    jsKernels.lstmCellBackward(R, H, gj, 0, gS, null, 0, 0, cj, 0, hS, null, 0, 0, dhj, dcj, dgj);
    close(dg, dgj, "dGates from the zero state");
  });

  it("GRU forward and backward: the js kernels' results", () => {
    const G = 3 * H, gS = T * G, hS = T * H;
    const [gx, gxj] = pair(R * gS, 2), [gh, ghj] = pair(R * gS, 2), [hp, hpj] = pair(R * hS), [h, hj] = pair(R * hS);
    k.gruCellForward(R, H, gx, G, gS, gh, G, gS, hp, 0, hS, h, H, hS);
    jsKernels.gruCellForward(R, H, gxj, G, gS, ghj, G, gS, hpj, 0, hS, hj, H, hS);
    close(gx, gxj, "r, z, n");
    close(h, hj, "h");
    const [dho, dhoj] = pair(R * hS), [dh, dhj] = pair(R * H), [dgx, dgxj] = pair(R * gS), [dgh, dghj] = pair(R * G);
    k.gruCellBackward(R, H, gx, G, gS, gh, G, gS, hp, 0, hS, dho, H, hS, dh, dgx, dgh);
    jsKernels.gruCellBackward(R, H, gxj, G, gS, ghj, G, gS, hpj, 0, hS, dhoj, H, hS, dhj, dgxj, dghj);
    close(dgx, dgxj, "dGx");
    close(dgh, dghj, "dGh");
    close(dh, dhj, "dh");
  });

  it("the wasm backend runs them in place in this thread's memory, and the js kernel on other arrays", () => {
    setBackend("wasm");
    setThreadWasmKernels(k);
    const G = 3 * H;
    const [gx] = pair(R * G, 2), [gh] = pair(R * G, 2), [h] = pair(R * H);
    const plain = [Float32Array.from(gx), Float32Array.from(gh), new Float32Array(R * H)];
    kernels().gruCellForward(R, H, gx, 0, G, gh, 0, G, null, 0, 0, h, 0, H);
    expect(() => k.gruCellForward(R, H, plain[0], 0, G, plain[1], 0, G, null, 0, 0, plain[2], 0, H)).toThrow(/must lie in this instance's memory/);
    kernels().gruCellForward(R, H, plain[0], 0, G, plain[1], 0, G, null, 0, 0, plain[2], 0, H); // routed to js
    close(h, plain[2], "h");
  });
});
