/**
 * The recurrent cells, a kernel family over {@link WasmKernelsCore} (assembly/rnn.ts): one time
 * step's LSTM / GRU gates, forward and backward, on strided rows in place in a whole sequence's
 * buffers. In place only: every operand must lie in this instance's memory (the parallel engine's
 * step arena does) — staging a sequence's buffers every step would copy O(T) per step, so the
 * wasm backend sends any other call to the js kernels (wasm-kernels.ts: `inPlace`).
 */
import { heldAt as at } from "./core.js";
import type { WasmKernels } from "./kernels.js";

export const rnnKernels = {
  lstmCellForward(
    this: WasmKernels, rows: number, hidden: number, gates: Float32Array, gOff: number, gStride: number,
    cPrev: Float32Array | null, cpOff: number, cpStride: number,
    c: Float32Array, cOff: number, cStride: number, h: Float32Array, hOff: number, hStride: number,
  ): void {
    const n = "lstmCellForward";
    this.exports.lstmCellForward(rows, hidden, at(this, gates, gOff, n), gStride, at(this, cPrev, cpOff, n), cpStride, cPrev === null ? 0 : 1,
      at(this, c, cOff, n), cStride, at(this, h, hOff, n), hStride);
  },

  lstmCellBackward(
    this: WasmKernels, rows: number, hidden: number, gates: Float32Array, gOff: number, gStride: number,
    cPrev: Float32Array | null, cpOff: number, cpStride: number, c: Float32Array, cOff: number, cStride: number,
    dhOut: Float32Array | null, dhoOff: number, dhoStride: number, dh: Float32Array, dc: Float32Array, dGates: Float32Array,
  ): void {
    const n = "lstmCellBackward";
    this.exports.lstmCellBackward(rows, hidden, at(this, gates, gOff, n), gStride, at(this, cPrev, cpOff, n), cpStride, cPrev === null ? 0 : 1,
      at(this, c, cOff, n), cStride, at(this, dhOut, dhoOff, n), dhoStride, dhOut === null ? 0 : 1, at(this, dh, 0, n), at(this, dc, 0, n), at(this, dGates, gOff, n));
  },

  gruCellForward(
    this: WasmKernels, rows: number, hidden: number, gx: Float32Array, gxOff: number, gxStride: number, gh: Float32Array, ghOff: number, ghStride: number,
    hPrev: Float32Array | null, hpOff: number, hpStride: number, h: Float32Array, hOff: number, hStride: number,
  ): void {
    const n = "gruCellForward";
    this.exports.gruCellForward(rows, hidden, at(this, gx, gxOff, n), gxStride, at(this, gh, ghOff, n), ghStride,
      at(this, hPrev, hpOff, n), hpStride, hPrev === null ? 0 : 1, at(this, h, hOff, n), hStride);
  },

  gruCellBackward(
    this: WasmKernels, rows: number, hidden: number, gx: Float32Array, gxOff: number, gxStride: number, gh: Float32Array, ghOff: number, ghStride: number,
    hPrev: Float32Array | null, hpOff: number, hpStride: number, dhOut: Float32Array | null, dhoOff: number, dhoStride: number,
    dh: Float32Array, dGx: Float32Array, dGh: Float32Array,
  ): void {
    const n = "gruCellBackward";
    this.exports.gruCellBackward(rows, hidden, at(this, gx, gxOff, n), gxStride, at(this, gh, ghOff, n), ghStride,
      at(this, hPrev, hpOff, n), hpStride, hPrev === null ? 0 : 1, at(this, dhOut, dhoOff, n), dhoStride, dhOut === null ? 0 : 1,
      at(this, dh, 0, n), at(this, dGx, gxOff, n), at(this, dGh, 0, n));
  },
};
