/**
 * The one kernel interface: every kernel an op, a layer or the parallel engine runs through the
 * backend choice, on typed arrays and sizes (never Tensor objects).
 *
 * Shaped as Burn's `ModuleOps`: `jsKernels` (kernels/js/) implements every method — the
 * portable default and the reference the tests compare against; `wasmKernels`
 * (kernels/wasm/wasm-kernels.ts) overrides the methods it speeds up for float32 operands and
 * hands every other call (float64, an unsupported layout) to the js method. `kernels()`
 * (kernels/backend.ts) is this thread's choice; an op calls `kernels().reluForward(x, out)` and
 * never tests the backend itself.
 *
 * Conventions: arrays are flat and row-major; a forward writes its output (`out`), a backward
 * *accumulates* (`+=`) into its gradient slot, because a slot may be a view into shared memory
 * that other ops add to — except where a backward takes `assign`: then it writes the slot whole
 * without reading it, with the bits accumulating into a zeroed slot would give (for a gradient's
 * first producer, `freshGradSlot`: no zero-fill pass). "Either precision" arrays ({@link FloatArray}) are float32 or float64;
 * statistics and per-row losses are always float64 (`Float64Array`), so that sums over many
 * rows keep float32 data's precision.
 */

/** A flat float array of either precision. */
export type FloatArray = Float32Array | Float64Array;

/**
 * One convolution's geometry over one sample's `c` input channels of `h × w`: kernel `kh × kw`,
 * stride `sh, sw`, leading padding `ph, pw` (the trailing padding is implied by `oh, ow`, so an
 * asymmetric "same" padding fits), dilation `dh, dw`, output `oh × ow`. A 1-D convolution is
 * `h = kh = oh = 1`.
 */
export interface ConvGeometry {
  c: number; h: number; w: number;
  kh: number; kw: number;
  sh: number; sw: number;
  ph: number; pw: number;
  dh: number; dw: number;
  oh: number; ow: number;
}

/** One pooling's geometry over planes of `h × w`: window `kh × kw`, stride, leading padding, output `oh × ow`. */
export interface PoolGeometry {
  h: number; w: number;
  kh: number; kw: number;
  sh: number; sw: number;
  ph: number; pw: number;
  oh: number; ow: number;
}

/** GELU's form: exact (`"none"`, via erf) or PyTorch's tanh approximation. */
export type GeluApproximation = "none" | "tanh";

export interface Kernels {
  // ---- linear algebra and sums ----

  /**
   * C[m×n] = alpha·op(A)·op(B) + beta·C (+ bias[j] broadcast over rows), row-major. op(A) is
   * A [m×k] (row stride lda) or, with transA, A stored [k×m] read transposed; op(B) alike,
   * [k×n] or stored [n×k]. `aOff`, `bOff`, `cOff`, `biasOff`: offsets into the arrays.
   * beta = 0 overwrites C without reading it; alpha = 0 or k = 0 reads neither A nor B. C must
   * not overlap A, B or bias.
   */
  gemm(
    transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: FloatArray, aOff: number, lda: number, b: FloatArray, bOff: number, ldb: number,
    beta: number, c: FloatArray, cOff: number, ldc: number, bias?: FloatArray | null, biasOff?: number,
  ): void;

  /** dst[j] += Σ_r a[r·cols + j] for a: [rows, cols], dst: [cols], row by row in dst's precision — linear's bias gradient. */
  columnSum(a: FloatArray, rows: number, cols: number, dst: FloatArray): void;

  /**
   * dst[i] = Σ_r srcs[r][i] for i in [lo, hi), over the ranks r = 0…W−1 in order, summed in
   * float64 and rounded once — the parallel engine's all-reduce of one gradient range. dst may
   * be one of srcs.
   */
  sumRanks(dst: Float32Array, srcs: readonly Float32Array[], lo: number, hi: number): void;

  /** Index of the first ±∞ or NaN of x, or −1 when every element is finite. */
  firstNonFinite(x: FloatArray): number;

  // ---- elementwise activations: forward out = f(x), backward slot += g·f′ ----

