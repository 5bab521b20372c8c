/**
 * LayerNorm after torch.nn.LayerNorm: normalises each sample over its trailing dimensions; one
 * fused op with the closed-form backward.
 */
import { Tensor, allocEmptyLike, allocFloat64, allocLike, formatShape, fromOp, gradSlot, kernels, type FloatArray } from "@weft/tensor";
import { Module, Parameter } from "./module.js";

/** The options of torch.nn.LayerNorm, camelCased; every default is PyTorch's. */
export interface LayerNormOptions {
  /** Added to the variance under the square root (default 1e-5). */
  eps?: number;
  /** Learnable `weight` (ones) and `bias` (zeros) of shape normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, whether there is a `bias` (default true; PyTorch ≥ 2.1's option). */
  bias?: boolean;
}

/**
 * Layer normalisation of `x: [*, ...normalizedShape]` over its trailing dims (D values per
 * sample): `y = (x − mean) / √(var + eps) · weight + bias`, mean and biased variance per sample.
 * Same statistics in training and eval mode; no buffers.
 *
 * @example
 * const ln = new LayerNorm(8);
 * const y = ln.forward(x); // x: [N, 8] → y: [N, 8], each row mean 0, variance 1
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  /** [...normalizedShape], ones; null without elementwiseAffine. */
  readonly weight: Parameter | null;
  /** [...normalizedShape], zeros; null without elementwiseAffine (or with `bias: false`). */
  readonly bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new Error(`LayerNorm: normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`);
    }
    const eps = options.eps ?? 1e-5;
    if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`LayerNorm: eps must be a finite number ≥ 0, got ${eps}`);
    this.normalizedShape = Object.freeze(shape);
    this.eps = eps;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const d = shape.reduce((a, b) => a * b, 1);
    this.weight = this.elementwiseAffine ? new Parameter(new Float32Array(d).fill(1), shape) : null;
    this.bias = this.elementwiseAffine && (options.bias ?? true) ? new Parameter(new Float32Array(d), shape) : null;
    this.registerParameter("weight", this.weight);
    this.registerParameter("bias", this.bias);
  }

  /** x: [*, ...normalizedShape] → y of the same shape. */
  forward(x: Tensor): Tensor {
    const ns = this.normalizedShape;
    const k = x.ndim - ns.length;
    if (k < 0 || ns.some((d, i) => x.shape[k + i] !== d)) {
      throw new Error(`LayerNorm: expected input of shape [*, ${ns.join(", ")}] (trailing dims = normalizedShape), got ${formatShape(x.shape)}`);
    }
    return layerNormOp(x, ns.reduce((a, b) => a * b, 1), this.eps, this.weight, this.bias);
  }
}

/**
 * The fused op over rows of D values: y = x̂·γ + β with x̂ = (x − μ)·invstd per row. Backward, with
 * dŷ = dy·γ: dx = invstd/D · (D·dŷ − Σdŷ − x̂·Σ(dŷ·x̂)); dγ += Σ_rows dy·x̂; dβ += Σ_rows dy.
 * The row loops are @weft/tensor's kernels (kernels/js/layer-norm.ts; under the wasm backend, for
 * float32, the same arithmetic in wasm — assembly/layer-norm.ts — so the same bits).
 */
function layerNormOp(x: Tensor, D: number, eps: number, weight: Tensor | null, bias: Tensor | null): Tensor {
  const xd = x.data;
  const rows = xd.length / D;
  const out = allocEmptyLike(xd, xd.length); // the kernel writes every row
  // Per-row statistics in float64, two passes; kept for backward.
  const mean = allocFloat64(rows);
  const invstd = allocFloat64(rows);
  // γ as of the forward, for the backward too (PyTorch would refuse a backward after an in-place change of it).
  let gamma: FloatArray | null = null;
  if (weight) (gamma = allocLike(weight.data, weight.size)).set(weight.data);
  kernels().layerNormForward(xd, rows, D, eps, gamma, bias ? bias.data : null, out, mean, invstd);
  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  return fromOp(out, x.shape, inputs, (g) => {
    const gx = gradSlot(x);
    const gw = weight ? gradSlot(weight) : null;
    const gb = bias ? gradSlot(bias) : null;
    if (gx || gw || gb) kernels().layerNormBackward(xd, g, rows, D, mean, invstd, gamma, gx, gw, gb);
  });
}
