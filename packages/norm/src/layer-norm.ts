/**
 * LayerNorm after torch.nn.LayerNorm: normalises each sample over its trailing dimensions; one
 * fused op with the closed-form backward.
 */
import { Tensor, allocFloat32, allocFloat64, allocLike, backend, formatShape, fromOp, gradSlot, wasmKernelsFor, type FloatArray } from "@weft/tensor";
import { Module, Parameter } from "@weft/layers";

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

const f32OrNull = (a: FloatArray | null): boolean => a === null || a instanceof Float32Array;

/**
 * The fused op over rows of D values: y = x̂·γ + β with x̂ = (x − μ)·invstd per row. Backward, with
 * dŷ = dy·γ: dx = invstd/D · (D·dŷ − Σdŷ − x̂·Σ(dŷ·x̂)); dγ += Σ_rows dy·x̂; dβ += Σ_rows dy.
 */
function layerNormOp(x: Tensor, D: number, eps: number, weight: Tensor | null, bias: Tensor | null): Tensor {
  const xd = x.data;
  const rows = xd.length / D;
  const out = allocLike(xd, xd.length);
  // Per-row statistics in float64, two passes; kept for backward.
  const mean = allocFloat64(rows);
  const invstd = allocFloat64(rows);
  // Float32 x, weight and bias under the wasm backend: the same loops in wasm
  // (assembly/layer-norm.ts, the same arithmetic in the same order, so the same bits —
  // @weft/tensor's test/wasm-layer-norm.test.ts); a speed choice only. In place when x and out
  // lie in this thread's kernel memory (a @weft/parallel worker's step arena).
  const wasm = xd instanceof Float32Array && f32OrNull(weight?.data ?? null) && f32OrNull(bias?.data ?? null) && backend() === "wasm"
    ? wasmKernelsFor(xd, out) : null;
  // γ as of the forward (float64 for the JS loops; the wasm kernels widen float32 themselves).
  let w32: Float32Array | null = null;
  let gamma: Float64Array | null = null;
  if (weight && wasm) (w32 = allocFloat32(weight.size)).set(weight.data);
  else if (weight) (gamma = allocFloat64(weight.size)).set(weight.data);
  const beta = bias ? bias.data : null;
  if (wasm) wasm.layerNormForward(xd as Float32Array, rows, D, eps, w32, beta as Float32Array | null, out as Float32Array, mean, invstd);
  for (let r = 0, o = 0; !wasm && r < rows; r++, o += D) {
    let s = 0;
    for (let j = 0; j < D; j++) s += xd[o + j];
    const m = s / D;
    let ss = 0;
    for (let j = 0; j < D; j++) {
      const dv = xd[o + j] - m;
      ss += dv * dv;
    }
    const is = 1 / Math.sqrt(ss / D + eps);
    mean[r] = m;
    invstd[r] = is;
    for (let j = 0; j < D; j++) out[o + j] = (xd[o + j] - m) * is * (gamma ? gamma[j] : 1) + (beta ? beta[j] : 0);
  }
  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  return fromOp(out, x.shape, inputs, (g) => {
    const gx = gradSlot(x);
    const gw = weight ? gradSlot(weight) : null;
    const gb = bias ? gradSlot(bias) : null;
    if (wasm && g instanceof Float32Array && f32OrNull(gx) && f32OrNull(gw) && f32OrNull(gb)) {
      // Chosen again with the backward's own large operands (dy and dx may not lie where x did).
      wasmKernelsFor(xd as Float32Array, g, gx).layerNormBackward(xd as Float32Array, g, rows, D, mean, invstd, w32, gx as Float32Array | null, gw as Float32Array | null, gb as Float32Array | null);
      return;
    }
    const gammaB = gamma ?? (w32 ? Float64Array.from(w32) : null);
    for (let r = 0, o = 0; r < rows; r++, o += D) {
      const m = mean[r];
      const is = invstd[r];
      let sdy = 0;
      let sdyx = 0;
      for (let j = 0; j < D; j++) {
        const xh = (xd[o + j] - m) * is;
        const gy = g[o + j];
        if (gw) gw[j] += gy * xh;
        if (gb) gb[j] += gy;
        const dyh = gy * (gammaB ? gammaB[j] : 1);
        sdy += dyh;
        sdyx += dyh * xh;
      }
      if (!gx) continue;
      const meanDy = sdy / D;
      const meanDyXhat = sdyx / D;
      for (let j = 0; j < D; j++) {
        const xh = (xd[o + j] - m) * is;
        gx[o + j] += is * (g[o + j] * (gammaB ? gammaB[j] : 1) - meanDy - xh * meanDyXhat);
      }
    }
  });
}