  /** out = max(x, 0) (NaN propagates). */
  reluForward(x: FloatArray, out: FloatArray): void;
  /** slot += g where x > 0 (0 at x = 0, as PyTorch); `assign`: slot = x > 0 ? g + 0 : 0. */
  reluBackward(x: FloatArray, g: FloatArray, slot: FloatArray, assign?: boolean): void;
  /** out = x > 0 ? x : x·slope. */
  leakyReluForward(x: FloatArray, out: FloatArray, slope: number): void;
  /** slot += x > 0 ? g : g·slope. */
  leakyReluBackward(x: FloatArray, g: FloatArray, slot: FloatArray, slope: number): void;
  /** out = 1 / (1 + e^−x), stable (never exponentiates a positive number). */
  sigmoidForward(x: FloatArray, out: FloatArray): void;
  /** From the forward's output y: slot += g·y·(1 − y). */
  sigmoidBackward(y: FloatArray, g: FloatArray, slot: FloatArray): void;
  /** out = tanh(x). */
  tanhForward(x: FloatArray, out: FloatArray): void;
  /** From the forward's output y: slot += g·(1 − y²). */
  tanhBackward(y: FloatArray, g: FloatArray, slot: FloatArray): void;
  /**
   * out = gelu(x), exact or tanh-approximated; with `deriv`, also deriv = gelu′(x), the factor
   * {@link geluBackward} multiplies g by — a backward through it ({@link mulAccumulate}) then
   * computes no transcendental again (the gelu op does this when its input requires grad).
   */
  geluForward(x: FloatArray, out: FloatArray, approximate: GeluApproximation, deriv?: FloatArray | null): void;
  /** slot += g·gelu′(x). */
  geluBackward(x: FloatArray, g: FloatArray, slot: FloatArray, approximate: GeluApproximation): void;
  /** slot += a·b elementwise: a backward through a derivative the forward saved (GELU's); `assign`: slot = a·b + 0. */
  mulAccumulate(a: FloatArray, b: FloatArray, slot: FloatArray, assign?: boolean): void;

  // ---- elementwise sums and layout moves ----

  /** out = a + b (sign ≥ 0) or a − b elementwise; out may be a or b (a residual add, a gradient's `+=`). */
  addArrays(a: FloatArray, b: FloatArray, out: FloatArray, sign: number): void;
  /**
   * Attention's heads: between x `[batch, len, width]`'s columns `col + h·d + k` and
   * y `[batch, heads, len, d]`, `toHeads` moves x into y (splitting a projection into heads),
   * else y into x (merging them); `add` accumulates instead of writing (the gradients).
   */
  moveHeads(x: FloatArray, y: FloatArray, batch: number, heads: number, len: number, d: number, width: number, col: number, toHeads: boolean, add: boolean): void;

  // ---- the fused attention's row passes (no mask, or the causal one) ----

  /**
   * Over `rows` query rows of scores at `e[eo + i·stride]`, row i seeing its first
   * vis = causal ? min(first + i + 1, keys) : keys keys: those become exp(s − their max) (kept
   * unnormalised for the backward; a kernel may skip the shift where no exp can overflow), the
   * rest of [0, keys) 0, and inv[invOff + i] = 1/Σ. A row
   * whose every score is −∞ becomes 0 with inv 0 (PyTorch's safe softmax); a NaN makes its row NaN.
   */
  attentionRowsForward(e: FloatArray, eo: number, rows: number, keys: number, stride: number, first: number, causal: boolean, inv: Float64Array, invOff: number): void;
  /**
   * The backward's row pass, dS = P∘(dP − rowsum(dO∘O)) in place over dP: for rows i < rows,
   * with f = inv[invOff + i] and dot = Σ_c g[go + i·dv + c]·out[go + i·dv + c],
   * ds[i·stride + j] = f·e[eo + i·stride + j]·(ds[i·stride + j] − dot) for j < keys.
   */
  attentionRowsBackward(
    e: FloatArray, eo: number, ds: FloatArray, rows: number, keys: number, stride: number,
    g: FloatArray, go: number, out: FloatArray, dv: number, inv: Float64Array, invOff: number,
  ): void;

  // ---- per-row kernels ----

  /**
   * Softmax (log-softmax when `log`) over the middle axis of x viewed as [outer, dim, inner],
   * into out of the same size; stable (the max is subtracted).
   */
  softmaxForward(x: FloatArray, out: FloatArray, outer: number, dim: number, inner: number, log: boolean): void;
  /**
   * From the forward's output y and the output gradient g ([outer, dim, inner]): slot += dx,
   * softmax dx = y ⊙ (g − Σ g·y), log-softmax dx = g − softmax·Σ g.
   */
  softmaxBackward(y: FloatArray, g: FloatArray, slot: FloatArray, outer: number, dim: number, inner: number, log: boolean): void;

  /**
   * Softmax cross-entropy of logits x: [rows, classes] against class indices `target` (rows
   * integers in [0, classes), already checked) with label smoothing `eps`
   * (q = (1 − eps)·onehot + eps/classes): loss[r] = −Σ q·log softmax(x) and the clean gradient
   * grad[r, c] = p·Σq − q.
   */
  crossEntropy(x: FloatArray, rows: number, classes: number, target: ArrayLike<number>, eps: number, loss: Float64Array, grad: Float64Array): void;
  /** {@link crossEntropy} against class probabilities probs: [rows, classes] (q = (1 − eps)·probs + eps/classes). */
  crossEntropyProbs(x: FloatArray, rows: number, classes: number, probs: FloatArray, eps: number, loss: Float64Array, grad: Float64Array): void;

