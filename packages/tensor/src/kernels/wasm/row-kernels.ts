/**
 * The per-row kernels (softmax / log-softmax over the last axis, softmax cross-entropy) on top of {@link WasmKernelsBase}: `WasmKernels` is the complete class.
 *
 * Each kernel does the TypeScript loop's float64 arithmetic in the same order (the sums stay
 * sequential; exp and log are fdlibm's, V8's algorithms), so the two backends give the same
 * bits: test/wasm-softmax.test.ts, wasm-cross-entropy.test.ts.
 */
import { WasmKernelsBase } from "./kernels.js";

export class WasmKernels extends WasmKernelsBase {
  // ---- pointer level (byte addresses in `memory`) ----

  /**
   * Softmax (log-softmax when `log`) over the last axis of float32 x: [rows, cols] into
   * out: [rows, cols] (out may be x). `scratch`: byte address of cols·8 bytes the kernel may
   * overwrite (default: this instance's scratch range).
   */
  softmaxForwardPtr(x: number, out: number, rows: number, cols: number, log: boolean, scratch?: number): void {
    const s = scratch ?? (log ? 0 : this.reserve(cols * 8));
    this.x.softmaxForward(x, out, rows, cols, log ? 1 : 0, s);
  }

  /** slot += dx for y (the forward's output), g, slot: float32 [rows, cols]. */
  softmaxBackwardPtr(y: number, g: number, slot: number, rows: number, cols: number, log: boolean): void {
    this.x.softmaxBackward(y, g, slot, rows, cols, log ? 1 : 0);
  }

  /** {@link crossEntropy} on byte addresses: x float32, target int32, loss and grad float64. */
  crossEntropyPtr(x: number, rows: number, classes: number, target: number, eps: number, loss: number, grad: number): void {
    this.x.crossEntropyIndex(x, rows, classes, target, eps, loss, grad);
  }

  // ---- array level (operands in `memory` used in place, others staged through scratch) ----

  /**
   * out = softmax(x) (log-softmax when `log`) over the last axis, x and out float32 [rows, cols]:
   * kernels/activation.ts's softmaxForward with inner = 1, the same bits.
   */
  softmaxForward(x: Float32Array, out: Float32Array, rows: number, cols: number, log: boolean): void {
    if (x.length !== rows * cols || out.length !== x.length) throw new Error(`WasmKernels.softmaxForward: expected x and out of ${rows}×${cols}, got ${x.length} and ${out.length} elements`);
    if (x.length === 0) return;
    const work = this.stage([x, out], [true, false], log ? 0 : cols * 8);
    this.x.softmaxForward(this.ptrs[0], this.ptrs[1], rows, cols, log ? 1 : 0, work);
    this.unstage(out, 1);
  }

  /**
   * slot += dx, from the forward's output y and the output gradient g, all float32 [rows, cols]:
   * softmax dx = y ⊙ (g − Σ g·y), log-softmax dx = g − exp(y)·Σ g (per row; the JS kernel's bits).
   */
  softmaxBackward(y: Float32Array, g: Float32Array, slot: Float32Array, rows: number, cols: number, log: boolean): void {
    if (y.length !== rows * cols || g.length !== y.length || slot.length !== y.length) {
      throw new Error(`WasmKernels.softmaxBackward: expected y, g and slot of ${rows}×${cols}, got ${y.length}, ${g.length}, ${slot.length} elements`);
    }
    if (y.length === 0) return;
    this.stage([y, g, slot], [true, true, true]);
    this.x.softmaxBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], rows, cols, log ? 1 : 0);
    this.unstage(slot, 2);
  }

  /**
   * Softmax cross-entropy of logits x: [rows, classes] against class indices `target` (rows
   * integers in [0, classes), already checked) with label smoothing `eps`: loss[r] (float64) and
   * the clean gradient grad[r, c] = p·Σq − q (float64), as @weft/layers' crossEntropyLoss.
   */
  crossEntropy(x: Float32Array, rows: number, classes: number, target: ArrayLike<number>, eps: number, loss: Float64Array, grad: Float64Array): void {
    if (x.length !== rows * classes || target.length !== rows || loss.length !== rows || grad.length !== rows * classes) {
      throw new Error(`WasmKernels.crossEntropy: expected x and grad of ${rows}×${classes}, target and loss of ${rows} elements`);
    }
    if (rows === 0) return;
    const t = this.stage([x, loss, grad, null], [true, false, false, false], rows * 4);
    // Class indices as int32 at the kernel scratch (from an Int32Array, number[] or Float32Array).
    const i32 = new Int32Array(this.memory.buffer, t, rows);
    for (let r = 0; r < rows; r++) i32[r] = target[r];
    this.x.crossEntropyIndex(this.ptrs[0], rows, classes, t, eps, this.ptrs[1], this.ptrs[2]);
    this.unstage(loss, 1);
    this.unstage(grad, 2);
  }
}
