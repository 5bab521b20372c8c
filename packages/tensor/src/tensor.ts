// The Tensor methods call the functional ops in ops/; the import cycle is inert (used only at call time).
import * as ops from "./ops/index.js";
import { allocEmptyLike, allocLike } from "./arena.js";
import { formatTensor } from "./format.js";

/**
 * The Tensor: a contiguous row-major view over float or int32 data plus a shape, and the
 * define-by-run autograd that walks recorded ops in reverse topological order.
 */

/** Element storage of a float tensor: float32 for models, float64 for gradient checks. */
export type FloatArray = Float32Array | Float64Array;
/** Element storage of any tensor: float data, or int32 (indices, tokens, masks; no gradient). */
export type TensorData = FloatArray | Int32Array;
export type DType = "float32" | "float64" | "int32";

/** Backward rule of an op: receives dL/d(output) and accumulates into its inputs' grad slots. */
export type BackwardFn = (grad: FloatArray) => void;

let gradEnabled = true;

/** Whether ops currently record the graph (false inside {@link noGrad}). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording the autograd graph (like `torch.no_grad()`): results of ops
 * inside do not require grad. Restores the previous mode even when `fn` throws.
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Number of elements of a shape (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Formats a shape the way error messages print it: `[3, 2]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** The dtype of a storage array. */
export function dtypeOf(data: TensorData): DType {
  return data instanceof Float32Array ? "float32" : data instanceof Float64Array ? "float64" : "int32";
}

/** The version counter of a storage, shared by a tensor and the views of it (reshape, flatten, …). */
interface VersionBox {
  n: number;
}

/** What a node's backward rule becomes once its graph has been freed by a backward pass. */
const FREED: BackwardFn = () => {
  throw new Error("backward(): unreachable (freed graph)");
};

/** Saved-tensor list of ops that read none of their inputs in backward (add, reshape, cat, …). */
export const SAVES_NOTHING: readonly Tensor[] = Object.freeze([]);

export interface BackwardOptions {
  /**
   * Keep the graph so that `backward()` may run through it again (PyTorch's `retain_graph`).
   * Default false: a pass frees the graph behind it, and a second pass through it is an error.
   */
  retainGraph?: boolean;
}

export class Tensor<D extends TensorData = FloatArray> {
  /** Flat row-major elements; may be a view into a larger (shared) buffer (re-pointed only by Module.flatten). */
  data: D;
  readonly shape: readonly number[];
  /** Whether gradients flow to this tensor. Leaves that require grad receive `.grad`. Float tensors only. */
  requiresGrad: boolean;
  /** Accumulated gradient (leaves only), same shape; accumulates until zeroed. */
  grad: Tensor | null = null;
  /** @internal inputs of the op that produced this tensor (null for leaves). */
  _inputs: readonly Tensor<TensorData>[] | null = null;
  /** @internal backward rule of the op that produced this tensor. */
  _backward: BackwardFn | null = null;
  /** @internal gradient of a non-leaf during one backward pass. */
  _gradBuf: FloatArray | null = null;
  /** @internal the number of the last backward pass that visited this tensor. */
  _mark = 0;
  /** @internal the tensors the backward rule reads (checked against in-place changes), and their version sum then. */
  _saved: readonly Tensor<TensorData>[] = SAVES_NOTHING;
  _savedVersion = 0;
  /** @internal the version counter, shared with views of the same storage; created on first need (most tensors never need one). */
  _versionBox: VersionBox | null = null;

