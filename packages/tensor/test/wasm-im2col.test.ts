import { describe, expect, it } from "vitest";
import { im2col as jsIm2col } from "../src/kernels/js/conv.js";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import type { ConvGeometry } from "../src/kernels/interface.js";

// The wasm im2col (assembly/conv.ts) against the js kernel, bit for bit (it only copies and
// zeroes), over geometries that take its whole-plane path (stride 1, output as wide as the
// input: "same" convolutions, with dilation and asymmetric padding) and its row paths.

function geometry(c: number, h: number, w: number, kh: number, kw: number, s: number, ph: number, pw: number, d: number, padEnd = 0): ConvGeometry {
  const oh = Math.floor((h + 2 * ph - d * (kh - 1) - 1) / s) + 1;
  const ow = Math.floor((w + 2 * pw + padEnd - d * (kw - 1) - 1) / s) + 1;
  return { c, h, w, kh, kw, sh: s, sw: s, ph, pw, dh: d, dw: d, oh, ow };
}

describe.runIf(wasmSimdSupported())("wasm im2col", () => {
  const k = new WasmKernels();
  const cases: [string, ConvGeometry][] = [
    ["3×3 same, 14×14 (the standard CNN's conv2)", geometry(3, 14, 14, 3, 3, 1, 1, 1, 1)],
    ["3×3 same, 28×28 on one channel (conv1)", geometry(1, 28, 28, 3, 3, 1, 1, 1, 1)],
    ["5×5 same, 7×9", geometry(2, 7, 9, 5, 5, 1, 2, 2, 1)],
    ["3×3 same with dilation 2, 9×8", geometry(2, 9, 8, 3, 3, 1, 2, 2, 2)],
    ["7×7 same on a 3×3 plane (shifts past the width)", geometry(1, 3, 3, 7, 7, 1, 3, 3, 1)],
    ["1×3 same (kh 1), 5×6", geometry(2, 5, 6, 1, 3, 1, 0, 1, 1)],
    ["asymmetric 'same' for an even kernel (2×2, pad 0 before, 1 after)", geometry(2, 5, 5, 2, 2, 1, 0, 0, 1, 1)],
    ["3×3 valid (row path), 6×7", geometry(2, 6, 7, 3, 3, 1, 0, 0, 1)],
    ["3×3 stride 2 (element path)", geometry(2, 7, 7, 3, 3, 2, 1, 1, 1)],
    ["1×1, 4×4", geometry(3, 4, 4, 1, 1, 1, 0, 0, 1)],
  ];
  it.each(cases)("%s: the js kernel's bits", (_, g) => {
    const len = g.c * g.h * g.w, colLen = g.c * g.kh * g.kw * g.oh * g.ow, off = 5;
    const x = new Float32Array(off + len);
    for (let i = 0; i < x.length; i++) x[i] = ((i * 2654435761) % 1000) / 100 - 5 || -0;
    const want = new Float32Array(colLen).fill(NaN), got = new Float32Array(colLen).fill(NaN);
    jsIm2col(x, off, g, want);
    k.im2col(x, off, g, got);
    expect(Array.prototype.findIndex.call(got, (v: number, i: number) => !Object.is(v, want[i]))).toBe(-1);
  });
});
