/**
 * LayerNorm over the trailing d values of float32 rows, a kernel family over
 * {@link WasmKernelsCore} (assembly/layer-norm.ts). The JS loops' float64 arithmetic in the same
 * order: the same bits (test/wasm-layer-norm.test.ts).
 */
import { copyIn } from "./core.js";
import type { WasmKernels } from "./kernels.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_3_WRITE_3 = copyIn(3, 3);
const READ_8 = copyIn(8);

function checkLn(name: string, x: Float32Array, rows: number, d: number, mean: Float64Array, invstd: Float64Array, ...perFeature: (Float32Array | null)[]): void {
  if (x.length !== rows * d) throw new Error(`WasmKernels.${name}: x has ${x.length} elements, expected ${rows}×${d}`);
  if (mean.length !== rows || invstd.length !== rows) throw new Error(`WasmKernels.${name}: mean and invstd must have ${rows} elements`);
  for (const v of perFeature) if (v !== null && v.length !== d) throw new Error(`WasmKernels.${name}: weight, bias and their gradients must have ${d} elements, got ${v.length}`);
}

/** LayerNorm's forward and backward, at both levels. */
export const layerNormKernels = {
  // ---- pointer level (byte addresses in `memory`) ----

  /**
   * {@link layerNormForward} on byte addresses: x, out float32 [rows, d]; weight, bias float32
   * [d] or 0 (none); mean, invstd float64 [rows] out.
   */
  layerNormForwardPtr(this: WasmKernels, x: number, rows: number, d: number, eps: number, weight: number, bias: number, out: number, mean: number, invstd: number): void {
    this.exports.layerNormForward(x, rows, d, eps, weight, bias, out, mean, invstd);
  },

  /**
   * {@link layerNormBackward} on byte addresses: x, dy, gx float32 [rows, d]; mean, invstd
   * float64 [rows]; weight, gw, gb float32 [d]; any of weight, gx, gw, gb may be 0 (none).
   */
  layerNormBackwardPtr(this: WasmKernels, x: number, dy: number, rows: number, d: number, mean: number, invstd: number, weight: number, gx: number, gw: number, gb: number): void {
    this.exports.layerNormBackward(x, dy, rows, d, mean, invstd, weight, gx, gw, gb);
  },

  // ---- array level (operands in `memory` used in place, others staged through scratch) ----

  /**
   * LayerNorm forward over the trailing d values of each row: x, out float32 [rows, d];
   * weight (γ), bias (β) float32 [d] or null; writes out = (x − mean)·invstd·γ + β and the
   * per-row statistics mean, invstd (float64 [rows], for the backward), as @weft/norm's LayerNorm.
   */
  layerNormForward(
    this: WasmKernels, x: Float32Array, rows: number, d: number, eps: number, weight: Float32Array | null, bias: Float32Array | null,
    out: Float32Array, mean: Float64Array, invstd: Float64Array,
  ): void {
    checkLn("layerNormForward", x, rows, d, mean, invstd, weight, bias);
    if (out.length !== x.length) throw new Error(`WasmKernels.layerNormForward: out has ${out.length} elements, x has ${x.length}`);
    if (x.length === 0) return;
    this.stage(READ_3_WRITE_3, 0, x, weight, bias, out, mean, invstd);
    const p = this.ptrs;
    this.exports.layerNormForward(p[0], rows, d, eps, p[1], p[2], p[3], p[4], p[5]);
    this.unstage(out, 3);
    this.unstage(mean, 4);
    this.unstage(invstd, 5);
  },

  /**
   * LayerNorm backward: from x, dy float32 [rows, d] and the forward's mean, invstd (float64
   * [rows]) and weight (float32 [d] or null), accumulates gx [rows, d], gw, gb [d] (float32;
   * each may be null: not computed), as @weft/norm's LayerNorm.
   */
  layerNormBackward(
    this: WasmKernels, x: Float32Array, dy: Float32Array, rows: number, d: number, mean: Float64Array, invstd: Float64Array, weight: Float32Array | null,
    gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null,
  ): void {
    checkLn("layerNormBackward", x, rows, d, mean, invstd, weight, gw, gb);
    if (dy.length !== x.length || (gx !== null && gx.length !== x.length)) throw new Error("WasmKernels.layerNormBackward: dy and gx must match x");
    if (x.length === 0 || (gx === null && gw === null && gb === null)) return;
    this.stage(READ_8, 0, x, dy, mean, invstd, weight, gx, gw, gb);
    const p = this.ptrs;
    this.exports.layerNormBackward(p[0], p[1], rows, d, p[2], p[3], p[4], p[5], p[6], p[7]);
    if (gx !== null) this.unstage(gx, 5);
    if (gw !== null) this.unstage(gw, 6);
    if (gb !== null) this.unstage(gb, 7);
  },
};
