// The Tensor methods call the functional ops in ops/; the import cycle is inert (used only at call time).
import * as ops from "./ops/index.js";
import { allocLike } from "./arena.js";

/**
 * The Tensor: a contiguous row-major view over float data plus a shape, and the
 * define-by-run autograd that walks recorded ops in reverse topological order.
 */

/** Element storage of a tensor: float32 for models, float64 for gradient checks. */
export type FloatArray = Float32Array | Float64Array;
export type DType = "float32" | "float64";

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

export class Tensor {
  /** Flat row-major elements; may be a view into a larger (shared) buffer (re-pointed only by Module.flatten). */
  data: FloatArray;
  readonly shape: readonly number[];
  /** Whether gradients flow to this tensor. Leaves that require grad receive `.grad`. */
  requiresGrad: boolean;
  /** Accumulated gradient (leaves only), same shape; accumulates until zeroed. */
  grad: Tensor | null = null;
  /** @internal inputs of the op that produced this tensor (null for leaves). */
  _inputs: readonly Tensor[] | null = null;
  /** @internal backward rule of the op that produced this tensor. */
  _backward: BackwardFn | null = null;
  /** @internal gradient of a non-leaf during one backward pass. */
  _gradBuf: FloatArray | null = null;
  /** @internal the number of the last backward pass that visited this tensor. */
  _mark = 0;

  constructor(data: FloatArray, shape: readonly number[], requiresGrad = false) {
    // Indexed loops, and a frozen shape shared rather than copied: no garbage per op.
    let n = 1;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i];
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor: invalid shape ${formatShape(shape)}: dimensions must be non-negative integers`);
      n *= d;
    }
    if (data.length !== n) {
      throw new Error(`Tensor: shape ${formatShape(shape)} needs ${n} elements but the data has ${data.length}`);
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
    return this.data instanceof Float64Array ? "float64" : "float32";
  }

  /** True for tensors not produced by a recorded op. */
  get isLeaf(): boolean {
    return this._backward === null;
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

  /** A leaf sharing this tensor's data, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** Sets the gradient to zeros in place (keeps shared-memory views) — or drops it with `setToNone`. */
  zeroGrad(setToNone = false): void {
    if (setToNone) this.grad = null;
    else if (this.grad) this.grad.data.fill(0);
  }

  /**
   * Reverse-mode autograd from this tensor. A scalar needs no `grad`; any other shape needs
   * the upstream gradient dL/d(this) of the same shape. Leaves accumulate into `.grad`.
   */
  backward(grad?: Tensor | FloatArray | number[]): void {
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
      seed = allocLike(this.data, 1);
      seed[0] = 1;
    } else {
      const g = grad instanceof Tensor ? grad.data : grad;
      if (g.length !== this.data.length) {
        throw new Error(`backward(): gradient has ${g.length} elements but the tensor has shape ${formatShape(this.shape)}`);
      }
      seed = this.dtype === "float64" ? Float64Array.from(g) : Float32Array.from(g);
    }
    const order = topologicalOrder(this);
    const rootSlot = gradSlot(this);
    if (rootSlot) for (let i = 0; i < seed.length; i++) rootSlot[i] += seed[i];
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i];
      const g = node._gradBuf;
      if (g === null || node._backward === null) continue;
      node._gradBuf = null;
      node._backward(g);
    }
  }

  // ---- method forms of the ops (the functions live in ops/, one concept a file) ----
  add(other: Tensor | number): Tensor { return ops.add(this, other); }
  sub(other: Tensor | number): Tensor { return ops.sub(this, other); }
  mul(other: Tensor | number): Tensor { return ops.mul(this, other); }
  div(other: Tensor | number): Tensor { return ops.div(this, other); }
  neg(): Tensor { return ops.neg(this); }
  exp(): Tensor { return ops.exp(this); }
  log(): Tensor { return ops.log(this); }
  sqrt(): Tensor { return ops.sqrt(this); }
  abs(): Tensor { return ops.abs(this); }
  pow(exponent: number): Tensor { return ops.pow(this, exponent); }
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  /** Transpose of a 2-D tensor. */
  t(): Tensor { return ops.transpose(this); }
  reshape(shape: readonly number[]): Tensor { return ops.reshape(this, shape); }
  sum(axis?: number, keepdim = false): Tensor { return ops.sum(this, axis, keepdim); }
  mean(axis?: number, keepdim = false): Tensor { return ops.mean(this, axis, keepdim); }
  max(axis?: number, keepdim = false): Tensor { return ops.max(this, axis, keepdim); }
  argmax(axis?: number): Int32Array { return ops.argmax(this, axis); }
  relu(): Tensor { return ops.relu(this); }
  sigmoid(): Tensor { return ops.sigmoid(this); }
  tanh(): Tensor { return ops.tanh(this); }
  softmax(axis: number): Tensor { return ops.softmax(this, axis); }
  logSoftmax(axis: number): Tensor { return ops.logSoftmax(this, axis); }

  toString(): string {
    return `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ", requiresGrad" : ""})`;
  }
}

export type NestedArray = (number | NestedArray)[];

/**
 * Records an op: returns a tensor over `data` whose backward rule is `backward`, when grad mode
 * is on and some input requires grad; otherwise a plain leaf. This is the seam other packages
 * use to add fused ops (losses, normalisation) with their own closed-form gradients.
 */
export function fromOp(data: FloatArray, shape: readonly number[], inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  const out = new Tensor(data, shape, false);
  if (!gradEnabled) return out;
  let needs = false;
  for (let i = 0; i < inputs.length; i++) if (inputs[i].requiresGrad) needs = true;
  if (!needs) return out;
  out.requiresGrad = true;
  out._inputs = inputs;
  out._backward = backward;
  return out;
}

/**
 * The buffer a backward rule accumulates (`+=`) into for tensor `t`, created zeroed on first use:
 * `.grad` of a leaf, a temporary buffer of a non-leaf. Null when `t` needs no gradient — rules
 * skip that input entirely, so no gradient is computed for inputs that do not require it.
 */
export function gradSlot(t: Tensor): FloatArray | null {
  if (!t.requiresGrad) return null;
  if (t._backward === null) {
    if (t.grad === null) {
      t.grad = new Tensor(t.dtype === "float64" ? new Float64Array(t.size) : new Float32Array(t.size), t.shape);
    }
    return t.grad.data;
  }
  // A non-leaf's gradient lives for one backward pass: from the step arena when there is one.
  if (t._gradBuf === null) t._gradBuf = allocLike(t.data, t.size);
  return t._gradBuf;
}

// topologicalOrder's DFS stack, reused by every backward pass (no garbage per step); a pass
// marks the nodes it visits with its own number (Tensor._mark) instead of filling a Set.
let pass = 0;
const stackNodes: (Tensor | null)[] = [];
const stackNext: number[] = [];

/** Nodes reachable from `root` that require grad, inputs before outputs (iterative DFS). */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const mark = ++pass;
  let top = 0;
  stackNodes[0] = root;
  stackNext[0] = 0;
  root._mark = mark;
  while (top >= 0) {
    const node = stackNodes[top] as Tensor;
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
