/**
 * The row passes of the fused attention, a kernel family over {@link WasmKernelsCore}
 * (assembly/attention.ts). In place only: every operand must lie in this instance's memory (the
 * parallel engine's step arena); the op passes offsets into a whole batch's buffers, which
 * staging would copy per head, so the wasm backend sends any other call to the js kernels.
 */
import { heldAt as at } from "./core.js";
import type { WasmKernels } from "./kernels.js";

export const attentionKernels = {
  /** See Kernels.attentionRowsForward (exp: Cephes expf, sums in float64). */
  attentionRowsForward(
    this: WasmKernels, e: Float32Array, eo: number, rows: number, keys: number, stride: number, first: number, causal: boolean, inv: Float64Array, invOff: number,
  ): void {
    const n = "attentionRowsForward";
    if (rows <= 0 || keys <= 0) return;
    this.exports.attentionRowsForward(at(this, e, eo, n), rows, keys, stride, first, causal ? 1 : 0, at(this, inv, invOff, n));
  },
  /** See Kernels.attentionRowsBackward. */
  attentionRowsBackward(
    this: WasmKernels, e: Float32Array, eo: number, ds: Float32Array, rows: number, keys: number, stride: number,
    g: Float32Array, go: number, out: Float32Array, dv: number, inv: Float64Array, invOff: number,
  ): void {
    const n = "attentionRowsBackward";
    if (rows <= 0 || keys <= 0) return;
    this.exports.attentionRowsBackward(at(this, e, eo, n), at(this, ds, 0, n), rows, keys, stride, at(this, g, go, n), at(this, out, go, n), dv, at(this, inv, invOff, n));
  },
};
