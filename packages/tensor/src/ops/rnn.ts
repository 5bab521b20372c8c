/**
 * Whole-sequence LSTM and GRU layers (one direction, one layer), as the single-layer core of
 * PyTorch's `_VF.lstm` / `_VF.gru`: one op a sequence, so the graph holds one node however long
 * the sequence. Forward: one gemm projects every step's input (`x·W_ihᵀ + b`), then per step one
 * gemm adds `h·W_hhᵀ` and one fused cell kernel (kernels().lstmCellForward / gruCellForward) does
 * the gates in place. Backward (BPTT), per step in reverse: the fused cell backward, then one gemm
 * for the recurrent gradient and one for dW_hh; after the loop one gemm each for dW_ih and dx.
 * Every buffer comes from the step arena (allocLike): nothing is allocated per step.
 */
import { Tensor, fromOp, gradSlot, formatShape, type FloatArray } from "../tensor.js";
import { allocLike } from "../arena.js";
import { requireFloat } from "../dtype-check.js";
import { kernels } from "../kernels/backend.js";
import { narrow } from "./slice.js";
import { reshape } from "./shape.js";

export interface RnnOptions {
  /** x is `[B, T, I]` and the output `[B, T, H]` (default false: `[T, B, I]` → `[T, B, H]`, as PyTorch). */
  batchFirst?: boolean;
  /** Run from the last step to the first: the reverse direction of a bidirectional layer. */
  reverse?: boolean;
}

/** An RNN's result: the hidden state of every step and the final states (`[B, H]`, after the last step run). */
export interface RnnResult {
  /** `[B, T, H]` (batchFirst) or `[T, B, H]`. */
  output: Tensor;
  /** The final hidden state `[B, H]`. */
  h: Tensor;
}

export interface LstmResult extends RnnResult {
  /** The final cell state `[B, H]`. */
  c: Tensor;
}

/** Shapes, strides and the step order of one sequence op. */
interface Plan {
  B: number;
  T: number;
  I: number;
  H: number;
  /** Rows (of the flat `[B·T, ·]` buffers) between one batch entry and the next within a step. */
  rowStep: number;
  batchFirst: boolean;
  reverse: boolean;
}

/** The row of step t's first batch entry. */
const stepRow = (p: Plan, t: number): number => (p.batchFirst ? t : t * p.B);
/** The step run s-th (s = 0 … T−1). */
const stepAt = (p: Plan, s: number): number => (p.reverse ? p.T - 1 - s : s);

