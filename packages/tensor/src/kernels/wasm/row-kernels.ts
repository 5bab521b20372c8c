/**
 * The per-row kernels (softmax / log-softmax over the last axis, softmax cross-entropy,
 * LayerNorm) on top of {@link WasmKernelsBase}: `WasmKernels` is the complete class.
 *
 * Each kernel does the TypeScript loop's float64 arithmetic in the same order (the sums stay
 * sequential; exp and log are fdlibm's, V8's algorithms), so the two backends give the same
 * bits: test/wasm-softmax.test.ts, wasm-cross-entropy.test.ts, wasm-layer-norm.test.ts.
 */
import { copyIn } from "./core.js";
import { WasmKernelsBase } from "./kernels.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_1_WRITE_1 = copyIn(1, 1);
const READ_1_WRITE_3 = copyIn(1, 3);
const READ_2_WRITE_2 = copyIn(2, 2);
const READ_3 = copyIn(3);
const READ_3_WRITE_3 = copyIn(3, 3);
const READ_8 = copyIn(8);

/**
 * The WebAssembly SIMD kernels bound to one linear memory: everything of {@link WasmKernelsBase}
 * (gemm, elementwise activations, optimiser steps, BatchNorm, …; its doc describes the two levels
 * of entry point and the staging) plus the per-row kernels: `softmaxForward` /
 * `softmaxBackward`, `crossEntropy` / `crossEntropyProbs`, `layerNormForward` /
 * `layerNormBackward` and their `*Ptr` forms.
 *
 * @example
 * const k = new WasmKernels();
 * k.softmaxForward(x, y, rows, cols, false); // x, y: Float32Array [rows, cols]
 */
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

  /** {@link crossEntropyProbs} on byte addresses: x, probs float32, loss and grad float64. */
  crossEntropyProbsPtr(x: number, rows: number, classes: number, probs: number, eps: number, loss: number, grad: number): void {
    this.x.crossEntropyProbs(x, rows, classes, probs, eps, loss, grad);
  }

  /**
   * {@link layerNormForward} on byte addresses: x, out float32 [rows, d]; weight, bias float32
   * [d] or 0 (none); mean, invstd float64 [rows] out.
   */
  layerNormForwardPtr(x: number, rows: number, d: number, eps: number, weight: number, bias: number, out: number, mean: number, invstd: number): void {
    this.x.layerNormForward(x, rows, d, eps, weight, bias, out, mean, invstd);
  }

  /**
   * {@link layerNormBackward} on byte addresses: x, dy, gx float32 [rows, d]; mean, invstd
   * float64 [rows]; weight, gw, gb float32 [d]; any of weight, gx, gw, gb may be 0 (none).
   */
  layerNormBackwardPtr(x: number, dy: number, rows: number, d: number, mean: number, invstd: number, weight: number, gx: number, gw: number, gb: number): void {
    this.x.layerNormBackward(x, dy, rows, d, mean, invstd, weight, gx, gw, gb);
  }

  // ---- array level (operands in `memory` used in place, others staged through scratch) ----

  /**
   * out = softmax(x) (log-softmax when `log`) over the last axis, x and out float32 [rows, cols]:
   * kernels/activation.ts's softmaxForward with inner = 1, the same bits.
   */
  softmaxForward(x: Float32Array, out: Float32Array, rows: number, cols: number, log: boolean): void {
    if (x.length !== rows * cols || out.length !== x.length) throw new Error(`WasmKernels.softmaxForward: expected x and out of ${rows}×${cols}, got ${x.length} and ${out.length} elements`);
    if (x.length === 0) return;
    const work = this.stage(READ_1_WRITE_1, log ? 0 : cols * 8, x, out);
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
    this.stage(READ_3, 0, y, g, slot);
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
    const t = this.stage(READ_1_WRITE_3, rows * 4, x, loss, grad, null);
    // Class indices as int32 at the kernel scratch (from an Int32Array, number[] or Float32Array).
    const i32 = new Int32Array(this.memory.buffer, t, rows);
    for (let r = 0; r < rows; r++) i32[r] = target[r];
    this.x.crossEntropyIndex(this.ptrs[0], rows, classes, t, eps, this.ptrs[1], this.ptrs[2]);
    this.unstage(loss, 1);
    this.unstage(grad, 2);
  }

  /**
   * {@link crossEntropy} with class-probability targets probs: [rows, classes] (float32; the
   * smoothed target is q = (1 − eps)·probs + eps/classes), as @weft/layers' crossEntropyLoss.
   */
  crossEntropyProbs(x: Float32Array, rows: number, classes: number, probs: Float32Array, eps: number, loss: Float64Array, grad: Float64Array): void {
    if (x.length !== rows * classes || probs.length !== x.length || loss.length !== rows || grad.length !== x.length) {
      throw new Error(`WasmKernels.crossEntropyProbs: expected x, probs and grad of ${rows}×${classes}, loss of ${rows} elements`);
    }
    if (rows === 0) return;
    this.stage(READ_2_WRITE_2, 0, x, probs, loss, grad);
    this.x.crossEntropyProbs(this.ptrs[0], rows, classes, this.ptrs[1], eps, this.ptrs[2], this.ptrs[3]);
    this.unstage(loss, 2);
    this.unstage(grad, 3);
  }

  /**
   * LayerNorm forward over the trailing d values of each row: x, out float32 [rows, d];
   * weight (γ), bias (β) float32 [d] or null; writes out = (x − mean)·invstd·γ + β and the
   * per-row statistics mean, invstd (float64 [rows], for the backward), as @weft/norm's LayerNorm.
   */
  layerNormForward(
    x: Float32Array, rows: number, d: number, eps: number, weight: Float32Array | null, bias: Float32Array | null,
    out: Float32Array, mean: Float64Array, invstd: Float64Array,
  ): void {
    this.checkLn("layerNormForward", x, rows, d, mean, invstd, weight, bias);
    if (out.length !== x.length) throw new Error(`WasmKernels.layerNormForward: out has ${out.length} elements, x has ${x.length}`);
    if (x.length === 0) return;
    this.stage(READ_3_WRITE_3, 0, x, weight, bias, out, mean, invstd);
    const p = this.ptrs;
    this.x.layerNormForward(p[0], rows, d, eps, p[1], p[2], p[3], p[4], p[5]);
    this.unstage(out, 3);
    this.unstage(mean, 4);
    this.unstage(invstd, 5);
  }

  /**
   * LayerNorm backward: from x, dy float32 [rows, d] and the forward's mean, invstd (float64
   * [rows]) and weight (float32 [d] or null), accumulates gx [rows, d], gw, gb [d] (float32;
   * each may be null: not computed), as @weft/norm's LayerNorm.
   */
  layerNormBackward(
    x: Float32Array, dy: Float32Array, rows: number, d: number, mean: Float64Array, invstd: Float64Array, weight: Float32Array | null,
    gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null,
  ): void {
    this.checkLn("layerNormBackward", x, rows, d, mean, invstd, weight, gw, gb);
    if (dy.length !== x.length || (gx !== null && gx.length !== x.length)) throw new Error("WasmKernels.layerNormBackward: dy and gx must match x");
    if (x.length === 0 || (gx === null && gw === null && gb === null)) return;
    this.stage(READ_8, 0, x, dy, mean, invstd, weight, gx, gw, gb);
    const p = this.ptrs;
    this.x.layerNormBackward(p[0], p[1], rows, d, p[2], p[3], p[4], p[5], p[6], p[7]);
    if (gx !== null) this.unstage(gx, 5);
    if (gw !== null) this.unstage(gw, 6);
    if (gb !== null) this.unstage(gb, 7);
  }

  private checkLn(name: string, x: Float32Array, rows: number, d: number, mean: Float64Array, invstd: Float64Array, ...perFeature: (Float32Array | null)[]): void {
    if (x.length !== rows * d) throw new Error(`WasmKernels.${name}: x has ${x.length} elements, expected ${rows}×${d}`);
    if (mean.length !== rows || invstd.length !== rows) throw new Error(`WasmKernels.${name}: mean and invstd must have ${rows} elements`);
    for (const v of perFeature) if (v !== null && v.length !== d) throw new Error(`WasmKernels.${name}: weight, bias and their gradients must have ${d} elements, got ${v.length}`);
  }
}
