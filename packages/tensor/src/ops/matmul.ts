/** matmul (N-D, batched, broadcasting) and the fused linear layer op — both over the blocked gemm. */
import { Tensor, fromOp, freshGradSlot, gradSlot, formatShape, shapeSize } from "../tensor.js";
import { allocEmptyLike, allocFloat32, allocFloat64 } from "../arena.js";
import { columnSum, gemm } from "../kernels/backend.js";
import { broadcastIndex, broadcastShapes } from "../shape.js";
import { requireFloat } from "../dtype-check.js";

/**
 * The matrix product, as torch.matmul: 2-D × 2-D is `[M, K] · [K, N] → [M, N]`; N-D operands
 * multiply their last two dims and broadcast the leading (batch) dims (`[2, 1, M, K] × [3, K, N]
 * → [2, 3, M, N]`; a 2-D operand broadcasts over the other's batch); a 1-D operand is a vector
 * (a row on the left, a column on the right), its dim dropped from the result.
 * One gemm per batch element (one in all when the right operand is 2-D), transposes by flag.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  requireFloat(a, "matmul", "input");
  requireFloat(b, "matmul", "other");
  if (a.ndim === 0 || b.ndim === 0) throw new Error(`matmul: both operands need at least 1 dim, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const aShape = a.ndim === 1 ? [1, a.shape[0]] : a.shape;
  const bShape = b.ndim === 1 ? [b.shape[0], 1] : b.shape;
  const M = aShape[aShape.length - 2], K = aShape[aShape.length - 1];
  const K2 = bShape[bShape.length - 2], N = bShape[bShape.length - 1];
  if (K !== K2) throw new Error(`matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be multiplied (${K} ≠ ${K2})`);
  const batchA = aShape.slice(0, -2), batchB = bShape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, "matmul (batch dims)");
  const nb = shapeSize(batch);
  const shape = [...batch, ...(a.ndim === 1 ? [] : [M]), ...(b.ndim === 1 ? [] : [N])];
  const out = a.dtype === "float64" || b.dtype === "float64" ? allocFloat64(nb * M * N) : allocFloat32(nb * M * N);
  const ad = a.data, bd = b.data;

  // The right operand one matrix and the left unbroadcast: one gemm over all nb·M rows.
  if (batchB.length === 0 && shapeSize(batchA) === nb) {
    const rows = nb * M;
    gemm(false, false, rows, N, K, 1, ad, 0, K, bd, 0, N, 0, out, 0, N);
    return fromOp(out, shape, [a, b], (g) => {
      // dA += g · Bᵀ (= when dA's first producer: beta 0 writes it whole, no zero-fill).
      const fa = freshGradSlot(a), sa = fa ?? gradSlot(a);
      if (sa) gemm(false, true, rows, K, N, 1, g, 0, N, bd, 0, N, fa ? 0 : 1, sa, 0, K);
      const sb = gradSlot(b); // dB += Aᵀ · g
      if (sb) gemm(true, false, K, N, rows, 1, ad, 0, K, g, 0, N, 1, sb, 0, N);
    });
  }
  const mapA = broadcastIndex(batchA, batch), mapB = broadcastIndex(batchB, batch);
  const sizeA = M * K, sizeB = K * N, sizeC = M * N;
  for (let i = 0; i < nb; i++) {
    const ia = mapA ? mapA[i] : i, ib = mapB ? mapB[i] : i;
    gemm(false, false, M, N, K, 1, ad, ia * sizeA, K, bd, ib * sizeB, N, 0, out, i * sizeC, N);
  }
  return fromOp(out, shape, [a, b], (g) => {
    const sa = gradSlot(a), sb = gradSlot(b);
    for (let i = 0; i < nb; i++) {
      const ia = mapA ? mapA[i] : i, ib = mapB ? mapB[i] : i;
      if (sa) gemm(false, true, M, K, N, 1, g, i * sizeC, N, bd, ib * sizeB, N, 1, sa, ia * sizeA, K);
      if (sb) gemm(true, false, K, N, M, 1, ad, ia * sizeA, K, g, i * sizeC, N, 1, sb, ib * sizeB, N);
    }
  });
}

/**
 * y = x · Wᵀ + b, PyTorch's `F.linear`: x [..., in], weight [out, in], bias [out] → [..., out].
 * One gemm forward over all leading rows with the bias fused; backward dx = dy · W,
 * dW += dyᵀ · x, db += Σ_rows dy, accumulated straight into the parameters' gradient buffers.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  requireFloat(x, "linear", "input");
  requireFloat(weight, "linear", "weight");
  if (x.ndim < 1) throw new Error(`linear: the input must have at least 1 dim [..., in], got shape ${formatShape(x.shape)}`);
  if (weight.ndim !== 2) throw new Error(`linear: the weight must be 2-D [out, in], got shape ${formatShape(weight.shape)}`);
  const inF = x.shape[x.ndim - 1];
  const rows = inF === 0 ? shapeSize(x.shape.slice(0, -1)) : x.size / inF;
  const outF = weight.shape[0], inW = weight.shape[1];
  if (inF !== inW) {
    throw new Error(`linear: input has ${inF} features (shape ${formatShape(x.shape)}) but the weight ${formatShape(weight.shape)} expects ${inW}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new Error(`linear: bias must have shape [${outF}], got ${formatShape(bias.shape)}`);
  }
  const out = allocEmptyLike(x.data, rows * outF); // the gemm writes it whole (beta 0)
  gemm(false, true, rows, outF, inF, 1, x.data, 0, inF, weight.data, 0, inF, 0, out, 0, outF, bias ? bias.data : null, 0);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  const shape = [...x.shape.slice(0, -1), outF];
  return fromOp(out, shape, inputs, (g) => {
    // dx += dy · W; as dx's first producer (freshGradSlot) beta 0 writes it whole: no zero-fill.
    const fx = freshGradSlot(x), sx = fx ?? gradSlot(x);
    if (sx) gemm(false, false, rows, inF, outF, 1, g, 0, outF, weight.data, 0, inF, fx ? 0 : 1, sx, 0, inF);
    const sw = gradSlot(weight);
    if (sw) gemm(true, false, outF, inF, rows, 1, g, 0, outF, x.data, 0, inF, 1, sw, 0, inF);
    const sb = bias ? gradSlot(bias) : null;
    if (sb) columnSum(g, rows, outF, sb);
  });
}