  /**
   * LayerNorm over the trailing d values of each row of x: [rows, d]: out = (x − mean)·invstd·γ + β
   * with the biased variance; writes the per-row mean and invstd ([rows]) for the backward.
   * weight (γ), bias (β): [d] or null.
   */
  layerNormForward(
    x: FloatArray, rows: number, d: number, eps: number, weight: FloatArray | null, bias: FloatArray | null,
    out: FloatArray, mean: Float64Array, invstd: Float64Array,
  ): void;
  /**
   * LayerNorm's backward from x, dy: [rows, d], the forward's mean, invstd and weight: accumulates
   * gx [rows, d], gw and gb [d]; any of them may be null (not computed).
   */
  layerNormBackward(
    x: FloatArray, dy: FloatArray, rows: number, d: number, mean: Float64Array, invstd: Float64Array,
    weight: FloatArray | null, gx: FloatArray | null, gw: FloatArray | null, gb: FloatArray | null,
  ): void;

  // ---- BatchNorm over x: [n, c, inner] (statistics per channel c, over n and inner) ----

  /** mean[c] and the biased variance[c] of x, written (not accumulated): two passes. */
  batchNormMeanVar(x: FloatArray, n: number, c: number, inner: number, mean: Float64Array, variance: Float64Array): void;
  /** sum[c] += Σ x and sumSq[c] += Σ x², one pass — SyncBatchNorm's local sums. */
  batchNormSums(x: FloatArray, n: number, c: number, inner: number, sum: Float64Array, sumSq: Float64Array): void;
  /** out = (x − mean[c])·scale[c] + shift[c], computed in float64. */
  batchNormForward(x: FloatArray, n: number, c: number, inner: number, mean: Float64Array, scale: Float64Array, shift: Float64Array, out: FloatArray): void;
  /** sums[0..c) += Σ dy and sums[c..2c) += Σ dy·(x − mean)·invstd. */
  batchNormBackwardSums(x: FloatArray, dy: FloatArray, n: number, c: number, inner: number, mean: Float64Array, invstd: Float64Array, sums: Float64Array): void;
  /** Training mode's closed-form dx: gx += k[c]·(dy − meanDy[c] − (x − mean[c])·invstd[c]·meanDyXhat[c]) (`assign`: gx = 0 + …). */
  batchNormBackwardDx(
    x: FloatArray, dy: FloatArray, n: number, c: number, inner: number, mean: Float64Array, invstd: Float64Array,
    k: Float64Array, meanDy: Float64Array, meanDyXhat: Float64Array, gx: FloatArray, assign?: boolean,
  ): void;
  /** Eval mode's dx (the statistics are constants): gx += k[c]·dy. */
  batchNormBackwardDxEval(dy: FloatArray, n: number, c: number, inner: number, k: Float64Array, gx: FloatArray): void;

  // ---- convolution (im2col + gemm) and pooling over NCHW planes ----

  /**
   * Unfolds one sample's channels x[xOff …] ([c, h, w]) into col: [c·kh·kw, oh·ow], row
   * (ci·kh + ki)·kw + kj, column oi·ow + oj holding x[ci, oi·sh − ph + ki·dh, oj·sw − pw + kj·dw]
   * (0 in the padding). Written, not accumulated.
   */
  im2col(x: FloatArray, xOff: number, g: ConvGeometry, col: FloatArray): void;
  /** The adjoint of {@link im2col}: gx[gxOff …] ([c, h, w]) += each column entry at its input position (padding dropped). */
  col2im(col: FloatArray, g: ConvGeometry, gx: FloatArray, gxOff: number): void;