  constructor(data: D, shape: readonly number[], requiresGrad = false) {
    // Indexed loops, and a frozen shape shared rather than copied: no garbage per op.
    let n = 1;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i];
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor: invalid shape ${formatShape(shape)}: dimensions must be non-negative integers`);
      n *= d;
    }
    if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array)) {
      throw new Error(`Tensor: data must be a Float32Array, Float64Array or Int32Array, got ${Object.prototype.toString.call(data)}`);
    }
    if (data.length !== n) {
      throw new Error(`Tensor: shape ${formatShape(shape)} needs ${n} elements but the data has ${data.length}`);
    }
    if (requiresGrad && data instanceof Int32Array) {
      throw new Error("Tensor: only float tensors can require gradients (this one is int32)");
    }
    this.data = data;
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  /** Whether the elements are float (float32 or float64). */
  get isFloat(): boolean {
    return !(this.data instanceof Int32Array);
  }

  /** True for tensors not produced by a recorded op. */
  get isLeaf(): boolean {
    return this._backward === null;
  }

  /**
   * How many times the storage was modified in place (PyTorch's `_version`); shared by views.
   * A backward rule that reads a tensor modified after the op saved it is an error.
   */
  get version(): number {
    return this._versionBox === null ? 0 : this._versionBox.n;
  }

  /** @internal records an in-place modification of the storage (every view sees it). */
  _bumpVersion(): void {
    if (this._versionBox === null) this._versionBox = { n: 0 };
    this._versionBox.n++;
  }

  /** @internal makes this tensor a view of `base`'s storage for version counting. */
  _shareVersion(base: Tensor<TensorData>): this {
    if (base._versionBox === null) base._versionBox = { n: 0 };
    this._versionBox = base._versionBox;
    return this;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.data.length !== 1) {
      throw new Error(`item(): only a one-element tensor has an item, this one has shape ${formatShape(this.shape)}`);
    }
    return this.data[0];
  }

  /** Nested plain arrays (like `torch.Tensor.tolist()`); a scalar gives a number. */
  toArray(): number | NestedArray {
    if (this.shape.length === 0) return this.data[0];
    const build = (dim: number, offset: number): NestedArray => {
      const n = this.shape[dim];
      const out: NestedArray = [];
      if (dim === this.shape.length - 1) {
        for (let i = 0; i < n; i++) out.push(this.data[offset + i]);
        return out;
      }
      const stride = shapeSize(this.shape.slice(dim + 1));
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** PyTorch's name for {@link toArray}. */
  tolist(): number | NestedArray {
    return this.toArray();
  }

  /** A leaf sharing this tensor's data (and version counter), cut from the graph. */
  detach(): Tensor<D> {
    return new Tensor(this.data, this.shape, false)._shareVersion(this);
  }

  /** Sets the gradient to zeros in place (keeps shared-memory views) — or drops it with `setToNone`. */
  zeroGrad(setToNone = false): void {
    if (setToNone) this.grad = null;
    else if (this.grad) this.grad.data.fill(0);
  }

  /**
   * Reverse-mode autograd from this tensor. A scalar needs no `grad`; any other shape needs
   * the upstream gradient dL/d(this) of the same shape. Leaves accumulate into `.grad`.
   * The pass frees the graph behind it unless `{ retainGraph: true }` (a second pass through a
   * freed graph is an error, as in PyTorch).
   *
   * @example
   * loss.backward();                       // scalar loss
   * y.backward(upstream, { retainGraph: true });
   */
  backward(grad?: Tensor | FloatArray | number[] | BackwardOptions, options?: BackwardOptions): void {
    if (grad !== undefined && !(grad instanceof Tensor) && !ArrayBuffer.isView(grad) && !Array.isArray(grad)) {
      options = grad;
      grad = undefined;
    }
    const retain = options?.retainGraph ?? false;
    if (!this.requiresGrad) {
      throw new Error(
        "backward(): this tensor does not require grad and has no grad_fn — set requiresGrad on the inputs (or parameters) it was computed from, and do not compute it inside noGrad()",
      );
    }
    let seed: FloatArray;
    if (grad === undefined) {
      if (this.data.length !== 1) {
        throw new Error(
          `backward(): grad can be implicitly created only for scalar outputs, this tensor has shape ${formatShape(this.shape)} — reduce it first (e.g. .sum() or .mean()) or pass backward(grad) with a gradient of shape ${formatShape(this.shape)}`,
        );
      }
      seed = allocLike(this.data as FloatArray, 1);
      seed[0] = 1;
    } else {
      const g = (grad instanceof Tensor ? grad.data : grad) as ArrayLike<number>;
      if (g.length !== this.data.length) {
        throw new Error(`backward(): gradient has ${g.length} elements but the tensor has shape ${formatShape(this.shape)}`);
      }
      seed = this.dtype === "float64" ? Float64Array.from(g) : Float32Array.from(g);
    }
    const order = topologicalOrder(this as Tensor<TensorData>);
    checkGraph(order);
    const rootSlot = gradSlot(this as unknown as Tensor);
    if (rootSlot) for (let i = 0; i < seed.length; i++) rootSlot[i] += seed[i];
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      const g = node._gradBuf;
      if (g === null || node._backward === null) continue;
      node._gradBuf = null;
      node._backward(g);
    }
    if (!retain) {
      for (let i = 0; i < order.length; i++) {
        const node = order[i];
        if (node._backward === null) continue;
        node._backward = FREED; // drop the closure and what it saved: the graph can be collected
        node._inputs = null;
        node._saved = SAVES_NOTHING;
      }
    }
  }

  // ---- conversions ----
  /** A copy with dtype `dtype` (ints to floats exactly; floats to int32 truncate toward zero, as PyTorch). Same dtype: this tensor. */
  to(dtype: "int32"): Tensor<Int32Array>;
  to(dtype: "float32" | "float64"): Tensor;
  to(dtype: DType): Tensor<TensorData>;
  to(dtype: DType): Tensor<TensorData> {
    return ops.toDtype(this as Tensor<TensorData>, dtype);
  }
  /** `to("float32")`. */
  float(): Tensor { return ops.toDtype(this as Tensor<TensorData>, "float32") as Tensor; }
  /** `to("float64")`. */
  double(): Tensor { return ops.toDtype(this as Tensor<TensorData>, "float64") as Tensor; }
  /** `to("int32")`. */
  int(): Tensor<Int32Array> { return ops.toDtype(this as Tensor<TensorData>, "int32") as Tensor<Int32Array>; }

  // ---- method forms of the ops (the functions live in ops/, one concept a file) ----
  add(other: Tensor | number): Tensor { return ops.add(this.f(), other); }
  sub(other: Tensor | number): Tensor { return ops.sub(this.f(), other); }
  mul(other: Tensor | number): Tensor { return ops.mul(this.f(), other); }
  div(other: Tensor | number): Tensor { return ops.div(this.f(), other); }
  neg(): Tensor { return ops.neg(this.f()); }
  exp(): Tensor { return ops.exp(this.f()); }
  log(): Tensor { return ops.log(this.f()); }
  sqrt(): Tensor { return ops.sqrt(this.f()); }
  abs(): Tensor { return ops.abs(this.f()); }
  pow(exponent: number): Tensor { return ops.pow(this.f(), exponent); }
  matmul(other: Tensor): Tensor { return ops.matmul(this.f(), other); }
  /** Transpose of a 2-D tensor (`t()`). */
  t(): Tensor<D> { return ops.transpose(this); }
  /** Swaps dims `dim0` and `dim1` (a copy: tensors stay contiguous). */
  transpose(dim0: number, dim1: number): Tensor<D> { return ops.transpose(this, dim0, dim1); }
  permute(dims: readonly number[]): Tensor<D> { return ops.permute(this, dims); }
  reshape(shape: readonly number[]): Tensor<D> { return ops.reshape(this, shape); }
  /** PyTorch's `view`: {@link reshape} (storage is always contiguous, so it never copies). */
  view(shape: readonly number[]): Tensor<D> { return ops.reshape(this, shape); }
  flatten(startDim = 0, endDim = -1): Tensor<D> { return ops.flatten(this, startDim, endDim); }
  unflatten(dim: number, sizes: readonly number[]): Tensor<D> { return ops.unflatten(this, dim, sizes); }
  squeeze(dim?: number): Tensor<D> { return ops.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor<D> { return ops.unsqueeze(this, dim); }
  expand(shape: readonly number[]): Tensor<D> { return ops.expand(this, shape); }
  narrow(axis: number, start: number, length: number): Tensor<D> { return ops.narrow(this, axis, start, length); }
  slice(axis: number, start?: number, end?: number, step?: number): Tensor<D> { return ops.slice(this, axis, start, end, step); }
  split(sizeOrSizes: number | readonly number[], axis = 0): Tensor<D>[] { return ops.split(this, sizeOrSizes, axis); }
  chunk(chunks: number, axis = 0): Tensor<D>[] { return ops.chunk(this, chunks, axis); }
  clone(): Tensor<D> { return ops.clone(this); }
  sum(axis?: number, keepdim = false): Tensor { return ops.sum(this.f(), axis, keepdim); }
  mean(axis?: number, keepdim = false): Tensor { return ops.mean(this.f(), axis, keepdim); }
  max(axis?: number, keepdim = false): Tensor { return ops.max(this.f(), axis, keepdim); }
  argmax(axis?: number): Int32Array { return ops.argmax(this as Tensor<TensorData>, axis); }
  min(axis?: number, keepdim = false): Tensor { return ops.min(this.f(), axis, keepdim); }
  argmin(axis?: number): Int32Array { return ops.argmin(this as Tensor<TensorData>, axis); }
  cumsum(axis: number): Tensor<D> { return ops.cumsum(this, axis); }
  /** Variance over `axis` (all elements when omitted); `correction` 1 by default, as torch.var. */
  var(axis?: number, options?: ops.VarianceOptions): Tensor { return ops.variance(this.f(), axis, options); }
  std(axis?: number, options?: ops.VarianceOptions): Tensor { return ops.std(this.f(), axis, options); }
  logsumexp(axis: number, keepdim = false): Tensor { return ops.logsumexp(this.f(), axis, keepdim); }
  /** torch.maximum (broadcasting); a float tensor gives a float result, an int32 one the promoted dtype. */
  maximum(other: Tensor<TensorData> | number): FloatOr<D> { return ops.maximum(this as Tensor<TensorData>, other) as FloatOr<D>; }
  minimum(other: Tensor<TensorData> | number): FloatOr<D> { return ops.minimum(this as Tensor<TensorData>, other) as FloatOr<D>; }
  /** torch.clamp; a float tensor stays float, an int32 one stays int32 with integer bounds. */
  clamp(min?: number | null, max?: number | null): FloatOr<D> { return ops.clamp(this as Tensor<TensorData>, min, max) as FloatOr<D>; }
  indexSelect(axis: number, index: Tensor<Int32Array>): Tensor<D> { return ops.indexSelect(this, axis, index); }
  gather(axis: number, index: Tensor<Int32Array>): Tensor<D> { return ops.gather(this, axis, index); }
  maskedFill(mask: Tensor<Int32Array>, value: number): Tensor<D> { return ops.maskedFill(this, mask, value); }
  tril(diagonal = 0): Tensor<D> { return ops.tril(this, diagonal); }
  triu(diagonal = 0): Tensor<D> { return ops.triu(this, diagonal); }
  eq(other: Tensor<TensorData> | number): Tensor<Int32Array> { return ops.eq(this as Tensor<TensorData>, other); }
  ne(other: Tensor<TensorData> | number): Tensor<Int32Array> { return ops.ne(this as Tensor<TensorData>, other); }
  lt(other: Tensor<TensorData> | number): Tensor<Int32Array> { return ops.lt(this as Tensor<TensorData>, other); }
  le(other: Tensor<TensorData> | number): Tensor<Int32Array> { return ops.le(this as Tensor<TensorData>, other); }
  gt(other: Tensor<TensorData> | number): Tensor<Int32Array> { return ops.gt(this as Tensor<TensorData>, other); }
  ge(other: Tensor<TensorData> | number): Tensor<Int32Array> { return ops.ge(this as Tensor<TensorData>, other); }
  relu(): Tensor { return ops.relu(this.f()); }
  sigmoid(): Tensor { return ops.sigmoid(this.f()); }
  tanh(): Tensor { return ops.tanh(this.f()); }
  softmax(axis: number): Tensor { return ops.softmax(this.f(), axis); }
  logSoftmax(axis: number): Tensor { return ops.logSoftmax(this.f(), axis); }

  // ---- in place (PyTorch's trailing underscore); each bumps the version counter ----
  /** Sets every element to `value`. */
  fill_(value: number): this { return ops.fill_(this, value); }
  zero_(): this { return ops.fill_(this, 0); }
  /** Copies `src` (broadcast to this shape) into this tensor. */
  copy_(src: Tensor<TensorData>): this { return ops.copy_(this, src); }
  add_(other: Tensor<TensorData> | number, alpha = 1): this { return ops.add_(this, other, alpha); }
  mul_(other: Tensor<TensorData> | number): this { return ops.mul_(this, other); }
  maskedFill_(mask: Tensor<Int32Array>, value: number): this { return ops.maskedFill_(this, mask, value); }

  private f(): Tensor {
    return this as unknown as Tensor;
  }

  /** PyTorch's repr: `tensor([[1.0000, 2.0000]], requiresGrad=true)`, values summarised past 1,000 elements. */
  toString(): string {
    return formatTensor(this as Tensor<TensorData>);
  }

  /** `console.log(t)` and `util.inspect(t)` print the values, not the internals. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

export type NestedArray = (number | NestedArray)[];

/** What a promoting op (maximum, clamp) returns on a `Tensor<D>`: a float tensor for float D; int32 or float (promoted) for int32 D. */
export type FloatOr<D extends TensorData> = D extends Int32Array ? Tensor<TensorData> : Tensor;

/**
 * Records an op: returns a tensor over `data` whose backward rule is `backward`, when grad mode
 * is on and some input requires grad; otherwise a plain leaf. This is the seam other packages
 * use to add fused ops (losses, normalisation) with their own closed-form gradients.
 *
 * `saved` lists the tensors the rule reads (default: every input — pass {@link SAVES_NOTHING}
 * when it reads none, as add or reshape); `savesOutput` when it reads the output (exp, sigmoid).
 * Modifying one of them in place before the backward makes the backward throw, as PyTorch's
 * "modified by an inplace operation".
 */
export function fromOp<D extends TensorData = FloatArray>(
  data: D, shape: readonly number[], inputs: readonly Tensor<TensorData>[], backward: BackwardFn,
  saved: readonly Tensor<TensorData>[] = inputs, savesOutput = false,
): Tensor<D> {
  const out = new Tensor<D>(data, shape, false);
  if (!gradEnabled) return out;
  let needs = false;
  for (let i = 0; i < inputs.length; i++) if (inputs[i].requiresGrad) needs = true;
  if (!needs) return out;
  if (data instanceof Int32Array) throw new Error("fromOp: an op with an int32 output cannot record a gradient");
  out.requiresGrad = true;
  out._inputs = inputs;
  out._backward = backward;
  if (savesOutput) saved = saved.length === 0 ? [out as Tensor<TensorData>] : [...saved, out as Tensor<TensorData>];
  out._saved = saved;
  let v = 0;
  for (let i = 0; i < saved.length; i++) v += saved[i].version;
  out._savedVersion = v;
  return out;
}

/**
 * The buffer a backward rule accumulates (`+=`) into for tensor `t`, created zeroed on first use:
 * `.grad` of a leaf, a temporary buffer of a non-leaf. Null when `t` needs no gradient — rules
 * skip that input entirely, so no gradient is computed for inputs that do not require it.
 */
export function gradSlot(t: Tensor<TensorData>): FloatArray | null {
  if (!t.requiresGrad) return null;
  const data = t.data as FloatArray;
  if (t._backward === null) {
    if (t.grad === null) {
      t.grad = new Tensor(data instanceof Float64Array ? new Float64Array(t.size) : new Float32Array(t.size), t.shape);
    }
    return t.grad.data;
  }
  // A non-leaf's gradient lives for one backward pass: from the step arena when there is one.
  if (t._gradBuf === null) t._gradBuf = allocLike(data, t.size);
  return t._gradBuf;
}

/**
 * For a backward rule that writes every element of `t`'s gradient (a kernel's `assign` mode):
 * when `t` is a non-leaf that has no gradient buffer yet — the rule is its first producer — the
 * buffer, from the step arena and NOT zeroed, which becomes `t`'s gradient slot (later rules
 * accumulate into it). Null otherwise (no gradient needed, a leaf, or a buffer already there):
 * take {@link gradSlot} and accumulate. Spares the zero-fill pass over a large activation's
 * gradient (≈ 3% of the standard CNN's step for its ReLU, pooling and BatchNorm inputs).
 */
export function freshGradSlot(t: Tensor<TensorData>): FloatArray | null {
  if (!t.requiresGrad || t._backward === null || t._gradBuf !== null) return null;
  t._gradBuf = allocEmptyLike(t.data as FloatArray, t.size);
  return t._gradBuf;
}

/** Refuses a pass through a freed graph, or over a tensor an op saved and that was modified in place since. */
function checkGraph(order: readonly Tensor<TensorData>[]): void {
  for (let i = 0; i < order.length; i++) {
    const node = order[i];
    if (node._backward === FREED) {
      throw new Error(
        "backward(): trying to backward through the graph a second time (or to reach tensors whose graph a previous backward() freed) — pass backward(grad, { retainGraph: true }) the first time if you need to go through it again",
      );
    }
    const saved = node._saved;
    if (saved.length === 0) continue;
    let v = 0;
    for (let j = 0; j < saved.length; j++) v += saved[j].version;
    if (v !== node._savedVersion) {
      const which = saved.map((s) => `${s.dtype} ${formatShape(s.shape)} at version ${s.version}`).join(", ");
      throw new Error(
        `backward(): one of the tensors needed for gradient computation has been modified by an inplace operation (the op producing ${formatShape(node.shape)} saved: ${which}) — use the out-of-place form, or clone() the tensor before changing it`,
      );
    }
  }
}

// topologicalOrder's DFS stack, reused by every backward pass (no garbage per step); a pass
// marks the nodes it visits with its own number (Tensor._mark) instead of filling a Set.
let pass = 0;
const stackNodes: (Tensor<TensorData> | null)[] = [];
const stackNext: number[] = [];

/** Nodes reachable from `root` that require grad, inputs before outputs (iterative DFS). */
function topologicalOrder(root: Tensor<TensorData>): Tensor<TensorData>[] {
  const order: Tensor<TensorData>[] = [];
  const mark = ++pass;
  let top = 0;
  stackNodes[0] = root;
  stackNext[0] = 0;
  root._mark = mark;
  while (top >= 0) {
    const node = stackNodes[top] as Tensor<TensorData>;
    const inputs = node._inputs;
    if (inputs !== null && stackNext[top] < inputs.length) {
      const child = inputs[stackNext[top]++];
      if (child.requiresGrad && child._mark !== mark) {
        child._mark = mark;
        top++;
        stackNodes[top] = child;
        stackNext[top] = 0;
      }
    } else {
      stackNodes[top] = null; // keep no graph alive after the pass
      top--;
      order.push(node);
    }
  }
  return order;
}
