import type { AdamStep, RmspropStep, SgdStep } from "@weft/tensor";
import { checkSameConfig, integer, nonNegative, type HyperParameter } from "./hyper-parameters.js";
import { resolveSlots, type FloatArray, type Params, type Slots } from "./params.js";

/**
 * Allocates one state array of `length` float32 elements (e.g. a view into shared memory).
 * `name` is the state's name (`expAvg`, `momentumBuffer`, ...). The optimiser zero-fills it.
 */
export type AllocState = (name: string, length: number) => Float32Array;

/** Options every optimiser takes. */
export interface OptimizerOptions {
  /** Where state arrays live; default `(name, n) => new Float32Array(n)`. */
  allocState?: AllocState;
  /**
   * Adam/AdamW only: a faster implementation of one update over a float32 range (e.g. the
   * WebAssembly SIMD kernel of @weft/tensor, run in place on shared wasm memory). It returns
   * false to decline, and the JS loop runs instead. Not a hyper-parameter: never saved.
   */
  adamKernel?: AdamKernel;
  /** SGD only: as `adamKernel`, one SGD update over a float32 range; false = declined. */
  sgdKernel?: SgdKernel;
  /** RMSprop only: as `adamKernel`, one RMSprop update over a float32 range; false = declined. */
  rmspropKernel?: RmspropKernel;
}

/**
 * The per-step scalars each kernel hook receives: the kernel-side types of @weft/tensor's wasm
 * backend (one definition of each; a type-only import, so this package still runs alone).
 */
export type SgdScalars = SgdStep;
export type RmspropScalars = RmspropStep;
export type AdamScalars = AdamStep;

/** One SGD update of `p` in place from `g` (`buf`: the momentum buffer, or null); false = declined. */
export type SgdKernel = (p: Float32Array, g: Float32Array, buf: Float32Array | null, h: SgdScalars) => boolean;

/**
 * One RMSprop update of `p` in place from `g` and the state (`gAvg` when centered, `buf` with
 * momentum, else null); false = declined.
 */
export type RmspropKernel = (p: Float32Array, g: Float32Array, sq: Float32Array, gAvg: Float32Array | null, buf: Float32Array | null, h: RmspropScalars) => boolean;

/** One Adam update of `p` in place from `g` and the moments (`mx`: AMSGrad's max, or null); false = declined. */
export type AdamKernel = (p: Float32Array, g: Float32Array, m1: Float32Array, m2: Float32Array, mx: Float32Array | null, h: AdamScalars) => boolean;

/** Hyper-parameters of an optimiser as saved in its state dict (PyTorch's names, camelCase). */
export type OptimizerConfig = { readonly lr: number } & Readonly<Record<string, HyperParameter>>;

/** Named state arrays of an optimiser, each flat over the concatenation of its slots. */
export type StateArrays = Readonly<Record<string, Float32Array>>;

/**
 * An optimiser's state dict: copies, JSON-friendly once the arrays are turned into plain
 * arrays (`Array.from`), which {@link Optimizer.loadStateDict} accepts back.
 */
export interface OptimizerState<C extends OptimizerConfig = OptimizerConfig, A extends StateArrays = StateArrays> {
  /** Class name: `SGD`, `RMSprop`, `Adam` or `AdamW`. */
  type: string;
  /** Hyper-parameters, `lr` being the current one. */
  config: C;
  /** `step` = number of steps taken; each array has the optimiser's `numel` elements. */
  state: { step: number } & A;
}

/** What {@link Optimizer.loadStateDict} accepts: a state dict whose arrays may be plain number arrays. */
export interface OptimizerStateLike {
  type: string;
  config: { readonly lr: number } & Readonly<Record<string, unknown>>;
  state: { step: number } & Readonly<Record<string, number | ArrayLike<number>>>;
}

/**
 * Base of every optimiser: one parameter group, hyper-parameters fixed at construction (but
 * `lr`), and state held as named float32 arrays flat over the slots (one slot per parameter,
 * laid out in order), so that a checkpoint or a shard of the state is a range of one array.
 * Subclasses implement one step as a tight loop over a slot (no allocation per step).
 */
export abstract class Optimizer<C extends OptimizerConfig = OptimizerConfig, A extends StateArrays = StateArrays> {
  /** Class name, as in the state dict. */
  readonly type: string;
  /** Length of every state array: the total number of parameter elements. */
  readonly numel: number;
  /**
   * The learning rate the first LR scheduler attached to this optimiser started from
   * (PyTorch's `param_group["initial_lr"]`); undefined until a scheduler is built.
   */
  initialLr: number | undefined = undefined;
  /** The parameter slots, in order. */
  protected readonly slots: Slots;
  private readonly arrays = new Map<string, Float32Array>();
  private readonly alloc: AllocState;
  private currentLr: number;
  private stepCount = 0;

