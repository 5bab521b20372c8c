/**
 * Elementwise sums and attention's head layout moves, a kernel family over
 * {@link WasmKernelsCore} (assembly/elementwise.ts): the JS kernels' bits (kernels/js/elementwise.ts).
 */
import { copyIn } from "./core.js";
import { checkHeads } from "../js/elementwise.js";
import type { WasmKernels } from "./kernels.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_2_WRITE_1 = copyIn(2, 1);
const READ_2 = copyIn(2);
const READ_1_WRITE_1 = copyIn(1, 1);

export const elementwiseKernels = {
  // ---- pointer level ----

  /** out = a + b (sign ≥ 0) or a − b for n float32 elements at byte addresses; out may be a or b. */
  addArraysPtr(this: WasmKernels, a: number, b: number, out: number, n: number, sign: number): void {
    this.exports.addArrays(a, b, out, n, sign >= 0 ? 1 : -1);
  },
  /** {@link moveHeads} on byte addresses. */
  moveHeadsPtr(this: WasmKernels, x: number, y: number, batch: number, heads: number, len: number, d: number, width: number, col: number, toHeads: boolean, add: boolean): void {
    this.exports.moveHeads(x, y, batch, heads, len, d, width, col, toHeads ? 1 : 0, add ? 1 : 0);
  },

  // ---- array level ----

  /** out = a + b (sign ≥ 0) or a − b elementwise; out may be a or b. */
  addArrays(this: WasmKernels, a: Float32Array, b: Float32Array, out: Float32Array, sign: number): void {
    const n = out.length;
    if (a.length !== n || b.length !== n) throw new Error(`WasmKernels.addArrays: a, b and out must have equal lengths, got ${a.length}, ${b.length}, ${n}`);
    if (n === 0) return;
    this.stage(READ_2_WRITE_1, 0, a, b, out);
    this.addArraysPtr(this.ptrs[0], this.ptrs[1], this.ptrs[2], n, sign);
    this.unstage(out, 2);
  },
  /**
   * Between x [batch, len, width]'s columns col + h·d + k and y [batch, heads, len, d]: toHeads
   * moves x into y, else y into x; add accumulates.
   */
  moveHeads(this: WasmKernels, x: Float32Array, y: Float32Array, batch: number, heads: number, len: number, d: number, width: number, col: number, toHeads: boolean, add: boolean): void {
    checkHeads(x, y, batch, heads, len, d, width, col);
    if (y.length === 0) return;
    if (toHeads) {
      this.stage(add ? READ_2 : READ_1_WRITE_1, 0, x, y);
      this.moveHeadsPtr(this.ptrs[0], this.ptrs[1], batch, heads, len, d, width, col, true, add);
      this.unstage(y, 1);
    } else {
      // x's columns outside the heads' must survive: always copied in.
      this.stage(READ_2, 0, x, y);
      this.moveHeadsPtr(this.ptrs[0], this.ptrs[1], batch, heads, len, d, width, col, false, add);
      this.unstage(x, 0);
    }
  },
};
