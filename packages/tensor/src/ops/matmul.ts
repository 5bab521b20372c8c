/** matmul, the fused linear layer op, transpose and reshape — all over the blocked gemm. */
import { Tensor, fromOp, gradSlot, formatShape, shapeSize } from "../tensor.js";
import { allocFloat32, allocFloat64, allocLike } from "../arena.js";
import { columnSum, gemm } from "../kernels/backend.js";

function expect2d(t: Tensor, op: string, what: string): void {
  if (t.ndim !== 2) throw new Error(`${op}: ${what} must be 2-D, got shape ${formatShape(t.shape)}`);
}

/** a [m, k] · b [k, n] → [m, n]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  expect2d(a, "matmul", "the first operand");
  expect2d(b, "matmul", "the second operand");
  const m = a.shape[0], k = a.shape[1];
  const k2 = b.shape[0], n = b.shape[1];
  if (k !== k2) throw new Error(`matmul: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} cannot be multiplied (${k} ≠ ${k2})`);
  const out = a.dtype === "float64" || b.dtype === "float64" ? allocFloat64(m * n) : allocFloat32(m * n);
  gemm(false, false, m, n, k, 1, a.data, 0, k, b.data, 0, n, 0, out, 0, n);
  return fromOp(out, [m, n], [a, b], (g) => {
    const sa = gradSlot(a); // dA += g · Bᵀ
    if (sa) gemm(false, true, m, k, n, 1, g, 0, n, b.data, 0, n, 1, sa, 0, k);
    const sb = gradSlot(b); // dB += Aᵀ · g
    if (sb) gemm(true, false, k, n, m, 1, a.data, 0, k, g, 0, n, 1, sb, 0, n);
  });
}

/**
 * y = x · Wᵀ + b, PyTorch's `F.linear`: x [N, in], weight [out, in], bias [out] → [N, out].
 * One gemm forward with the bias fused; backward dx = dy · W, dW += dyᵀ · x, db += Σ_rows dy,
 * accumulated straight into the parameters' gradient buffers.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  expect2d(x, "linear", "the input");
  expect2d(weight, "linear", "the weight");
  const rows = x.shape[0], inF = x.shape[1];
  const outF = weight.shape[0], inW = weight.shape[1];
  if (inF !== inW) {
    throw new Error(`linear: input has ${inF} features (shape ${formatShape(x.shape)}) but the weight ${formatShape(weight.shape)} expects ${inW}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF)) {
    throw new Error(`linear: bias must have shape [${outF}], got ${formatShape(bias.shape)}`);
  }
  const out = allocLike(x.data, rows * outF);
  gemm(false, true, rows, outF, inF, 1, x.data, 0, inF, weight.data, 0, inF, 0, out, 0, outF, bias ? bias.data : null, 0);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return fromOp(out, [rows, outF], inputs, (g) => {
    const sx = gradSlot(x);
    if (sx) gemm(false, false, rows, inF, outF, 1, g, 0, outF, weight.data, 0, inF, 1, sx, 0, inF);
    const sw = gradSlot(weight);
    if (sw) gemm(true, false, outF, inF, rows, 1, g, 0, outF, x.data, 0, inF, 1, sw, 0, inF);
    const sb = bias ? gradSlot(bias) : null;
    if (sb) columnSum(g, rows, outF, sb);
  });
}

/** Transpose of a 2-D tensor (a copy: tensors stay contiguous). */
export function transpose(x: Tensor): Tensor {
  expect2d(x, "transpose", "the input");
  const r = x.shape[0], c = x.shape[1];
  const out = allocLike(x.data, x.size);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x.data[i * c + j];
  return fromOp(out, [c, r], [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) s[i * c + j] += g[j * r + i];
  });
}

/** Same data, new shape (one dimension may be -1). Shares storage with the input. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const dims = [...shape];
  const free = dims.indexOf(-1);
  if (free >= 0) {
    const known = shapeSize(dims.filter((_, i) => i !== free));
    dims[free] = known === 0 ? 0 : x.size / known;
  }
  if (!dims.every((d) => Number.isInteger(d) && d >= 0) || shapeSize(dims) !== x.size) {
    throw new Error(`reshape: shape ${formatShape(shape)} is invalid for a tensor of ${x.size} elements (shape ${formatShape(x.shape)})`);
  }
  return fromOp(x.data, dims, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < g.length; i++) s[i] += g[i];
  });
}