  /**
   * Winograd F(2×2, 3×3)'s weight transform: U[ξ][o][i] = (G·g[o][i]·Gᵀ)[ξ], ξ = 0…15, of weight
   * [cOut, cIn, 3, 3] (u: 16·cOut·cIn); with `flip`, of dx's convolution — g[o][i] rotated by
   * 180°, in and out swapped — as U[ξ][i][o].
   */
  winogradWeights(w: FloatArray, cOut: number, cIn: number, flip: boolean, u: FloatArray): void;
  /**
   * Its input transform: V[ξ][ci][s·th·tw + ti·tw + tj] = (Bᵀ·d·B)[ξ] over x [n, c, h, w], d the
   * 4×4 tile at rows 2ti − 1…, columns 2tj − 1… (zero padding 1), th = ⌈h/2⌉, tw = ⌈w/2⌉
   * (v: 16·c·n·th·tw).
   */
  winogradInput(x: FloatArray, n: number, c: number, h: number, w: number, v: FloatArray): void;
  /**
   * Its output transform: y[s, o, 2ti + a, 2tj + b] = (Aᵀ·m·A)[a][b] (`accumulate`: +=) for the
   * positions inside y [n, c, h, w], from M[ξ][o][tile] = Σᵢ U[ξ][o][i]·V[ξ][i][tile] (16 gemms).
   */
  winogradOutput(m: FloatArray, n: number, c: number, h: number, w: number, y: FloatArray, accumulate: boolean): void;
  /** Max pooling of x: [planes, h, w] into out: [planes, oh, ow]; argmax: each window's winner as an index into its plane (the first maximum in scan order; a window holding NaN gives NaN and its last NaN, as PyTorch's CPU kernel). */
  maxPool2dForward(x: FloatArray, planes: number, g: PoolGeometry, out: FloatArray, argmax: Int32Array): void;
  /** gx[p, argmax[p, o]] += gy[p, o]; `assign`: each plane of gx zeroed first (as it is written). */
  maxPool2dBackward(gy: FloatArray, argmax: Int32Array, planes: number, g: PoolGeometry, gx: FloatArray, assign?: boolean): void;
  /**
   * Average pooling of x: [planes, h, w] into out: [planes, oh, ow]: the in-bounds sum divided by
   * the window clipped to the padded extent (`countIncludePad`) or by its in-bounds count.
   */
  avgPool2dForward(x: FloatArray, planes: number, g: PoolGeometry, countIncludePad: boolean, out: FloatArray): void;
  /** gx += each gy spread evenly (over the same divisor) on its window's in-bounds elements. */
  avgPool2dBackward(gy: FloatArray, planes: number, g: PoolGeometry, countIncludePad: boolean, gx: FloatArray): void;
  /** Adaptive average pooling of x: [planes, h, w] into out: [planes, oh, ow] (cell i: rows ⌊i·h/oh⌋ … ⌈(i+1)·h/oh⌉ − 1). */
  adaptiveAvgPool2dForward(x: FloatArray, planes: number, h: number, w: number, oh: number, ow: number, out: FloatArray): void;
  /** gx += each gy spread evenly over its cell's window. */
  adaptiveAvgPool2dBackward(gy: FloatArray, planes: number, h: number, w: number, oh: number, ow: number, gx: FloatArray): void;
  // ---- recurrent cells (kernels/js/rnn.ts): one step's gates for `rows` strided rows ----

  /** LSTM step: `gates` (pre-activations i, f, g, o) → activations in place; c = f·cPrev + i·g, h = o·tanh(c). cPrev null = 0. */
  lstmCellForward(
    rows: number, hidden: number, gates: FloatArray, gOff: number, gStride: number,
    cPrev: FloatArray | null, cpOff: number, cpStride: number,
    c: FloatArray, cOff: number, cStride: number, h: FloatArray, hOff: number, hStride: number,
  ): void;
  /** LSTM step backward: dGates (laid out as gates, overwritten) from dh = dhOut + dh, dc in/out (`[rows, hidden]`: c's gradient in, cPrev's out). */
  lstmCellBackward(
    rows: number, hidden: number, gates: FloatArray, gOff: number, gStride: number,
    cPrev: FloatArray | null, cpOff: number, cpStride: number, c: FloatArray, cOff: number, cStride: number,
    dhOut: FloatArray | null, dhoOff: number, dhoStride: number, dh: FloatArray, dc: FloatArray, dGates: FloatArray,
  ): void;
  /** GRU step: gx (x·W_ihᵀ + b_ih) → r, z, n in place, gh = hPrev·W_hhᵀ + b_hh; h = (1 − z)·n + z·hPrev. hPrev null = 0. */
  gruCellForward(
    rows: number, hidden: number, gx: FloatArray, gxOff: number, gxStride: number, gh: FloatArray, ghOff: number, ghStride: number,
    hPrev: FloatArray | null, hpOff: number, hpStride: number, h: FloatArray, hOff: number, hStride: number,
  ): void;
  /** GRU step backward: dGx (laid out as gx) and dGh (`[rows, 3·hidden]`) overwritten; dh (`[rows, hidden]`) in: h's recurrent gradient, out: z·dh. */
  gruCellBackward(
    rows: number, hidden: number, gx: FloatArray, gxOff: number, gxStride: number, gh: FloatArray, ghOff: number, ghStride: number,
    hPrev: FloatArray | null, hpOff: number, hpStride: number, dhOut: FloatArray | null, dhoOff: number, dhoStride: number,
    dh: FloatArray, dGx: FloatArray, dGh: FloatArray,
  ): void;
}