  protected constructor(type: string, params: Params, lr: unknown, options: OptimizerOptions) {
    this.type = type;
    this.currentLr = nonNegative(type, "lr", lr, Number.NaN);
    this.slots = resolveSlots(type, params);
    this.numel = this.slots.numel;
    const alloc = options.allocState;
    if (alloc !== undefined && typeof alloc !== "function") throw new Error(`${type}: allocState must be a function`);
    this.alloc = alloc ?? ((_name, n) => new Float32Array(n));
  }

  /** Learning rate; LR schedules set it between steps. */
  get lr(): number {
    return this.currentLr;
  }

  set lr(value: number) {
    this.currentLr = nonNegative(this.type, "lr", value, Number.NaN);
  }

  /** The hyper-parameters, as saved in the state dict (fresh object). */
  abstract get config(): C;

  /** Called once per step, before the slots, with the new step count (1 on the first step). */
  protected abstract beginStep(step: number): void;

  /** Updates one slot: `param` and `grad` have the same length; its state starts at `offset`. */
  protected abstract updateSlot(param: FloatArray, grad: FloatArray, offset: number): void;

  /** Allocates (through `allocState`), zero-fills and registers a state array of `numel` elements. */
  protected addState(name: string & keyof A): Float32Array {
    const arr = this.alloc(name, this.numel);
    if (!(arr instanceof Float32Array) || arr.length !== this.numel) {
      throw new Error(`${this.type}: allocState("${name}", ${this.numel}) must return a Float32Array of length ${this.numel}`);
    }
    arr.fill(0);
    this.arrays.set(name, arr);
    return arr;
  }

  /**
   * One optimisation step over every parameter whose grad is not null. Does nothing (and does
   * not count a step) when no parameter has a grad, as PyTorch does.
   */
  step(): void {
    const { params, offsets, lengths } = this.slots;
    let any = false;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      if (p.data.length !== lengths[i]) {
        throw new Error(`${this.type}: param ${i} had ${lengths[i]} elements at construction but has ${p.data.length} now`);
      }
      if (g.data.length !== lengths[i]) throw new Error(`${this.type}: param ${i} has ${lengths[i]} elements but its grad has ${g.data.length}`);
      any = true;
    }
    if (!any) return;
    this.stepCount += 1;
    this.beginStep(this.stepCount);
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g !== null) this.updateSlot(p.data, g.data, offsets[i]);
    }
  }

  /** Sets every gradient to zero in place (never reassigns: grads may be views into shared memory). */
  zeroGrad(): void {
    for (const p of this.slots.params) p.grad?.data.fill(0);
  }

  /** A copy of the optimiser's state: type, hyper-parameters and `{ step, ...arrays }`. */
  stateDict(): OptimizerState<C, A> {
    const state: Record<string, number | Float32Array> = { step: this.stepCount };
    for (const [name, arr] of this.arrays) state[name] = arr.slice();
    return { type: this.type, config: this.config, state: state as { step: number } & A };
  }

  /**
   * Loads a state dict saved by the same kind of optimiser over the same number of elements
   * and with the same fixed hyper-parameters (it throws otherwise, before changing anything);
   * copies the arrays in and restores `step` and `lr`.
   */
  loadStateDict(s: OptimizerStateLike): void {
    const who = `${this.type}: loadStateDict`;
    if (s === null || typeof s !== "object") throw new Error(`${who}: expected a state dict object`);
    if (s.type !== this.type) throw new Error(`${who}: the state dict is for ${String(s.type)}, not ${this.type}`);
    checkSameConfig(this.type, this.config, s.config, ["lr"]);
    const lr = nonNegative(who, "config.lr", s.config.lr, Number.NaN);
    if (s.state === null || typeof s.state !== "object") throw new Error(`${who}: state is missing`);
    const step = integer(who, "state.step", s.state.step, 0);
    for (const key of Object.keys(s.state)) {
      if (key !== "step" && !this.arrays.has(key)) {
        throw new Error(`${who}: unexpected state "${key}" (this ${this.type} has ${["step", ...this.arrays.keys()].join(", ")})`);
      }
    }
    for (const name of this.arrays.keys()) {
      const src = s.state[name];
      if (src === undefined) throw new Error(`${who}: state.${name} is missing`);
      if (typeof src !== "object" || src === null || typeof src.length !== "number") {
        throw new Error(`${who}: state.${name} must be an array of numbers`);
      }
      if (src.length !== this.numel) throw new Error(`${who}: state.${name} has ${src.length} elements, expected ${this.numel}`);
    }
    for (const [name, arr] of this.arrays) {
      const src = s.state[name] as ArrayLike<number>;
      if (ArrayBuffer.isView(src)) arr.set(src);
      else for (let i = 0; i < arr.length; i++) arr[i] = src[i];
    }
    this.stepCount = step;
    this.currentLr = lr;
  }
}
