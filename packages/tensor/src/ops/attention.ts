/**
 * Fused scaled dot-product attention (PyTorch 2's `F.scaled_dot_product_attention`): the
 * scores, the masked softmax and the weighted sum of each (batch, head) in one pass over gemm
 * calls with offsets, and the backward the same way in one closure.
 */
import { Tensor, fromOp, freshGradSlot, gradSlot, formatShape, isGradEnabled, type FloatArray, type TensorData } from "../tensor.js";
import { allocEmptyLike, allocFloat64, allocLike } from "../arena.js";
import { gemm, kernels } from "../kernels/backend.js";
import { expRow } from "../kernels/js/attention.js";

export interface AttentionOptions {
  /**
   * Query i attends to keys j ≤ i only: PyTorch's `is_causal`, whose mask is `ones(T, S).tril()`,
   * aligned top-left when T ≠ S. Not together with `attnMask`. Default false.
   */
  isCausal?: boolean;
  /** Factor on q·kᵀ before the softmax. Default `1/sqrt(D)`. */
  scale?: number | null;
  /**
   * Broadcastable to `[..., T, S]`: int32 (PyTorch's bool mask: nonzero = may attend, 0 = masked)
   * or float (added to the scaled scores; `−∞` masks; gets a gradient if it requires one).
   */
  attnMask?: Tensor<TensorData> | null;
  /** Only 0: dropout on the attention weights is not supported yet (anything else throws). */
  dropoutP?: number;
}

const OP = "scaledDotProductAttention";

/**
 * Query rows per block when causal: a block's gemms stop at its last visible key (at T = S = 256
 * that skips 7/16 of the gemm work). Blocks of 16, 32, 48, 64, 96, 128 and all rows compared,
 * forward + backward at B·H = 8, T = 128 and 256, D = 16 … 64 (wasm backend, CPU-time medians):
 * 32 was the fastest or within 3% of it in all six (T = 256, D = 64: 20.5 ms; 64 rows 25.9;
 * one block 33.2). Small blocks pay more gemm calls and operand packing, big ones skip less.
 */
const CAUSAL_ROWS = 32;

// ---- the mask, as the rows read it ----
interface Mask {
  /** 0 none, 1 boolean (int32: 0 = masked), 2 additive (float). */
  kind: 0 | 1 | 2;
  data: FloatArray | Int32Array | null;
  /** Element strides over q's leading dims (0 where broadcast), then along T and S. */
  lead: number[];
  rowStride: number;
  colStride: number;
}

