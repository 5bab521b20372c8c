/**
 * TransformerEncoderLayer and TransformerEncoder, as torch.nn's: self-attention and a feed-forward
 * block, each with a residual connection and a LayerNorm (after it, or before with `normFirst`).
 */
import { Rng, defaultRng, gelu, relu, type Tensor, type TensorData } from "@weft/tensor";
import { Module } from "./module.js";
import { ModuleList } from "./module-list.js";
import { Linear } from "./linear.js";
import { Dropout } from "./dropout.js";
import { LayerNorm } from "./layer-norm.js";
import { MultiheadAttention } from "./attention.js";

export interface TransformerEncoderLayerOptions {
  /** Hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout on the attention weights, after attention, inside and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** The feed-forward activation: `"relu"` (default), `"gelu"` (exact, erf) or a function. */
  activation?: "relu" | "gelu" | ((x: Tensor) => Tensor);
  /** LayerNorm's eps (default 1e-5). */
  layerNormEps?: number;
  /** `[B, T, E]` (default false: `[T, B, E]`, as PyTorch). */
  batchFirst?: boolean;
  /** Pre-norm: LayerNorm before attention and before the feed-forward block (default false: after). */
  normFirst?: boolean;
  /** Biases in the Linear layers, attention and LayerNorms (default true). */
  bias?: boolean;
  /**
   * weft's own: the causal mask applies to every forward that does not say `isCausal` (default
   * false). Lets a causal layer stand in a Sequential (the golden files' `causal` config key).
   */
  causal?: boolean;
  /** Generator for the default init (default: the process-wide one). */
  rng?: Rng;
}

/** A forward's masks, as PyTorch's `forward(src, src_mask, src_key_padding_mask, is_causal)`. */
export interface EncoderMasks {
  /** `[T, T]` or `[B·nhead, T, T]`: int32 nonzero = may not attend, or float, added to the scores. */
  mask?: Tensor<TensorData> | null;
  /** `[B, T]`: int32 nonzero = padding, ignored as a key. */
  srcKeyPaddingMask?: Tensor<TensorData> | null;
  /** The causal mask (default: the layer's `causal` option). */
  isCausal?: boolean;
}

/**
 * One encoder layer on `src [B, T, dModel]` (batchFirst; else `[T, B, dModel]`), with `SA` the
 * self-attention and `FF(z) = linear2(dropout(act(linear1(z))))`:
 * `normFirst`: `x = x + dropout1(SA(norm1(x))); x = x + dropout2(FF(norm2(x)))`;
 * otherwise `x = norm1(x + dropout1(SA(x))); x = norm2(x + dropout2(FF(x)))`.
 * State-dict keys as PyTorch's: `self_attn.in_proj_weight`, `linear1.weight`, `norm1.weight`, …
 *
 * @example
 * const layer = new TransformerEncoderLayer(64, 4, { dimFeedforward: 256, dropout: 0, activation: "gelu", batchFirst: true, normFirst: true });
 * const y = layer.forward(x, { isCausal: true }); // x: [B, T, 64] → [B, T, 64]
 */
export class TransformerEncoderLayer extends Module {
  readonly self_attn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly normFirst: boolean;
  readonly causal: boolean;
  /** The options it was built with (TransformerEncoder builds its copies from them). */
  readonly options: Readonly<TransformerEncoderLayerOptions> & { dModel: number; nhead: number };
  private readonly act: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const rng = options.rng ?? defaultRng();
    const p = options.dropout ?? 0.1;
    const bias = options.bias ?? true;
    const batchFirst = options.batchFirst ?? false;
    const ff = options.dimFeedforward ?? 2048;
    const eps = options.layerNormEps ?? 1e-5;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, bias, batchFirst, rng });
    this.linear1 = new Linear(dModel, ff, { bias, rng });
    this.dropout = new Dropout(p, { rng });
    this.linear2 = new Linear(ff, dModel, { bias, rng });
    this.norm1 = new LayerNorm(dModel, { eps, bias });
    this.norm2 = new LayerNorm(dModel, { eps, bias });
    this.dropout1 = new Dropout(p, { rng });
    this.dropout2 = new Dropout(p, { rng });
    this.normFirst = options.normFirst ?? false;
    this.causal = options.causal ?? false;
    const a = options.activation ?? "relu";
    if (a !== "relu" && a !== "gelu" && typeof a !== "function") {
      throw new Error(`TransformerEncoderLayer: activation must be "relu", "gelu" or a function, got ${JSON.stringify(a)}`);
    }
    this.act = a === "relu" ? relu : a === "gelu" ? (x) => gelu(x) : a;
    Object.defineProperty(this, "act", { enumerable: false });
    this.options = Object.freeze({ ...options, dModel, nhead });
    Object.defineProperty(this, "options", { enumerable: false });
  }

  /** src `[B, T, dModel]` (batchFirst; else `[T, B, dModel]`) → the same shape. */
  forward(src: Tensor, masks: EncoderMasks = {}): Tensor {
    const am = { attnMask: masks.mask ?? null, keyPaddingMask: masks.srcKeyPaddingMask ?? null, isCausal: masks.isCausal ?? this.causal };
    const sa = (z: Tensor): Tensor => this.dropout1.forward(this.self_attn.forward(z, z, z, am));
    const ff = (z: Tensor): Tensor => this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.act(this.linear1.forward(z)))));
    let x = src;
    if (this.normFirst) {
      x = x.add(sa(this.norm1.forward(x)));
      return x.add(ff(this.norm2.forward(x)));
    }
    x = this.norm1.forward(x.add(sa(x)));
    return this.norm2.forward(x.add(ff(x)));
  }

  /** A layer with the same options and a copy of this one's state: PyTorch's `copy.deepcopy`. */
  copy(): TransformerEncoderLayer {
    const { dModel, nhead, ...o } = this.options;
    // A throwaway generator for the init that loadStateDict overwrites; the dropouts share this layer's.
    const c = new TransformerEncoderLayer(dModel, nhead, { ...o, rng: new Rng(0) });
    c.loadStateDict(this.stateDict());
    for (const k of ["dropout", "dropout1", "dropout2"] as const) c[k].rng = this[k].rng;
    c.self_attn.attnDropout.rng = this.self_attn.attnDropout.rng;
    c.train(this.training);
    return c;
  }
}

/**
 * A stack of `numLayers` copies of `encoderLayer` (each starts with its weights, as PyTorch's
 * deep copies), then the optional final `norm`. Keys `layers.0.self_attn.in_proj_weight`, …, `norm.weight`.
 *
 * @example
 * const enc = new TransformerEncoder(new TransformerEncoderLayer(64, 4, { batchFirst: true }), 2);
 * const y = enc.forward(x); // [B, T, 64] → [B, T, 64]
 */
export class TransformerEncoder extends Module {
  readonly layers: ModuleList<TransformerEncoderLayer>;
  readonly norm: Module | null;
  readonly numLayers: number;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: { norm?: Module | null } = {}) {
    super();
    if (!Number.isInteger(numLayers) || numLayers <= 0) throw new Error(`TransformerEncoder: numLayers must be a positive integer, got ${numLayers}`);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.copy()));
    this.norm = options.norm ?? null;
    this.numLayers = numLayers;
  }

  /** src `[B, T, dModel]` (batchFirst; else `[T, B, dModel]`) → the same shape; the masks go to every layer. */
  forward(src: Tensor, masks: EncoderMasks = {}): Tensor {
    let x = src;
    for (const layer of this.layers) x = layer.forward(x, masks);
    return this.norm ? this.norm.forward(x) : x;
  }
}
