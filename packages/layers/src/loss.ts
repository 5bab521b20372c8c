/**
 * Losses, each one fused op with its clean closed-form gradient and a numerically stable
 * forward: softmax + cross-entropy → p − q; sigmoid + BCE → σ(z) − y.
 */
import { Tensor, allocFloat64, allocLike, formatShape, fromOp, gradSlot, kernels, permute, reshape, type FloatArray, type TensorData } from "@weft/tensor";

export type Reduction = "mean" | "sum" | "none";

export interface LossOptions {
  reduction?: Reduction;
}

function checkReduction(name: string, r: Reduction): void {
  if (r !== "mean" && r !== "sum" && r !== "none") throw new Error(`${name}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(r)}`);
}

function sameShape(name: string, input: Tensor, target: Tensor): void {
  if (input.shape.length !== target.shape.length || input.shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(`${name}: target shape ${formatShape(target.shape)} must equal the input shape ${formatShape(input.shape)}`);
  }
}

/**
 * Builds the loss op from per-element losses `l` and per-element clean gradients `d`
 * (dl/dinput): mean/sum reduce to a scalar, none keeps one loss per element (or row).
 */
function reduce(input: Tensor, l: Float64Array, d: FloatArray, reduction: Reduction, lossShape: readonly number[]): Tensor {
  const alloc = (n: number): FloatArray => allocLike(input.data, n);
  const per = d.length / l.length;
  if (reduction === "none") {
    const out = alloc(l.length);
    out.set(l);
    return fromOp(out, lossShape, [input], (g) => {
      const s = gradSlot(input);
      if (s) for (let i = 0; i < d.length; i++) s[i] += g[Math.floor(i / per)] * d[i];
    });
  }
  let total = 0;
  for (let i = 0; i < l.length; i++) total += l[i];
  const scale = reduction === "mean" ? 1 / l.length : 1;
  const out = alloc(1);
  out[0] = total * scale;
  return fromOp(out, [], [input], (g) => {
    const s = gradSlot(input);
    if (!s) return;
    const k = g[0] * scale;
    for (let i = 0; i < d.length; i++) s[i] += k * d[i];
  });
}

/** Mean squared error; input and target of the same shape. */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = options.reduction ?? "mean";
  checkReduction("mseLoss", reduction);
  sameShape("mseLoss", input, target);
  const n = input.size;
  const l = allocFloat64(n);
  const d = allocFloat64(n);
  for (let i = 0; i < n; i++) {
    const e = input.data[i] - target.data[i];
    l[i] = e * e;
    d[i] = 2 * e;
  }
  return reduce(input, l, d, reduction, input.shape);
}

/**
 * Binary cross-entropy on probabilities in [0, 1]. As PyTorch, each log is clamped at −100 and
 * the gradient's denominator p(1 − p) at 1e-12, so p = 0 or 1 stays finite.
 */
export function bceLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = options.reduction ?? "mean";
  checkReduction("bceLoss", reduction);
  sameShape("bceLoss", input, target);
  const n = input.size;
  const l = allocFloat64(n);
  const d = allocFloat64(n);
  for (let i = 0; i < n; i++) {
    const p = input.data[i];
    const y = target.data[i];
    if (!(p >= 0 && p <= 1)) throw new Error(`bceLoss: input element ${i} is ${p}; inputs must be probabilities in [0, 1] (use bceWithLogitsLoss for logits)`);
    l[i] = -(y * Math.max(Math.log(p), -100) + (1 - y) * Math.max(Math.log(1 - p), -100));
    d[i] = (p - y) / Math.max(p * (1 - p), 1e-12);
  }
  return reduce(input, l, d, reduction, input.shape);
}

/** Sigmoid + BCE on logits, stable for any z: max(z, 0) − z·y + log(1 + e^−|z|); gradient σ(z) − y. */
export function bceWithLogitsLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = options.reduction ?? "mean";
  checkReduction("bceWithLogitsLoss", reduction);
  sameShape("bceWithLogitsLoss", input, target);
  const n = input.size;
  const l = allocFloat64(n);
  const d = allocFloat64(n);
  for (let i = 0; i < n; i++) {
    const z = input.data[i];
    const y = target.data[i];
    const e = Math.exp(-Math.abs(z));
    l[i] = Math.max(z, 0) - z * y + Math.log1p(e);
    d[i] = (z >= 0 ? 1 / (1 + e) : e / (1 + e)) - y;
  }
  return reduce(input, l, d, reduction, input.shape);
}

export interface CrossEntropyOptions extends LossOptions {
  /** ε: the target becomes (1 − ε)·target + ε/C, as torch's label_smoothing. */
  labelSmoothing?: number;
}

/**
 * Softmax cross-entropy on logits, in PyTorch's layouts: `[N, C]`, `[C]` (one sample) or
 * `[N, C, d1, …]` (the class dim second, e.g. per pixel). `target` is class indices (Int32Array,
 * number[] or an int or float tensor of shape `[N]`, `[]`, `[N, d1, …]`) or class probabilities
 * (a float tensor of the input's shape). Gradient per row: softmax − q. With `reduction: "none"`
 * the result has the target's shape (`[N, d1, …]`).
 */
