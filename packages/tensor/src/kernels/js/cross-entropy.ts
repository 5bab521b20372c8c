/**
 * Softmax cross-entropy rows, the reference kernels of @weft/layers' `crossEntropyLoss` (moved
 * here from its loss.ts, so the wasm tests import them): per row of logits, the loss and the
 * clean gradient p·Σq − q in float64.
 */
import type { FloatArray } from "../interface.js";

/** Rows with class-index targets: see Kernels.crossEntropy. */
export function crossEntropy(x: FloatArray, rows: number, classes: number, target: ArrayLike<number>, eps: number, loss: Float64Array, grad: Float64Array): void {
  crossEntropyRows(x, rows, classes, target, null, eps, loss, grad);
}

/** Rows with class-probability targets: see Kernels.crossEntropyProbs. */
export function crossEntropyProbs(x: FloatArray, rows: number, classes: number, probs: FloatArray, eps: number, loss: Float64Array, grad: Float64Array): void {
  crossEntropyRows(x, rows, classes, null, probs, eps, loss, grad);
}

/**
 * Per row r of logits x [rows, classes]: l[r] = −Σ q·log softmax(x) and d = p·Σq − q, with
 * q = (1 − eps)·target + eps/classes (target: class indices, or probabilities `probs`).
 */
function crossEntropyRows(x: FloatArray, rows: number, classes: number, indices: ArrayLike<number> | null, probs: FloatArray | null, eps: number, l: Float64Array, d: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, x[o + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(x[o + c] - max);
    const lse = max + Math.log(sum);
    // loss = −Σ q_c·log p_c, so dloss/dx = p·Σq − q (p − q when the targets sum to 1).
    let loss = 0;
    let qSum = 0;
    for (let c = 0; c < classes; c++) {
      const q = (1 - eps) * (probs ? probs[o + c] : indices![r] === c ? 1 : 0) + eps / classes;
      if (q !== 0) loss -= q * (x[o + c] - lse);
      d[o + c] = -q;
      qSum += q;
    }
    for (let c = 0; c < classes; c++) d[o + c] += Math.exp(x[o + c] - lse) * qSum;
    l[r] = loss;
  }
}