function plan(op: string, gates: number, x: Tensor, h0: Tensor | null, wIh: Tensor, wHh: Tensor, bIh: Tensor | null, bHh: Tensor | null, c0: Tensor | null, options: RnnOptions): Plan {
  const named: [string, Tensor | null][] = [["x", x], ["h0", h0], ["c0", c0], ["weightIh", wIh], ["weightHh", wHh], ["biasIh", bIh], ["biasHh", bHh]];
  for (const [name, t] of named) {
    if (t === null) continue;
    if (!(t instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor`);
    requireFloat(t, op, name);
    if (t.data.constructor !== x.data.constructor) throw new Error(`${op}: ${name} is ${t.dtype} but x is ${x.dtype}: every argument must have x's dtype`);
  }
  if (x.ndim !== 3) throw new Error(`${op}: x must be 3-D ([B, T, inputSize] with batchFirst, else [T, B, inputSize]), got shape ${formatShape(x.shape)}`);
  const batchFirst = options.batchFirst ?? false;
  const B = batchFirst ? x.shape[0] : x.shape[1];
  const T = batchFirst ? x.shape[1] : x.shape[0];
  const I = x.shape[2];
  if (wIh.ndim !== 2 || wIh.shape[0] % gates !== 0 || wIh.shape[1] !== I) {
    throw new Error(`${op}: weightIh must be [${gates}·hiddenSize, ${I}] (x has ${I} features), got ${formatShape(wIh.shape)}`);
  }
  const H = wIh.shape[0] / gates;
  const expect = (name: string, t: Tensor | null, shape: number[]): void => {
    if (t !== null && (t.ndim !== shape.length || t.shape.some((d, i) => d !== shape[i]))) {
      throw new Error(`${op}: ${name} must be ${formatShape(shape)} (hiddenSize ${H}, batch ${B}), got ${formatShape(t.shape)}`);
    }
  };
  expect("weightHh", wHh, [gates * H, H]);
  expect("biasIh", bIh, [gates * H]);
  expect("biasHh", bHh, [gates * H]);
  expect("h0", h0, [B, H]);
  expect("c0", c0, [B, H]);
  return { B, T, I, H, rowStep: batchFirst ? T : 1, batchFirst, reverse: options.reverse ?? false };
}

/** The final hidden state: the output at the step run last. */
function lastHidden(p: Plan, y: Tensor): Tensor {
  const t = stepAt(p, p.T - 1);
  return reshape(narrow(y, p.batchFirst ? 1 : 0, t, 1), [p.B, p.H]);
}

/** d(x·W_ihᵀ + b) for every step at once: dW_ih += dGᵀ·x, dx += dG·W_ih, db += Σ_rows dG. */
function inputBackward(p: Plan, G: number, dG: FloatArray, x: Tensor, wIh: Tensor, bIh: Tensor | null): void {
  const N = p.B * p.T, k = kernels();
  const sw = gradSlot(wIh), sx = gradSlot(x), sb = bIh ? gradSlot(bIh) : null;
  if (sw) k.gemm(true, false, G, p.I, N, 1, dG, 0, G, x.data, 0, p.I, 1, sw, 0, p.I);
  if (sx) k.gemm(false, false, N, p.I, G, 1, dG, 0, G, wIh.data, 0, p.I, 1, sx, 0, p.I);
  if (sb) k.columnSum(dG, N, G, sb);
}

/**
 * One LSTM layer over a whole sequence, PyTorch's gate order `i, f, g, o` (the rows of the weights):
 * `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')`, from `h0`, `c0` (`[B, H]`; null = zeros).
 * x `[B, T, I]` (batchFirst) or `[T, B, I]`; weightIh `[4H, I]`, weightHh `[4H, H]`, biases `[4H]` (or null).
 *
 * @example
 * const { output, h, c } = lstm(x, null, null, wIh, wHh, bIh, bHh, { batchFirst: true }); // output [B, T, H]
 */
export function lstm(
  x: Tensor, h0: Tensor | null, c0: Tensor | null, weightIh: Tensor, weightHh: Tensor,
  biasIh: Tensor | null, biasHh: Tensor | null, options: RnnOptions = {},
): LstmResult {
  const p = plan("lstm", 4, x, h0, weightIh, weightHh, biasIh, biasHh, c0, options);
  const { B, T, I, H, rowStep } = p;
  const N = B * T, G = 4 * H, k = kernels();
  const xd = x.data, whh = weightHh.data;
  // Both biases add to every gate: one vector, fused into the input projection.
  let bias: FloatArray | null = null;
  if (biasIh || biasHh) {
    bias = allocLike(xd, G);
    for (const b of [biasIh, biasHh]) if (b) for (let j = 0; j < G; j++) bias[j] += b.data[j];
  }
  const gates = allocLike(xd, N * G);
  k.gemm(false, true, N, G, I, 1, xd, 0, I, weightIh.data, 0, I, 0, gates, 0, G, bias, 0);
  const y = allocLike(xd, N * H), cs = allocLike(xd, N * H);
  const gS = rowStep * G, hS = rowStep * H;
  for (let s = 0; s < T; s++) {
    const t = stepAt(p, s), r = stepRow(p, t);
    const rp = s > 0 ? stepRow(p, stepAt(p, s - 1)) : 0;
    const hp = s > 0 ? y : h0?.data ?? null, cp = s > 0 ? cs : c0?.data ?? null;
    const pOff = rp * H, pS = s > 0 ? hS : H;
    if (hp) k.gemm(false, true, B, G, H, 1, hp, pOff, pS, whh, 0, H, 1, gates, r * G, gS);
    k.lstmCellForward(B, H, gates, r * G, gS, cp, pOff, pS, cs, r * H, hS, y, r * H, hS);
  }
  const lastRow = stepRow(p, stepAt(p, T - 1));
  const cLast = allocLike(xd, B * H);
  for (let b = 0; b < B; b++) cLast.set(cs.subarray((lastRow + b * rowStep) * H, (lastRow + b * rowStep + 1) * H), b * H);

  // c's gradient reaches the sequence node through a node of its own, run first (it reads output).
  let dcLast: FloatArray | null = null;
  const inputs = [x, weightIh, weightHh, ...[h0, c0, biasIh, biasHh].filter((t): t is Tensor => t !== null)];
  const output = fromOp(y, x.shape.slice(0, 2).concat(H), inputs, (g) => {
    const dG = allocLike(xd, N * G);
    const dh = allocLike(xd, B * H), dc = allocLike(xd, B * H);
    if (dcLast) dc.set(dcLast);
    dcLast = null;
    const sWhh = gradSlot(weightHh);
    const needsH0 = h0 !== null && h0.requiresGrad;
    for (let s = T - 1; s >= 0; s--) {
      const t = stepAt(p, s), r = stepRow(p, t);
      const rp = s > 0 ? stepRow(p, stepAt(p, s - 1)) : 0;
      const hp = s > 0 ? y : h0?.data ?? null, cp = s > 0 ? cs : c0?.data ?? null;
      const pOff = rp * H, pS = s > 0 ? hS : H;
      k.lstmCellBackward(B, H, gates, r * G, gS, cp, pOff, pS, cs, r * H, hS, g, r * H, hS, dh, dc, dG);
      if (s > 0 || needsH0) k.gemm(false, false, B, H, G, 1, dG, r * G, gS, whh, 0, H, 0, dh, 0, H);
      if (sWhh && hp) k.gemm(true, false, G, H, B, 1, dG, r * G, gS, hp, pOff, pS, 1, sWhh, 0, H);
    }
    addInto(h0, dh);
    addInto(c0, dc);
    inputBackward(p, G, dG, x, weightIh, biasIh);
    const sb = biasHh ? gradSlot(biasHh) : null;
    if (sb) k.columnSum(dG, N, G, sb);
  });
  const c = fromOp(cLast, [B, H], [output], (g) => {
    dcLast = g;
    gradSlot(output); // the sequence node runs even when only c is used
  });
  return { output, h: lastHidden(p, output), c };
}

/**
 * One GRU layer over a whole sequence, PyTorch's gate order `r, z, n`:
 * `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z` likewise, `n = tanh(W_in x + b_in + r·(W_hn h + b_hn))`,
 * `h' = (1 − z)·n + z·h`, from `h0` (`[B, H]`; null = zeros). Shapes as {@link lstm}, with 3H gate rows.
 *
 * @example
 * const { output, h } = gru(x, null, wIh, wHh, bIh, bHh, { batchFirst: true }); // output [B, T, H]
 */
export function gru(
  x: Tensor, h0: Tensor | null, weightIh: Tensor, weightHh: Tensor, biasIh: Tensor | null, biasHh: Tensor | null, options: RnnOptions = {},
): RnnResult {
  const p = plan("gru", 3, x, h0, weightIh, weightHh, biasIh, biasHh, null, options);
  const { B, T, I, H, rowStep } = p;
  const N = B * T, G = 3 * H, k = kernels();
  const xd = x.data, whh = weightHh.data, bhh = biasHh?.data ?? null;
  const gx = allocLike(xd, N * G), gh = allocLike(xd, N * G);
  k.gemm(false, true, N, G, I, 1, xd, 0, I, weightIh.data, 0, I, 0, gx, 0, G, biasIh?.data ?? null, 0);
  const y = allocLike(xd, N * H);
  const gS = rowStep * G, hS = rowStep * H;
  for (let s = 0; s < T; s++) {
    const t = stepAt(p, s), r = stepRow(p, t);
    const rp = s > 0 ? stepRow(p, stepAt(p, s - 1)) : 0;
    const hp = s > 0 ? y : h0?.data ?? null;
    const pOff = rp * H, pS = s > 0 ? hS : H;
    if (hp) k.gemm(false, true, B, G, H, 1, hp, pOff, pS, whh, 0, H, 0, gh, r * G, gS, bhh, 0);
    else if (bhh) for (let b = 0; b < B; b++) gh.set(bhh, r * G + b * gS);
    k.gruCellForward(B, H, gx, r * G, gS, gh, r * G, gS, hp, pOff, pS, y, r * H, hS);
  }
  const inputs = [x, weightIh, weightHh, ...[h0, biasIh, biasHh].filter((t): t is Tensor => t !== null)];
  const output = fromOp(y, x.shape.slice(0, 2).concat(H), inputs, (g) => {
    const dGx = allocLike(xd, N * G), dGh = allocLike(xd, B * G), dh = allocLike(xd, B * H);
    const sWhh = gradSlot(weightHh), sBhh = biasHh ? gradSlot(biasHh) : null;
    const needsH0 = h0 !== null && h0.requiresGrad;
    for (let s = T - 1; s >= 0; s--) {
      const t = stepAt(p, s), r = stepRow(p, t);
      const rp = s > 0 ? stepRow(p, stepAt(p, s - 1)) : 0;
      const hp = s > 0 ? y : h0?.data ?? null;
      const pOff = rp * H, pS = s > 0 ? hS : H;
      k.gruCellBackward(B, H, gx, r * G, gS, gh, r * G, gS, hp, pOff, pS, g, r * H, hS, dh, dGx, dGh);
      if (s > 0 || needsH0) k.gemm(false, false, B, H, G, 1, dGh, 0, G, whh, 0, H, 1, dh, 0, H);
      if (sWhh && hp) k.gemm(true, false, G, H, B, 1, dGh, 0, G, hp, pOff, pS, 1, sWhh, 0, H);
      if (sBhh) k.columnSum(dGh, B, G, sBhh);
    }
    addInto(h0, dh);
    inputBackward(p, G, dGx, x, weightIh, biasIh);
  });
  return { output, h: lastHidden(p, output) };
}

/** t's gradient slot += src (nothing when t is null or needs no gradient). */
function addInto(t: Tensor | null, src: FloatArray): void {
  const s = t ? gradSlot(t) : null;
  if (s) for (let i = 0; i < s.length; i++) s[i] += src[i];
}