function planMask(mask: Tensor<TensorData> | null | undefined, lead: readonly number[], t: number, s: number): Mask {
  if (mask === null || mask === undefined) return { kind: 0, data: null, lead: lead.map(() => 0), rowStride: 0, colStride: 0 };
  if (!(mask instanceof Tensor)) throw new Error(`${OP}: attnMask must be a Tensor (int32 for a boolean mask, or float), got ${typeof mask}`);
  const target = [...lead, t, s];
  const shape = mask.shape;
  if (shape.length > target.length) {
    throw new Error(`${OP}: attnMask of shape ${formatShape(shape)} has more dimensions than the attention weights ${formatShape(target)}`);
  }
  const strides = new Array<number>(target.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const at = target.length - shape.length + i;
    if (shape[i] !== 1 && shape[i] !== target[at]) {
      throw new Error(`${OP}: attnMask of shape ${formatShape(shape)} cannot be broadcast to the attention weights ${formatShape(target)} ([..., T, S])`);
    }
    strides[at] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  // An int32 tensor is a Tensor whose data is an Int32Array (the int32 dtype being added in issue 11).
  const data = mask.data as FloatArray | Int32Array;
  const kind = data instanceof Int32Array ? 1 : 2;
  return { kind, data, lead: strides.slice(0, lead.length), rowStride: strides[lead.length], colStride: strides[lead.length + 1] };
}

/** Offset into the mask of head `h` (flat over the leading dims). */
function maskHeadOffset(m: Mask, lead: readonly number[], h: number): number {
  let off = 0;
  for (let d = lead.length - 1; d >= 0 && h > 0; d--) {
    off += (h % lead[d]) * m.lead[d];
    h = Math.floor(h / lead[d]);
  }
  return off;
}

/**
 * Applies an explicit mask to scores s[o, o + n) of one query row (mask row at `mo`): a boolean
 * mask's zeros become −∞, an additive mask is added. Returns the row's max (−∞: every key masked).
 */
function maskRow(s: FloatArray, o: number, n: number, m: Mask, mo: number): number {
  let max = -Infinity;
  const mc = m.colStride;
  if (m.kind === 1) {
    const md = m.data as Int32Array;
    for (let j = 0; j < n; j++) {
      if (md[mo + j * mc] === 0) s[o + j] = -Infinity;
      else { const v = s[o + j]; if (v > max) max = v; }
    }
  } else {
    const md = m.data as FloatArray;
    for (let j = 0; j < n; j++) { const v = (s[o + j] += md[mo + j * mc]); if (v > max) max = v; }
  }
  return max;
}

/**
 * Scaled dot-product attention, `softmax(q·kᵀ·scale + M)·v` over the last dim, as PyTorch 2's
 * `torch.nn.functional.scaled_dot_product_attention` (without dropout):
 * q `[..., T, D]`, k `[..., S, D]`, v `[..., S, Dv]` → `[..., T, Dv]`. The leading dims (batch,
 * heads: none, one or more) must be equal — no broadcasting of them and no grouped-query heads.
 * q, k and v share one float dtype.
 *
 * - `scale`: default `1/sqrt(D)`.
 * - `isCausal`: query i sees keys j ≤ i — PyTorch's top-left aligned `tril` mask, also when
 *   T ≠ S (for T < S that is not the bottom-right alignment a KV cache wants: pass a mask for
 *   that). An error together with `attnMask`, as in PyTorch.
 * - `attnMask`, broadcastable to `[..., T, S]`: an int32 tensor is PyTorch's boolean mask
 *   (nonzero: the key takes part; 0: masked); a float tensor is added to the scaled scores and,
 *   if it requires grad, gets the scores' gradient (summed over its broadcast dims).
 * - A query row whose every key is masked gives output 0 and passes no gradient, as PyTorch ≥ 2.5
 *   does (`_safe_softmax`; PyTorch 2.0–2.4 gave NaN).
 * - `dropoutP`: not supported yet; anything but 0 throws.
 *
 * Fused: per (batch, head) one gemm (`scale` as its alpha) writes the scores, the rows are masked
 * and exponentiated in place, one gemm multiplies them with v and each output row is divided by
 * its sum — float32 on the wasm SIMD gemm under the wasm backend. With `isCausal`, query blocks
 * of 32 rows stop their gemms at their last visible key. Without an explicit mask the row passes
 * are the kernels `attentionRowsForward` / `attentionRowsBackward` (wasm SIMD in the engine's
 * step arena, where the char-LM spent ≈ 10% of its step in their JS loops).
 *
 * What the backward keeps: E = exp(scores − row max), the unnormalised probabilities
 * `[..., T, S]` in q's dtype, and 1/Σⱼ E per row `[..., T]` (float64) — the probabilities up to
 * a row scale; it also reads q, k, v and the output. Without a backward to come (no input
 * requires grad, or inside `noGrad`) E lives in one block's scratch, reused across heads.
 * Chosen by measurement over keeping only the row log-sum-exp and recomputing each head's P in
 * the backward (flash-attention style: one gemm and one exp pass more, a per-head scratch
 * instead of `[..., T, S]`): keeping E was 1.1–1.6× faster forward + backward at B·H = 8,
 * T = 32…256, D = 16…64 (on a CPU the exps are the costly part of a row), and one `[T, S]` per
 * head is less than the unfused ops keep (scores, scaled scores, probabilities).
 *
 * Backward, with dO the output's gradient: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P∘(dP − rowsum(dO∘O)),
 * dQ = scale·dS·K, dK = scale·dSᵀ·Q, accumulated (`+=`, gemm's beta = 1) straight into the
 * gradient slots of the inputs that require grad; nothing is computed for the others.
 *
 * The exp: in the js kernels for float32 a table and a cubic, Math.exp's float32 result or one ulp
 * off; Math.exp for float64; Cephes expf (a few ulps) in the wasm kernels.
 *
 * @example
 * const q = randn([2, 4, 16, 8], rng, { requiresGrad: true });     // [B, H, T, D]; k, v likewise
 * const y = scaledDotProductAttention(q, k, v, { isCausal: true }); // [B, H, T, Dv]
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const { isCausal = false, attnMask = null, dropoutP = 0 } = options;
  for (const [name, x] of [["q", q], ["k", k], ["v", v]] as const) {
    if (!(x instanceof Tensor)) throw new Error(`${OP}: ${name} must be a Tensor`);
    if (!(x.data instanceof Float32Array || x.data instanceof Float64Array)) {
      throw new Error(`${OP}: ${name} must be a float tensor, got ${Object.prototype.toString.call(x.data)}`);
    }
    if (x.ndim < 2) throw new Error(`${OP}: ${name} must have at least 2 dimensions ([..., L, E]), got shape ${formatShape(x.shape)}`);
  }
  if (k.data.constructor !== q.data.constructor || v.data.constructor !== q.data.constructor) {
    throw new Error(`${OP}: q, k and v must have the same dtype, got ${q.dtype}, ${k.dtype} and ${v.dtype}`);
  }
  if (typeof dropoutP !== "number" || dropoutP !== 0) {
    throw new Error(`${OP}: dropoutP = ${String(dropoutP)} is not supported yet (only 0); apply dropout to the output instead`);
  }
  if (typeof isCausal !== "boolean") throw new Error(`${OP}: isCausal must be a boolean, got ${String(isCausal)}`);
  if (isCausal && attnMask !== null && attnMask !== undefined) {
    throw new Error(`${OP}: attnMask and isCausal cannot be set together (as in PyTorch): fold the causal mask into attnMask`);
  }
  const r = q.ndim;
  const T = q.shape[r - 2], D = q.shape[r - 1];
  const S = k.shape[r - 2], Dv = v.shape[r - 1];
  const lead = q.shape.slice(0, r - 2);
  const sameLead = (x: Tensor): boolean => x.ndim === r && lead.every((d, i) => x.shape[i] === d);
  if (!sameLead(k) || !sameLead(v) || k.shape[r - 1] !== D || v.shape[r - 2] !== S) {
    throw new Error(
      `${OP}: expected q [..., T, D], k [..., S, D], v [..., S, Dv] with the same leading dims, got q ${formatShape(q.shape)}, k ${formatShape(k.shape)}, v ${formatShape(v.shape)}`,
    );
  }
  const scale = options.scale ?? 1 / Math.sqrt(D);
  if (typeof scale !== "number" || Number.isNaN(scale)) throw new Error(`${OP}: scale must be a number, got ${String(options.scale)}`);
  const mask = planMask(attnMask, lead, T, S);

  const heads = lead.reduce((a, d) => a * d, 1);
  const qd = q.data, kd = k.data, vd = v.data;
  const out = allocLike(qd, heads * T * Dv);
  const rowsPer = isCausal ? Math.min(CAUSAL_ROWS, T) : T;
  // E for the backward — or, when there will be none (inference), one block's scratch.
  const keep = isGradEnabled() && (q.requiresGrad || k.requiresGrad || v.requiresGrad || (attnMask?.requiresGrad ?? false));
  // Each block's gemm writes the [rows × keys] the rest reads: no zero-fill.
  const e = allocEmptyLike(qd, (keep ? heads * T : rowsPer) * S);
  const inv = allocFloat64(heads * T); // 1 / Σⱼ E per query row (0 for a row with every key masked)

  for (let h = 0; h < heads; h++) {
    const qo = h * T * D, ko = h * S * D, vo = h * S * Dv, oo = h * T * Dv;
    const mh = mask.kind === 0 ? 0 : maskHeadOffset(mask, lead, h);
    for (let i0 = 0; i0 < T; i0 += rowsPer) {
      const rows = Math.min(rowsPer, T - i0);
      const keys = isCausal ? Math.min(i0 + rows, S) : S;
      if (keys === 0) continue; // no keys: the rows stay 0
      const eo = keep ? (h * T + i0) * S : 0;
      gemm(false, true, rows, keys, D, scale, qd, qo + i0 * D, D, kd, ko, D, 0, e, eo, S);
      if (mask.kind === 0) {
        kernels().attentionRowsForward(e, eo, rows, keys, S, i0, isCausal, inv, h * T + i0);
      } else {
        for (let i = 0; i < rows; i++) {
          const row = i0 + i, o = eo + i * S;
          const shift = maskRow(e, o, keys, mask, mh + row * mask.rowStride);
          if (shift === -Infinity) e.fill(0, o, o + keys); // every key masked: weights 0, as PyTorch's _safe_softmax
          else inv[h * T + row] = 1 / expRow(e, o, keys, shift);
        }
      }
      gemm(false, false, rows, Dv, keys, 1, e, eo, S, vd, vo, Dv, 0, out, oo + i0 * Dv, Dv);
      for (let i = 0; i < rows; i++) {
        const f = inv[h * T + i0 + i], o = oo + (i0 + i) * Dv;
        for (let c = o; c < o + Dv; c++) out[c] *= f;
      }
    }
  }

  const inputs = attnMask ? [q, k, v, attnMask] : [q, k, v];
  // The backward reads q, k, v, the mask and `out` (rowsum(dO∘O)): all are checked for in-place changes.
  return fromOp(out, [...lead, T, Dv], inputs as Tensor<TensorData>[], (g) => {
    // A first producer's slot (freshGradSlot) is written by beta-0 gemms instead of zero-filled:
    // dQ's rows are each block's own (S > 0: every block has keys); dK and dV only when one
    // block covers every key (later blocks add to the first ones' rows).
    const fq = S > 0 ? freshGradSlot(q) : null;
    const whole = S > 0 && rowsPer >= T && (!isCausal || T >= S);
    const fk = whole ? freshGradSlot(k) : null, fv = whole ? freshGradSlot(v) : null;
    const sq = fq ?? gradSlot(q), sk = fk ?? gradSlot(k), sv = fv ?? gradSlot(v);
    const bq = fq ? 0 : 1, bk = fk ? 0 : 1, bv = fv ? 0 : 1;
    const sm = mask.kind === 2 ? gradSlot(attnMask as Tensor) : null;
    // dP, then dS (the gemm writes each block's [rows × keys], all that is read); dO scaled by 1/Σ.
    const ds = sq !== null || sk !== null || sm !== null ? allocEmptyLike(qd, rowsPer * S) : null;
    const gs = sv !== null ? allocEmptyLike(qd, rowsPer * Dv) : null;
    for (let h = 0; h < heads; h++) {
      const qo = h * T * D, ko = h * S * D, vo = h * S * Dv, oo = h * T * Dv;
      const mh = mask.kind === 0 ? 0 : maskHeadOffset(mask, lead, h);
      for (let i0 = 0; i0 < T; i0 += rowsPer) {
        const rows = Math.min(rowsPer, T - i0);
        const keys = isCausal ? Math.min(i0 + rows, S) : S;
        if (keys === 0) continue;
        const eo = (h * T + i0) * S, go = oo + i0 * Dv;
        if (sv && gs) {
          // dV += Pᵀ·dO = Eᵀ·(dO / Σ)
          for (let i = 0; i < rows; i++) {
            const f = inv[h * T + i0 + i];
            for (let c = 0; c < Dv; c++) gs[i * Dv + c] = g[go + i * Dv + c] * f;
          }
          gemm(true, false, keys, Dv, rows, 1, e, eo, S, gs, 0, Dv, bv, sv, vo, Dv);
        }
        if (ds === null) continue;
        // dP = dO·Vᵀ, then dS = P∘(dP − rowsum(dO∘O)) over it.
        gemm(false, true, rows, keys, Dv, 1, g, go, Dv, vd, vo, Dv, 0, ds, 0, S);
        if (sm === null) kernels().attentionRowsBackward(e, eo, ds, rows, keys, S, g, go, out, Dv, inv, h * T + i0);
        else for (let i = 0; i < rows; i++) {
          let dot = 0;
          for (let c = go + i * Dv; c < go + (i + 1) * Dv; c++) dot += g[c] * out[c];
          const f = inv[h * T + i0 + i], o = i * S, oe = eo + i * S;
          for (let j = 0; j < keys; j++) ds[o + j] = f * e[oe + j] * (ds[o + j] - dot);
          if (sm) {
            const mo = mh + (i0 + i) * mask.rowStride, mc = mask.colStride;
            for (let j = 0; j < keys; j++) sm[mo + j * mc] += ds[o + j];
          }
        }
        // dQ += scale·dS·K, dK += scale·dSᵀ·Q
        if (sq) gemm(false, false, rows, D, keys, scale, ds, 0, S, kd, ko, D, bq, sq, qo + i0 * D, D);
        if (sk) gemm(true, false, keys, D, rows, scale, ds, 0, S, qd, qo + i0 * D, D, bk, sk, ko, D);
      }
    }
  }, inputs as Tensor<TensorData>[], true);
}
