/**
 * A character-level GPT-style language model: token + position embeddings → a causal
 * TransformerEncoder → LayerNorm → Linear over the vocabulary. `STANDARD_CHAR_LM` is issue 15's
 * standard workload (d = 64, block 32, 2 pre-norm layers of 4 heads, feed-forward 256, GELU,
 * dropout 0), what `weft train --task lm` trains by default.
 */
import { Tensor, add, arange, defaultRng, formatShape, reshape, type Rng, type TensorData } from "@weft/tensor";
import { Embedding, LayerNorm, Linear, Module, TransformerEncoder, TransformerEncoderLayer, crossEntropyLoss } from "@weft/layers";

export interface CharTransformerOptions {
  /** Characters in the vocabulary. */
  vocabSize: number;
  /** The longest context (positions embedded), default 32. */
  blockSize?: number;
  /** Width d of the embeddings and the layers (default 64). */
  dModel?: number;
  /** Attention heads (default 4). */
  nhead?: number;
  /** Encoder layers (default 2). */
  numLayers?: number;
  /** Feed-forward width (default 256). */
  dimFeedforward?: number;
  /** Dropout in the encoder layers (default 0). */
  dropout?: number;
  /**
   * Return the logits folded to `[B·T, vocabSize]` (row b·T + t), as a `Flatten(0, 1)` would: the
   * layout the engine's cross-entropy and accuracy read per token (default false: `[B, T, vocabSize]`).
   */
  flattenLogits?: boolean;
  /** Generator for the init (default: the process-wide one). */
  rng?: Rng;
}

/** The standard model's sizes (issue 15): the defaults of {@link CharTransformer}. */
export const STANDARD_CHAR_LM = Object.freeze({ blockSize: 32, dModel: 64, nhead: 4, numLayers: 2, dimFeedforward: 256, dropout: 0 });

/**
 * tokens `[B, T]` (int32, T ≤ blockSize) → logits `[B, T, vocabSize]`, position t seeing tokens 0 … t.
 * State-dict keys: `tok_emb.weight`, `pos_emb.weight`, `encoder.layers.0.self_attn.in_proj_weight`, …,
 * `norm.weight`, `head.weight`, `head.bias`.
 *
 * @example
 * const lm = new CharTransformer({ vocabSize: 28 });
 * const logits = lm.forward(tokens); // [B, 32] → [B, 32, 28]
 */
export class CharTransformer extends Module {
  readonly tok_emb: Embedding;
  readonly pos_emb: Embedding;
  readonly encoder: TransformerEncoder;
  readonly norm: LayerNorm;
  readonly head: Linear;
  readonly vocabSize: number;
  readonly blockSize: number;
  readonly flattenLogits: boolean;
  /** The position ids 0 … T−1 of each length seen, made once. */
  private declare readonly positions: Map<number, Tensor<Int32Array>>;

  constructor(options: CharTransformerOptions) {
    super();
    const o = { ...STANDARD_CHAR_LM, ...options };
    const rng = options.rng ?? defaultRng();
    this.vocabSize = o.vocabSize;
    this.blockSize = o.blockSize;
    this.flattenLogits = o.flattenLogits ?? false;
    this.tok_emb = new Embedding(o.vocabSize, o.dModel, { rng });
    this.pos_emb = new Embedding(o.blockSize, o.dModel, { rng });
    const layer = new TransformerEncoderLayer(o.dModel, o.nhead, {
      dimFeedforward: o.dimFeedforward, dropout: o.dropout, activation: "gelu", batchFirst: true, normFirst: true, causal: true, rng,
    });
    this.encoder = new TransformerEncoder(layer, o.numLayers);
    this.norm = new LayerNorm(o.dModel);
    this.head = new Linear(o.dModel, o.vocabSize, { rng });
    Object.defineProperty(this, "positions", { value: new Map(), enumerable: false });
  }

  /** tokens `[B, T]` (int32) → logits `[B, T, vocabSize]` (`[B·T, vocabSize]` with flattenLogits). */
  forward(tokens: Tensor<TensorData>): Tensor {
    if (!(tokens.data instanceof Int32Array) || tokens.ndim !== 2 || tokens.shape[1] > this.blockSize) {
      throw new Error(`CharTransformer: expected int32 tokens [B, T] with T ≤ blockSize ${this.blockSize}, got a ${tokens.dtype} tensor of shape ${formatShape(tokens.shape)}`);
    }
    const T = tokens.shape[1];
    let pos = this.positions.get(T);
    if (!pos) this.positions.set(T, (pos = arange(0, T, 1, { dtype: "int32" })));
    const x = add(this.tok_emb.forward(tokens), this.pos_emb.forward(pos));
    const logits = this.head.forward(this.norm.forward(this.encoder.forward(x)));
    return this.flattenLogits ? reshape(logits, [-1, this.vocabSize]) : logits;
  }
}

/** Mean cross-entropy (nats per character) of logits `[B, T, V]` (or `[B·T, V]`) against targets `[B, T]`. */
export function charLmLoss(logits: Tensor, targets: Tensor<TensorData>): Tensor {
  const V = logits.shape[logits.ndim - 1];
  return crossEntropyLoss(reshape(logits, [-1, V]), targets.data as Int32Array);
}
