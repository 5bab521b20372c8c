/**
 * MultiheadAttention, as torch.nn.MultiheadAttention: the input projections in one
 * `in_proj_weight`, `numHeads` heads through the fused `scaledDotProductAttention`, then `out_proj`.
 */
import {
  Tensor, add, allocEmptyLike, defaultRng, formatShape, fromOp, gradSlot, kernels, linear, matmul, mul, narrow,
  scaledDotProductAttention, softmax, transpose, SAVES_NOTHING, type Rng, type TensorData,
} from "@weft/tensor";
import { Module, Parameter } from "./module.js";
import { Linear } from "./linear.js";
import { Dropout } from "./dropout.js";
import { xavierUniform } from "./init.js";

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in training mode (default 0). */
  dropout?: number;
  /** Biases of the input and output projections (default true). */
  bias?: boolean;
  /** Inputs and output are `[B, T, E]` (default false: `[T, B, E]`, as PyTorch). */
  batchFirst?: boolean;
  /**
   * weft's own: the causal mask applies to every forward that does not say `isCausal` (default
   * false). Lets a causal self-attention stand in a Sequential (the golden files' `causal` key).
   */
  causal?: boolean;
  /** Generator for the default init (default: the process-wide one). */
  rng?: Rng;
}

/** The masks of one call, as PyTorch's `forward(..., key_padding_mask, attn_mask, is_causal)`. */
export interface AttentionMasks {
  /**
   * `[B, S]`: int32 nonzero (PyTorch's `True`) = that key is padding and is ignored; a float mask is
   * added to the scores.
   */
  keyPaddingMask?: Tensor<TensorData> | null;
  /**
   * `[T, S]` or `[B·numHeads, T, S]`: int32 nonzero (PyTorch's `True`) = may not attend; a float
   * mask is added to the scores (`-Infinity` masks).
   */
  attnMask?: Tensor<TensorData> | null;
  /** Query i attends to keys j ≤ i only (the causal mask; with an attnMask, both apply). Default: the module's `causal` option. */
  isCausal?: boolean;
}

