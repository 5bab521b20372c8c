/** Embedding: a lookup table of `numEmbeddings` rows of `embeddingDim` values, as torch.nn.Embedding. */
import { Tensor, defaultRng, embedding, formatShape, type Rng, type TensorData } from "@weft/tensor";
import { Module, Parameter } from "./module.js";

export interface EmbeddingOptions {
  /**
   * A row that gets no gradient and starts at zero, as torch's `padding_idx`; negative counts from
   * the end. Default: none.
   */
  paddingIdx?: number | null;
  /** Generator for the default init (default: the process-wide one). */
  rng?: Rng;
}

/**
 * `indices` (int32, any shape, values in `0 … numEmbeddings−1`) → `[...indices.shape, embeddingDim]`.
 * PyTorch's init: weight ~ N(0, 1), the `paddingIdx` row zeroed.
 *
 * @example
 * const emb = new Embedding(27, 64);
 * const x = emb.forward(tokens); // tokens: int32 [B, T] → [B, T, 64]
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The row that gets no gradient, in `0 … numEmbeddings−1`, or null. */
  readonly paddingIdx: number | null;
  /** [numEmbeddings, embeddingDim]. */
  readonly weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    for (const [k, v] of [["numEmbeddings", numEmbeddings], ["embeddingDim", embeddingDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Embedding: ${k} must be a positive integer, got ${v}`);
    }
    const p = options.paddingIdx ?? null;
    if (p !== null && (!Number.isInteger(p) || p < -numEmbeddings || p >= numEmbeddings)) {
      throw new Error(`Embedding: paddingIdx must be an integer in ${-numEmbeddings} … ${numEmbeddings - 1}, got ${p}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = p === null ? null : p < 0 ? p + numEmbeddings : p;
    this.weight = new Parameter(new Float32Array(numEmbeddings * embeddingDim), [numEmbeddings, embeddingDim]);
    (options.rng ?? defaultRng()).fillNormal(this.weight.data, 0, 1);
    if (this.paddingIdx !== null) this.weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
    this.registerParameter("weight", this.weight);
  }

  /** indices: int32 `[*]` → `[*, embeddingDim]`. */
  forward(indices: Tensor<TensorData>): Tensor {
    if (!(indices.data instanceof Int32Array)) {
      throw new Error(`Embedding: expected int32 indices (token ids), got a ${indices.dtype} tensor of shape ${formatShape(indices.shape)}; make them with { dtype: "int32" }`);
    }
    return embedding(indices as Tensor<Int32Array>, this.weight, { paddingIdx: this.paddingIdx });
  }
}
