/**
 * Module, Parameter and the state dict, after torch.nn.Module: parameters and buffers are
 * registered in declaration order, which is the order of the flat buffer and of the state dict.
 */
import { Tensor, formatShape, shapeSize, type FloatArray } from "@weft/tensor";

/** A tensor that is a model parameter: requires grad, is optimised and all-reduced. */
export class Parameter extends Tensor {
  constructor(data: FloatArray, shape: readonly number[]) {
    super(data, shape, true);
  }
}

/** A state-dict entry as given to {@link Module.loadStateDict}: a tensor, or plain shape + data. */
export type StateEntry = Tensor | { shape: readonly number[]; data: ArrayLike<number> };

/** The flat storage of a model's parameters and of their gradients. */
export interface FlatParameters {
  params: Float32Array;
  grads: Float32Array;
  /** Each parameter's name, offset and length in the flat arrays, in order. */
  layout: { name: string; offset: number; size: number; shape: readonly number[] }[];
}

export abstract class Module {
  /** Training mode (dropout active, BatchNorm uses batch statistics). */
  training = true;
  private readonly _params = new Map<string, Parameter | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _modules = new Map<string, Module>();

  /** x → y. Shapes are documented by each module. */
  abstract forward(x: Tensor): Tensor;

  protected registerParameter(name: string, p: Parameter | null): void {
    this._params.set(name, p);
  }

  protected registerBuffer(name: string, t: Tensor | null): void {
    this._buffers.set(name, t);
  }

  protected registerModule(name: string, m: Module): void {
    this._modules.set(name, m);
  }

  /** Direct children, in order. */
  namedChildren(): [string, Module][] {
    return [...this._modules];
  }

  /** This module and all descendants, depth-first, with dotted names ("" for the root). */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this._modules) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Parameters with PyTorch's dotted names (`0.weight`), in declaration order. */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, p] of m._params) if (p) out.push([prefix ? `${prefix}.${n}` : n, p]);
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Buffers (running statistics, …): state that is saved but not optimised. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, b] of m._buffers) if (b) out.push([prefix ? `${prefix}.${n}` : n, b]);
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Zeroes every parameter's gradient in place (gradients may be views into shared memory). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /**
   * PyTorch's state dict: for each module in order its parameters, then its buffers, then its
   * children. The tensors are the live ones (not copies), as in PyTorch.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const visit = (m: Module, prefix: string): void => {
      for (const [n, p] of m._params) if (p) out[prefix + n] = p;
      for (const [n, b] of m._buffers) if (b) out[prefix + n] = b;
      for (const [n, c] of m._modules) visit(c, `${prefix}${n}.`);
    };
    visit(this, "");
    return out;
  }

  /**
   * Copies values in from a state dict with PyTorch's keys. Strict by default: missing,
   * unexpected or mis-shaped keys are an error naming all of them, and nothing is changed.
   */
  loadStateDict(state: Record<string, StateEntry>, strict = true): { missingKeys: string[]; unexpectedKeys: string[] } {
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(state, k));
    const unexpectedKeys = Object.keys(state).filter((k) => !Object.hasOwn(own, k));
    const misShaped: string[] = [];
    for (const [k, t] of Object.entries(own)) {
      const s = state[k];
      if (!s) continue;
      const same = s.shape.length === t.shape.length && s.shape.every((d, i) => d === t.shape[i]);
      // A 1-element entry may stand for a scalar buffer and vice versa (num_batches_tracked).
      const scalarish = shapeSize(s.shape) === 1 && t.size === 1;
      if (!same && !scalarish) misShaped.push(`${k}: expected ${formatShape(t.shape)}, got ${formatShape(s.shape)}`);
      else if (s.data.length !== t.size) misShaped.push(`${k}: expected ${t.size} values, got ${s.data.length}`);
    }
    const problems: string[] = [];
    if (misShaped.length) problems.push(`mis-shaped keys: ${misShaped.join("; ")}`);
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(", ")}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(", ")}`);
    if (problems.length) throw new Error(`loadStateDict: ${problems.join(". ")}. Nothing was loaded.`);
    for (const [k, t] of Object.entries(own)) {
      const s = state[k];
      if (!s) continue;
      const src = s.data;
      for (let i = 0; i < t.size; i++) t.data[i] = src[i];
    }
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Moves every parameter into one flat Float32Array (and every gradient into another), in
   * declaration order, copying current values. Pass `params`/`grads` to place them in memory
   * of your own (a SharedArrayBuffer): with `keepValues: false` the parameters take the values
   * already in `params` (a worker joining shared weights). Returns the flat arrays and layout.
   */
  flatten(options: { params?: Float32Array; grads?: Float32Array; keepValues?: boolean } = {}): FlatParameters {
    const named = this.namedParameters();
    const total = named.reduce((s, [, p]) => s + p.size, 0);
    const params = options.params ?? new Float32Array(total);
    const grads = options.grads ?? new Float32Array(total);
    if (params.length !== total || grads.length !== total) {
      throw new Error(`flatten: the model has ${total} parameter values but params has ${params.length} and grads ${grads.length}`);
    }
    const keep = options.keepValues ?? true;
    const layout: FlatParameters["layout"] = [];
    let offset = 0;
    for (const [name, p] of named) {
      const view = params.subarray(offset, offset + p.size);
      if (keep) view.set(p.data);
      p.data = view;
      const g = grads.subarray(offset, offset + p.size);
      if (p.grad) g.set(p.grad.data);
      p.grad = new Tensor(g, p.shape);
      layout.push({ name, offset, size: p.size, shape: p.shape });
      offset += p.size;
    }
    return { params, grads, layout };
  }
}