/**
 * Multi-head attention of `query [B, T, E]` over `key [B, S, E]` and `value [B, S, E]` (batchFirst;
 * else `[T, B, E]`…): `[q; k; v] = [query·W_qᵀ; key·W_kᵀ; value·W_vᵀ] + in_proj_bias` with W_q, W_k,
 * W_v the three row blocks of `in_proj_weight`; each splits into `numHeads` heads of `E/numHeads`
 * features; per head `softmax(q·kᵀ/√(E/numHeads) + mask)·v`; the heads concatenated, then `out_proj`.
 * PyTorch's init: `in_proj_weight` Xavier-uniform, biases 0, `out_proj.weight` as Linear's.
 *
 * Returns the output only (PyTorch's `need_weights=False`): the fused op never forms the averaged
 * weights. Masks take no gradient. Not supported: `kdim`/`vdim` ≠ embedDim, `add_bias_kv`,
 * `add_zero_attn`.
 *
 * @example
 * const mha = new MultiheadAttention(64, 4, { batchFirst: true });
 * const y = mha.forward(x, x, x, { isCausal: true }); // x: [B, T, 64] → [B, T, 64]
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly batchFirst: boolean;
  readonly causal: boolean;
  /** [3·embedDim, embedDim]: the rows of W_q, W_k, W_v. */
  readonly in_proj_weight: Parameter;
  /** [3·embedDim], or null without bias. */
  readonly in_proj_bias: Parameter | null;
  readonly out_proj: Linear;
  /** Dropout on the attention weights (p = the `dropout` option). */
  readonly attnDropout: Dropout;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(embedDim) || embedDim <= 0) throw new Error(`MultiheadAttention: embedDim must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads <= 0 || embedDim % numHeads !== 0) {
      throw new Error(`MultiheadAttention: numHeads must be a positive integer dividing embedDim ${embedDim}, got ${numHeads}`);
    }
    const rng = options.rng ?? defaultRng();
    const bias = options.bias ?? true;
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.batchFirst = options.batchFirst ?? false;
    this.causal = options.causal ?? false;
    this.in_proj_weight = new Parameter(new Float32Array(3 * embedDim * embedDim), [3 * embedDim, embedDim]);
    xavierUniform(this.in_proj_weight, 1, rng);
    this.in_proj_bias = bias ? new Parameter(new Float32Array(3 * embedDim), [3 * embedDim]) : null;
    this.registerParameter("in_proj_bias", this.in_proj_bias);
    this.out_proj = new Linear(embedDim, embedDim, { bias, rng });
    this.out_proj.bias?.data.fill(0);
    this.attnDropout = new Dropout(options.dropout ?? 0, { rng });
  }

  /**
   * query `[B, T, E]`, key `[B, S, E]`, value `[B, S, E]` (batchFirst; else `[T, B, E]`, `[S, B, E]`)
   * → `[B, T, E]` (or `[T, B, E]`). key and value default to query (self-attention).
   */
  forward(query: Tensor, key: Tensor = query, value: Tensor = key, options: AttentionMasks = {}): Tensor {
    const masks = options.isCausal === undefined ? { ...options, isCausal: this.causal } : options;
    const E = this.embedDim;
    for (const [name, t] of [["query", query], ["key", key], ["value", value]] as const) {
      if (t.ndim !== 3 || t.shape[2] !== E) {
        throw new Error(`MultiheadAttention: ${name} must be ${this.batchFirst ? "[B, L, embedDim]" : "[L, B, embedDim]"} with embedDim ${E}, got ${formatShape(t.shape)}`);
      }
    }
    const self = query === key && key === value;
    // Batch first inside.
    const bf = (t: Tensor): Tensor => (this.batchFirst ? t : transpose(t, 0, 1));
    const q0 = bf(query);
    const [B, T] = q0.shape;
    // q, k, v as [B, heads, L, E/heads]: one projection and one copy into the heads' layout.
    let qh: Tensor, kh: Tensor, vh: Tensor;
    if (self) {
      [qh, kh, vh] = splitHeads(linear(q0, this.in_proj_weight, this.in_proj_bias), 3, this.numHeads);
    } else {
      const w = (i: number): Tensor => narrow(this.in_proj_weight, 0, i * E, E);
      const b = (i: number): Tensor | null => (this.in_proj_bias ? narrow(this.in_proj_bias, 0, i * E, E) : null);
      const kv = bf(key), vv = key === value ? kv : bf(value);
      if (kv.shape[0] !== B || vv.shape[0] !== B || vv.shape[1] !== kv.shape[1]) {
        throw new Error(`MultiheadAttention: query, key and value must share the batch size and key and value the length, got ${formatShape(query.shape)}, ${formatShape(key.shape)}, ${formatShape(value.shape)}`);
      }
      [qh] = splitHeads(linear(q0, w(0), b(0)), 1, this.numHeads);
      [kh] = splitHeads(linear(kv, w(1), b(1)), 1, this.numHeads);
      [vh] = splitHeads(linear(vv, w(2), b(2)), 1, this.numHeads);
    }
    const S = kh.shape[2];
    const f64 = q0.data instanceof Float64Array;
    const dropout = this.training && this.attnDropout.p > 0;
    const mask = this.mask(masks, B, T, S, f64, dropout);
    const causal = (masks.isCausal ?? false) && mask === null;
    let o: Tensor;
    if (dropout) {
      // Dropout on the weights: the unfused form (the fused op has no dropout).
      let scores = mul(matmul(qh, transpose(kh, -2, -1)), 1 / Math.sqrt(this.headDim));
      if (mask) scores = add(scores, mask);
      o = matmul(this.attnDropout.forward(softmax(scores, -1)), vh);
    } else {
      o = scaledDotProductAttention(qh, kh, vh, { isCausal: causal, attnMask: mask });
    }
    const y = this.out_proj.forward(mergeHeads(o));
    return this.batchFirst ? y : transpose(y, 0, 1);
  }

  /**
   * The combined additive mask `[B, numHeads | 1, T, S]` (0 or −∞, plus float masks); null when
   * there is none, or only the causal one and `foldCausal` is false (the fused op applies it).
   */
  private mask(m: AttentionMasks, B: number, T: number, S: number, f64: boolean, foldCausal: boolean): Tensor | null {
    const { keyPaddingMask: kpm = null, attnMask: am = null, isCausal = false } = m;
    if (kpm === null && am === null && (!isCausal || (T === S && !foldCausal))) return null;
    const H = this.numHeads;
    const perHead = am !== null && am.ndim === 3;
    if (am !== null && !((am.ndim === 2 && am.shape[0] === T && am.shape[1] === S) || (am.ndim === 3 && am.shape[0] === B * H && am.shape[1] === T && am.shape[2] === S))) {
      throw new Error(`MultiheadAttention: attnMask must be [T, S] = [${T}, ${S}] or [B·numHeads, T, S] = [${B * H}, ${T}, ${S}], got ${formatShape(am.shape)}`);
    }
    if (kpm !== null && !(kpm.ndim === 2 && kpm.shape[0] === B && kpm.shape[1] === S)) {
      throw new Error(`MultiheadAttention: keyPaddingMask must be [B, S] = [${B}, ${S}], got ${formatShape(kpm.shape)}`);
    }
    const Hm = perHead ? H : 1;
    const out = f64 ? new Float64Array(B * Hm * T * S) : new Float32Array(B * Hm * T * S);
    const value = (t: Tensor<TensorData>, i: number): number => (t.data instanceof Int32Array ? (t.data[i] !== 0 ? -Infinity : 0) : t.data[i]);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < Hm; h++) {
        for (let i = 0; i < T; i++) {
          const o = ((b * Hm + h) * T + i) * S;
          for (let j = 0; j < S; j++) {
            let v = isCausal && j > i ? -Infinity : 0;
            if (am !== null) v += value(am, perHead ? ((b * H + h) * T + i) * S + j : i * S + j);
            if (kpm !== null) v += value(kpm, b * S + j);
            out[o + j] = v;
          }
        }
      }
    }
    return new Tensor(out, [B, Hm, T, S]);
  }
}

/**
 * `x [B, L, n·E]` (n projections side by side) → n tensors `[B, heads, L, E/heads]`:
 * `out_i[b, h, l, d] = x[b, l, i·E + h·D + d]` — the reshape and permute of PyTorch's MHA as one
 * copy, the gradient scattered back the same way.
 */
function splitHeads(x: Tensor, n: number, heads: number): Tensor[] {
  const [B, L, W] = x.shape;
  const E = W / n, D = E / heads;
  const xd = x.data;
  return Array.from({ length: n }, (_, i) => {
    const out = allocEmptyLike(xd, B * L * E);
    kernels().moveHeads(xd, out, B, heads, L, D, W, i * E, true, false);
    return fromOp(out, [B, heads, L, D], [x], (g) => {
      const s = gradSlot(x);
      if (s) kernels().moveHeads(s, g, B, heads, L, D, W, i * E, false, true);
    }, SAVES_NOTHING);
  });
}

/** The attention output `[B, heads, T, D]` → `[B, T, heads·D]` (PyTorch's permute + reshape), in one copy. */
function mergeHeads(o: Tensor): Tensor {
  const [B, heads, T, D] = o.shape;
  const E = heads * D;
  const out = allocEmptyLike(o.data, B * T * E);
  kernels().moveHeads(out, o.data, B, heads, T, D, E, 0, false, false);
  return fromOp(out, [B, T, E], [o], (g) => {
    const s = gradSlot(o);
    if (s) kernels().moveHeads(g, s, B, heads, T, D, E, 0, true, true);
  }, SAVES_NOTHING);
}