export function crossEntropyLoss(input: Tensor, target: Tensor<TensorData> | Int32Array | readonly number[], options: CrossEntropyOptions = {}): Tensor {
  if (input.ndim !== 2) return crossEntropyOtherLayouts(input, target, options);
  return crossEntropyRows2d(input, target as Tensor | Int32Array | readonly number[], options);
}

/** `[C]` and `[N, C, d1, …]` as rows of `[N·d1·…, C]` (the class dim moved last), then the result shaped back. */
function crossEntropyOtherLayouts(input: Tensor, target: Tensor<TensorData> | Int32Array | readonly number[], options: CrossEntropyOptions): Tensor {
  if (input.ndim === 0) throw new Error("crossEntropyLoss: input must be logits of shape [N, C], [C] or [N, C, d1, …], got a scalar");
  const reduction = options.reduction ?? "mean";
  const targetShape = target instanceof Tensor ? target.shape : [target.length];
  const probs = target instanceof Tensor && target.isFloat && target.ndim === input.ndim && target.shape.every((d, i) => d === input.shape[i]);
  if (input.ndim === 1) {
    const C = input.shape[0];
    if (probs) return reshape(crossEntropyRows2d(reshape(input, [1, C]), reshape(target as Tensor, [1, C]), options), []);
    const n = target instanceof Tensor ? target.size : target.length;
    if (n !== 1) throw new Error(`crossEntropyLoss: for logits of shape [${C}] (one sample) the class-index target must be one class, got shape ${formatShape(targetShape)}`);
    const t = target instanceof Tensor ? [target.data[0]] : [target[0]];
    return reshape(crossEntropyRows2d(reshape(input, [1, C]), t, options), []);
  }
  const C = input.shape[1];
  const perm = [0, ...input.shape.slice(2).map((_, i) => i + 2), 1];
  const rows = reshape(permute(input, perm), [-1, C]);
  const spatial = [input.shape[0], ...input.shape.slice(2)];
  if (probs) {
    const out = crossEntropyRows2d(rows, reshape(permute(target as Tensor, perm), [-1, C]), options);
    return reduction === "none" ? reshape(out, spatial) : out;
  }
  const same = targetShape.length === spatial.length && targetShape.every((d, i) => d === spatial[i]);
  if (!same) {
    throw new Error(`crossEntropyLoss: for logits of shape ${formatShape(input.shape)} (classes on dim 1) the class-index target must have shape ${formatShape(spatial)}, got ${formatShape(targetShape)}`);
  }
  const indices = target instanceof Tensor ? target.data : target;
  const out = crossEntropyRows2d(rows, indices instanceof Float32Array || indices instanceof Float64Array ? Array.from(indices) : indices, options);
  return reduction === "none" ? reshape(out, spatial) : out;
}

/** Cross-entropy over the rows of logits [N, C]. */
function crossEntropyRows2d(input: Tensor, target: Tensor | Int32Array | readonly number[], options: CrossEntropyOptions): Tensor {
  const reduction = options.reduction ?? "mean";
  checkReduction("crossEntropyLoss", reduction);
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new Error(`crossEntropyLoss: labelSmoothing must be in [0, 1], got ${eps}`);
  const rows = input.shape[0], classes = input.shape[1];
  let indices: ArrayLike<number> | null = null;
  let probs: FloatArray | null = null;
  if (target instanceof Tensor && target.ndim === 2) {
    sameShape("crossEntropyLoss", input, target);
    probs = target.data;
  } else {
    indices = target instanceof Tensor ? target.data : target;
    const shape = target instanceof Tensor ? target.shape : [indices.length];
    if (shape.length !== 1 || indices.length !== rows) {
      throw new Error(`crossEntropyLoss: class-index target must have shape [${rows}] (one class per row of the input ${formatShape(input.shape)}), got ${formatShape(shape)}`);
    }
    for (let r = 0; r < rows; r++) {
      const c = indices[r];
      if (!Number.isInteger(c) || c < 0 || c >= classes) {
        throw new Error(`crossEntropyLoss: target ${r} is class ${c}, out of range for ${classes} classes (expected an integer in [0, ${classes - 1}])`);
      }
    }
  }
  const l = allocFloat64(rows);
  const d = allocFloat64(rows * classes);
  const x = input.data;
  // The kernels' softmax + cross-entropy rows (@weft/tensor's kernels/js/cross-entropy.ts; under
  // the wasm backend, for float32 logits, the same loop in wasm — its exp and log are fdlibm's, as
  // V8's, so l and d are the same bits). Measured 30 → 17 µs a call at [128, 10], 236 → 130 µs at
  // [1024, 10] (class indices), 21 → 11 ms at [1024, 1000] (probability targets; 2-vCPU dev
  // machine): two exps per element dominate; wasm runs them two at a time.
  if (indices) kernels().crossEntropy(x, rows, classes, indices, eps, l, d);
  else kernels().crossEntropyProbs(x, rows, classes, probs!, eps, l, d);
  return reduce(input, l, d, reduction, [rows]);
}
