/**
 * Softmax cross-entropy rows (class-index or probability targets), a kernel family over
 * {@link WasmKernelsCore} (assembly/cross-entropy.ts). The JS loop's float64 arithmetic in the
 * same order, exp and log fdlibm's: the same bits (test/wasm-cross-entropy.test.ts).
 */
import { copyIn } from "./core.js";
import type { WasmKernels } from "./kernels.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_1_WRITE_3 = copyIn(1, 3);
const READ_2_WRITE_2 = copyIn(2, 2);

/** Cross-entropy rows, at both levels. */
export const crossEntropyKernels = {
  // ---- pointer level (byte addresses in `memory`) ----

  /** {@link crossEntropy} on byte addresses: x float32, target int32, loss and grad float64. */
  crossEntropyPtr(this: WasmKernels, x: number, rows: number, classes: number, target: number, eps: number, loss: number, grad: number): void {
    this.exports.crossEntropyIndex(x, rows, classes, target, eps, loss, grad);
  },

  /** {@link crossEntropyProbs} on byte addresses: x, probs float32, loss and grad float64. */
  crossEntropyProbsPtr(this: WasmKernels, x: number, rows: number, classes: number, probs: number, eps: number, loss: number, grad: number): void {
    this.exports.crossEntropyProbs(x, rows, classes, probs, eps, loss, grad);
  },

  // ---- array level (operands in `memory` used in place, others staged through scratch) ----

  /**
   * Softmax cross-entropy of logits x: [rows, classes] against class indices `target` (rows
   * integers in [0, classes), already checked) with label smoothing `eps`: loss[r] (float64) and
   * the clean gradient grad[r, c] = p·Σq − q (float64), as @weft/layers' crossEntropyLoss.
   */
  crossEntropy(this: WasmKernels, x: Float32Array, rows: number, classes: number, target: ArrayLike<number>, eps: number, loss: Float64Array, grad: Float64Array): void {
    if (x.length !== rows * classes || target.length !== rows || loss.length !== rows || grad.length !== rows * classes) {
      throw new Error(`WasmKernels.crossEntropy: expected x and grad of ${rows}×${classes}, target and loss of ${rows} elements`);
    }
    if (rows === 0) return;
    const t = this.stage(READ_1_WRITE_3, rows * 4, x, loss, grad, null);
    // Class indices as int32 at the kernel scratch (from an Int32Array, number[] or Float32Array).
    const i32 = new Int32Array(this.memory.buffer, t, rows);
    for (let r = 0; r < rows; r++) i32[r] = target[r];
    this.exports.crossEntropyIndex(this.ptrs[0], rows, classes, t, eps, this.ptrs[1], this.ptrs[2]);
    this.unstage(loss, 1);
    this.unstage(grad, 2);
  },

  /**
   * {@link crossEntropy} with class-probability targets probs: [rows, classes] (float32; the
   * smoothed target is q = (1 − eps)·probs + eps/classes), as @weft/layers' crossEntropyLoss.
   */
  crossEntropyProbs(this: WasmKernels, x: Float32Array, rows: number, classes: number, probs: Float32Array, eps: number, loss: Float64Array, grad: Float64Array): void {
    if (x.length !== rows * classes || probs.length !== x.length || loss.length !== rows || grad.length !== x.length) {
      throw new Error(`WasmKernels.crossEntropyProbs: expected x, probs and grad of ${rows}×${classes}, loss of ${rows} elements`);
    }
    if (rows === 0) return;
    this.stage(READ_2_WRITE_2, 0, x, probs, loss, grad);
    this.exports.crossEntropyProbs(this.ptrs[0], rows, classes, this.ptrs[1], eps, this.ptrs[2], this.ptrs[3]);
    this.unstage(loss, 2);
    this.unstage(grad, 3);
  },
};
