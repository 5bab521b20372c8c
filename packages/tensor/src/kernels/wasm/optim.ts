/**
 * The optimiser steps, a kernel family over {@link WasmKernelsCore} (assembly/adam.ts, sgd.ts,
 * rmsprop.ts), with the step types that carry their hyper-parameters. Not part of the kernel
 * interface: @weft/optim reaches them through its `adamKernel` / `sgdKernel` / `rmspropKernel`
 * hooks, which @weft/parallel's workers set to run in place on the shared memory.
 */
import { align, copyIn } from "./core.js";
import type { WasmKernels } from "./kernels.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_3 = copyIn(3);
const READ_5 = copyIn(5);

/**
 * Hyper-parameters of one Adam/AdamW step, as @weft/optim's AdamBase derives them:
 * `decay` = 1 − lr·weightDecay for AdamW, else 1; `l2` = weightDecay for Adam, else 0;
 * `sign` = −1 when maximising, else 1; `stepSize` = lr / (1 − β1^t);
 * `bias2Sqrt` = √(1 − β2^t). Keep one object and update it each step: no allocation.
 */
export interface AdamStep {
  decay: number;
  l2: number;
  sign: number;
  beta1: number;
  beta2: number;
  stepSize: number;
  bias2Sqrt: number;
  eps: number;
}

/**
 * Scalars of one SGD step, as @weft/optim's SGD uses them: `sign` = −1 when maximising;
 * `scale` = 1 − dampening; `first`: the first step (the momentum buffer becomes d).
 */
export interface SgdStep {
  lr: number;
  weightDecay: number;
  sign: number;
  momentum: number;
  scale: number;
  nesterov: boolean;
  first: boolean;
}

/** Scalars of one RMSprop step, as @weft/optim's RMSprop uses them (`sign` = −1 when maximising). */
export interface RmspropStep {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  sign: number;
}

/** One Adam/AdamW, SGD or RMSprop step over float32 parameters, at both levels. */
export const optimKernels = {
  // ---- pointer level ----

  /**
   * One Adam/AdamW step over n float32 elements in place at byte addresses p (parameters),
   * g (gradients), m1, m2 (moments), mx (AMSGrad's running max; 0 = none).
   * `exact`: compute in float64 lanes, bit-identical to @weft/optim's JS loop, ≈ 2.5× slower;
   * default float32 lanes, equal to it within the golden tolerances.
   */
  adamPtr(this: WasmKernels, n: number, p: number, g: number, m1: number, m2: number, mx: number, h: AdamStep, exact = false): void {
    if (exact) {
      this.exports.adamExact(n, p, g, m1, m2, mx, h.decay, h.l2, h.sign, h.beta1, h.beta2, h.stepSize, h.bias2Sqrt, h.eps);
    } else {
      // (1 − β) is computed in double and rounded once, as the JS loop's double (1 − β) would be.
      this.exports.adam(n, p, g, m1, m2, mx, h.decay, h.l2, h.sign, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2, h.stepSize, h.bias2Sqrt, h.eps);
    }
  },

  /**
   * One SGD step over n float32 elements in place at byte addresses p, g and buf (the momentum
   * buffer; 0 = none), in float64 lanes: the bits of @weft/optim's JS loop.
   */
  sgdPtr(this: WasmKernels, n: number, p: number, g: number, buf: number, h: SgdStep): void {
    this.exports.sgd(n, p, g, buf, h.lr, h.weightDecay, h.sign, h.momentum, h.scale, h.nesterov ? 1 : 0, h.first ? 1 : 0);
  },

  /**
   * One RMSprop step over n float32 elements in place at byte addresses p, g, sq (square
   * average), gAvg (0 = not centered), buf (0 = no momentum), in float64 lanes: the bits of
   * @weft/optim's JS loop.
   */
  rmspropPtr(this: WasmKernels, n: number, p: number, g: number, sq: number, gAvg: number, buf: number, h: RmspropStep): void {
    this.exports.rmsprop(n, p, g, sq, gAvg, buf, h.lr, h.alpha, 1 - h.alpha, h.eps, h.weightDecay, h.momentum, h.sign);
  },

  // ---- array level ----

  /**
   * One Adam/AdamW step on ordinary arrays of equal length (see {@link adamPtr}): parameters
   * `p` and gradients `g`, state `m1`, `m2` and, with AMSGrad, `mx` (else null), all updated
   * in place through scratch copies.
   */
  adam(this: WasmKernels, p: Float32Array, g: Float32Array, m1: Float32Array, m2: Float32Array, mx: Float32Array | null, h: AdamStep, exact = false): void {
    const n = p.length;
    for (const [name, arr] of [["g", g], ["m1", m1], ["m2", m2], ["mx", mx]] as const) {
      if (arr !== null && arr.length !== n) throw new Error(`WasmKernels.adam: ${name} has ${arr.length} elements, p has ${n}`);
    }
    if (n === 0) return;
    const bytes = align(n * 4);
    const base = this.reserve(bytes * (mx === null ? 4 : 5));
    const ptrs = [p, g, m1, m2, mx].map((arr, i) => {
      if (arr === null) return 0;
      this.put(arr, 0, n, base + i * bytes);
      return base + i * bytes;
    });
    this.adamPtr(n, ptrs[0], ptrs[1], ptrs[2], ptrs[3], ptrs[4], h, exact);
    p.set(this.viewAt(ptrs[0], n));
    m1.set(this.viewAt(ptrs[2], n));
    m2.set(this.viewAt(ptrs[3], n));
    if (mx !== null) mx.set(this.viewAt(ptrs[4], n));
  },

  /** {@link sgdPtr} on arrays of equal length (buf null: no momentum), in place or through scratch copies. */
  sgd(this: WasmKernels, p: Float32Array, g: Float32Array, buf: Float32Array | null, h: SgdStep): void {
    const n = p.length;
    if (g.length !== n || (buf !== null && buf.length !== n)) throw new Error("WasmKernels.sgd: p, g and buf must have equal lengths");
    if (n === 0) return;
    this.stage(READ_3, 0, p, g, buf);
    this.sgdPtr(n, this.ptrs[0], this.ptrs[1], this.ptrs[2], h);
    this.unstage(p, 0);
    if (buf !== null) this.unstage(buf, 2);
  },

  /** {@link rmspropPtr} on arrays of equal length (gAvg, buf null: none), in place or through scratch copies. */
  rmsprop(this: WasmKernels, p: Float32Array, g: Float32Array, sq: Float32Array, gAvg: Float32Array | null, buf: Float32Array | null, h: RmspropStep): void {
    const n = p.length;
    for (const a of [g, sq, gAvg, buf]) if (a !== null && a.length !== n) throw new Error("WasmKernels.rmsprop: p, g and the state arrays must have equal lengths");
    if (n === 0) return;
    this.stage(READ_5, 0, p, g, sq, gAvg, buf);
    const q = this.ptrs;
    this.rmspropPtr(n, q[0], q[1], q[2], q[3], q[4], h);
    this.unstage(p, 0);
    this.unstage(sq, 2);
    if (gAvg !== null) this.unstage(gAvg, 3);
    if (buf !== null) this.unstage(buf, 4);
  },
};
