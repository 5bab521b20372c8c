/**
 * Softmax and log-softmax over the last axis of float32 [rows, cols], a kernel family over
 * {@link WasmKernelsCore} (assembly/softmax.ts). The TypeScript loop's float64 arithmetic in the
 * same order (sequential sums; fdlibm's exp and log, V8's algorithms): the same bits
 * (test/wasm-softmax.test.ts).
 */
import { copyIn } from "./core.js";
import type { WasmKernels } from "./kernels.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_1_WRITE_1 = copyIn(1, 1);
const READ_3 = copyIn(3);

/** Softmax's forward and backward, at both levels. */
export const softmaxKernels = {
  // ---- pointer level (byte addresses in `memory`) ----

  /**
   * Softmax (log-softmax when `log`) over the last axis of float32 x: [rows, cols] into
   * out: [rows, cols] (out may be x). `scratch`: byte address of cols·8 bytes the kernel may
   * overwrite (default: this instance's scratch range).
   */
  softmaxForwardPtr(this: WasmKernels, x: number, out: number, rows: number, cols: number, log: boolean, scratch?: number): void {
    const s = scratch ?? (log ? 0 : this.reserve(cols * 8));
    this.exports.softmaxForward(x, out, rows, cols, log ? 1 : 0, s);
  },

  /** slot += dx for y (the forward's output), g, slot: float32 [rows, cols]. */
  softmaxBackwardPtr(this: WasmKernels, y: number, g: number, slot: number, rows: number, cols: number, log: boolean): void {
    this.exports.softmaxBackward(y, g, slot, rows, cols, log ? 1 : 0);
  },

  // ---- array level (the kernel interface's signatures: x viewed as [outer, dim, inner], inner must be 1) ----

  /**
   * out = softmax(x) (log-softmax when `log`) over the last axis, x and out float32
   * [outer, dim] (inner = 1): kernels/js/softmax.ts's softmaxForward, the same bits.
   */
  softmaxForward(this: WasmKernels, x: Float32Array, out: Float32Array, outer: number, dim: number, inner: number, log: boolean): void {
    checkLastAxis("softmaxForward", inner);
    if (x.length !== outer * dim || out.length !== x.length) throw new Error(`WasmKernels.softmaxForward: expected x and out of ${outer}×${dim}, got ${x.length} and ${out.length} elements`);
    if (x.length === 0) return;
    const work = this.stage(READ_1_WRITE_1, log ? 0 : dim * 8, x, out);
    this.exports.softmaxForward(this.ptrs[0], this.ptrs[1], outer, dim, log ? 1 : 0, work);
    this.unstage(out, 1);
  },

  /**
   * slot += dx, from the forward's output y and the output gradient g, all float32 [outer, dim]
   * (inner = 1): softmax dx = y ⊙ (g − Σ g·y), log-softmax dx = g − exp(y)·Σ g (per row; the JS
   * kernel's bits).
   */
  softmaxBackward(this: WasmKernels, y: Float32Array, g: Float32Array, slot: Float32Array, outer: number, dim: number, inner: number, log: boolean): void {
    checkLastAxis("softmaxBackward", inner);
    if (y.length !== outer * dim || g.length !== y.length || slot.length !== y.length) {
      throw new Error(`WasmKernels.softmaxBackward: expected y, g and slot of ${outer}×${dim}, got ${y.length}, ${g.length}, ${slot.length} elements`);
    }
    if (y.length === 0) return;
    this.stage(READ_3, 0, y, g, slot);
    this.exports.softmaxBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], outer, dim, log ? 1 : 0);
    this.unstage(slot, 2);
  },
};

function checkLastAxis(name: string, inner: number): void {
  if (inner !== 1) throw new Error(`WasmKernels.${name}: the wasm kernel runs over the last axis (inner = 1), got inner = ${inner}`);
}
