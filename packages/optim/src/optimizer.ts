import type { AdamStep, RmspropStep, SgdStep } from "@weft/tensor";
import { checkKnownOptions, checkSameConfig, integer, nonNegative, sameHyperParameter, type HyperParameter } from "./hyper-parameters.js";
import { resolveGroups, type FloatArray, type ParamLike, type ParamsOrGroups, type Slots } from "./params.js";

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
 * A parameter group as the optimiser holds it (PyTorch's `optimizer.param_groups[i]`): its
 * parameters and its hyper-parameters, each defaulting to the constructor's. Between steps a
 * schedule may set `lr` (and, where the optimiser has them, `momentum` or `betas`: see
 * {@link Optimizer.mutableHyperParameters}); the other hyper-parameters are fixed, and a step
 * after one of them changed is an error.
 */
export type ParamGroup<C extends OptimizerConfig = OptimizerConfig> = {
  // The named hyper-parameters of C, writable (OptimizerConfig's index signature dropped).
  -readonly [K in keyof C as string extends K ? never : K]: C[K];
} & {
  /** The group's parameters, in order (a flat range appears as one parameter). */
  readonly params: readonly ParamLike[];
  /** Set by the first LR scheduler attached (PyTorch's `group["initial_lr"]`). */
  initialLr?: number;
};

/** A parameter group in a state dict: its hyper-parameters and the indices of its parameters (PyTorch's layout). */
export type SavedParamGroup<C extends OptimizerConfig = OptimizerConfig> = C & { params: number[] };

/**
 * How an optimiser describes its hyper-parameters to the base class: one validation, used for
 * the constructor's options and for each group's.
 */
export interface HyperParameterSpec<C extends OptimizerConfig> {
  /** Names of the hyper-parameters (what a group may set). */
  readonly known: readonly string[];
  /** Those a schedule may change between steps (`lr`, and `momentum` or `betas`). */
  readonly mutable: readonly string[];
  /** Validates `options`, fills PyTorch's defaults, and returns the config; errors start with `owner`. */
  resolve(owner: string, options: Readonly<Record<string, unknown>>): C;
  /**
   * Validates the mutable hyper-parameters of a group before a step (no allocation), given its
   * values at construction (`initial`): e.g. a momentum may not become 0 when the state needs it.
   * Errors start with `owner`.
   */
  check(owner: string, group: C, initial: C): void;
}

/**
 * An optimiser's state dict: copies, JSON-friendly once the arrays are turned into plain
 * arrays (`Array.from`), which {@link Optimizer.loadStateDict} accepts back.
 */
export interface OptimizerState<C extends OptimizerConfig = OptimizerConfig, A extends StateArrays = StateArrays> {
  /** Class name: `SGD`, `RMSprop`, `Adam` or `AdamW`. */
  type: string;
  /** Hyper-parameters: the group's, `lr` being the current one, with one group; the constructor's with several. */
  config: C;
  /** `step` = number of steps taken; each array has the optimiser's `numel` elements, group after group. */
  state: { step: number } & A;
  /**
   * With several groups: each group's hyper-parameters and the indices of its parameters
   * (PyTorch's `param_groups`). Absent with one group, whose values are `config`.
   */
  paramGroups?: SavedParamGroup<C>[];
}

/** What {@link Optimizer.loadStateDict} accepts: a state dict whose arrays may be plain number arrays. */
export interface OptimizerStateLike {
  type: string;
  config: { readonly lr: number } & Readonly<Record<string, unknown>>;
  state: { step: number } & Readonly<Record<string, number | ArrayLike<number>>>;
  /** Absent for one group: then there must be one group, restored from `config`. */
  paramGroups?: readonly ({ params: readonly number[] } & Readonly<Record<string, unknown>>)[];
}

/** The options of {@link OptimizerOptions} that are not hyper-parameters (never in a group, never saved). */
const RUNTIME_OPTIONS = ["allocState", "adamKernel", "sgdKernel", "rmspropKernel"];

/**
 * Base of every optimiser: parameter groups (PyTorch's `param_groups`, one group when built over
 * a list of parameters or a flat range), and state held as named float32 arrays flat over the
 * slots (one slot per parameter, laid out group after group, in order), so that a checkpoint or
 * a shard of the state is a range of one array. Subclasses implement one step as a tight loop
 * over a slot (no allocation per step), with the group's scalars set up in `beginGroup`.
 */
export abstract class Optimizer<C extends OptimizerConfig = OptimizerConfig, A extends StateArrays = StateArrays> {
  /** Class name, as in the state dict. */
  readonly type: string;
  /** Length of every state array: the total number of parameter elements. */
  readonly numel: number;
  /**
   * The parameter groups, in order. Set `paramGroups[i].lr` to change a group's rate (as
   * PyTorch's schedulers set `group["lr"]`); every LR scheduler here acts on each group.
   */
  readonly paramGroups: readonly ParamGroup<C>[];
  /** The constructor's hyper-parameters (PyTorch's `defaults`), fresh object. */
  get defaults(): C {
    return copyConfig(this.defaultConfig);
  }
  /** The hyper-parameters a schedule may change between steps; the rest are fixed per group. */
  get mutableHyperParameters(): readonly string[] {
    return this.spec.mutable;
  }
  /** The parameter slots, in order. */
  protected readonly slots: Slots;
  private readonly groupEnds: readonly { first: number; end: number }[];
  private readonly fixed: readonly Readonly<Record<string, HyperParameter>>[];
  private readonly initial: readonly C[];
  private readonly spec: HyperParameterSpec<C>;
  private readonly defaultConfig: C;
  private readonly arrays = new Map<string, Float32Array>();
  private readonly alloc: AllocState;
  private stepCount = 0;

  protected constructor(type: string, params: ParamsOrGroups, options: OptimizerOptions & Record<string, unknown>, spec: HyperParameterSpec<C>) {
    this.type = type;
    this.spec = spec;
    const hyper: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(options)) if (!RUNTIME_OPTIONS.includes(k)) hyper[k] = v;
    this.defaultConfig = spec.resolve(type, hyper);
    const { slots, groups } = resolveGroups(type, params);
    this.slots = slots;
    this.numel = slots.numel;
    this.groupEnds = groups.map(({ first, end }) => ({ first, end }));
    this.paramGroups = groups.map((g, i) => {
      const who = groups.length === 1 && Object.keys(g.options).length === 0 ? type : `${type}: param group ${i}`;
      checkKnownOptions(who, g.options, spec.known);
      const config = spec.resolve(who, { ...this.defaultConfig, ...g.options });
      return { ...config, params: Object.freeze(slots.params.slice(g.first, g.end)) } as ParamGroup<C>;
    });
    this.fixed = this.paramGroups.map((g) => this.fixedOf(g));
    this.initial = this.paramGroups.map((g) => copyConfig(g as unknown as C, this.defaultConfig));
    const alloc = options.allocState;
    if (alloc !== undefined && typeof alloc !== "function") throw new Error(`${type}: allocState must be a function`);
    this.alloc = alloc ?? ((_name, n) => new Float32Array(n));
  }

  /**
   * Learning rate of the only parameter group; LR schedules set it between steps. With several
   * groups it is an error: use `paramGroups[i].lr`.
   */
  get lr(): number {
    return this.onlyGroup("lr").lr;
  }

  set lr(value: number) {
    this.onlyGroup("lr").lr = nonNegative(this.type, "lr", value, Number.NaN) as C["lr"];
  }

  /**
   * The learning rate the first LR scheduler attached to the only group started from (PyTorch's
   * `param_group["initial_lr"]`); undefined until a scheduler is built. With several groups each
   * group has its own `initialLr`.
   */
  get initialLr(): number | undefined {
    return this.onlyGroup("initialLr").initialLr;
  }

  set initialLr(value: number | undefined) {
    this.onlyGroup("initialLr").initialLr = value;
  }

  /** Hyper-parameters: the group's (current `lr`) with one group, the constructor's with several (fresh object). */
  get config(): C {
    return copyConfig(this.paramGroups.length === 1 ? (this.paramGroups[0] as unknown as C) : this.defaultConfig, this.defaultConfig);
  }

  /** Called once per group and step, before its slots, with the new step count (1 on the first step). */
  protected abstract beginGroup(group: ParamGroup<C>, step: number): void;

  /** Updates one slot of `group`: `param` and `grad` have the same length; its state starts at `offset`. */
  protected abstract updateSlot(param: FloatArray, grad: FloatArray, offset: number, group: ParamGroup<C>): void;

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
   * One optimisation step over every parameter whose grad is not null, group by group. Does
   * nothing (and does not count a step) when no parameter has a grad, as PyTorch does. Checks
   * first that each group's fixed hyper-parameters are unchanged and its mutable ones valid.
   */
  step(): void {
    const { params, offsets, lengths } = this.slots;
    const groups = this.paramGroups;
    for (let k = 0; k < groups.length; k++) this.checkGroup(k);
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
    for (let k = 0; k < groups.length; k++) {
      const group = groups[k];
      const { first, end } = this.groupEnds[k];
      this.beginGroup(group, this.stepCount);
      for (let i = first; i < end; i++) {
        const p = params[i];
        const g = p.grad;
        if (g !== null) this.updateSlot(p.data, g.data, offsets[i], group);
      }
    }
  }

  /** Sets every gradient to zero in place (never reassigns: grads may be views into shared memory). */
  zeroGrad(): void {
    for (const p of this.slots.params) p.grad?.data.fill(0);
  }

  /** A copy of the optimiser's state: type, hyper-parameters, `{ step, ...arrays }` and the groups. */
  stateDict(): OptimizerState<C, A> {
    const state: Record<string, number | Float32Array> = { step: this.stepCount };
    for (const [name, arr] of this.arrays) state[name] = arr.slice();
    const out: OptimizerState<C, A> = { type: this.type, config: this.config, state: state as { step: number } & A };
    // One group is all in `config`, as before parameter groups (the same state dict, byte for byte).
    if (this.paramGroups.length > 1) {
      out.paramGroups = this.paramGroups.map((g, k) => {
        const { first, end } = this.groupEnds[k];
        return { ...copyConfig(g as unknown as C, this.defaultConfig), params: Array.from({ length: end - first }, (_, i) => first + i) };
      });
    }
    return out;
  }

  /**
   * Loads a state dict saved by the same kind of optimiser over the same number of elements,
   * the same groups and with the same fixed hyper-parameters (it throws otherwise, before
   * changing anything); copies the arrays in and restores `step` and each group's mutable
   * hyper-parameters (`lr`, and `momentum` or `betas`).
   */
  loadStateDict(s: OptimizerStateLike): void {
    const who = `${this.type}: loadStateDict`;
    if (s === null || typeof s !== "object") throw new Error(`${who}: expected a state dict object`);
    if (s.type !== this.type) throw new Error(`${who}: the state dict is for ${String(s.type)}, not ${this.type}`);
    checkSameConfig(this.type, this.config as Record<string, HyperParameter>, s.config, this.spec.mutable);
    const restored = this.restoredGroups(who, s);
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
    restored.forEach((values, k) => Object.assign(this.paramGroups[k], values));
  }

  /** The mutable hyper-parameters to restore, per group, validated (nothing is changed here). */
  private restoredGroups(who: string, s: OptimizerStateLike): Record<string, HyperParameter>[] {
    const saved = s.paramGroups;
    let sources: readonly Readonly<Record<string, unknown>>[];
    if (saved === undefined) {
      // One group: its values are in `config`.
      if (this.paramGroups.length !== 1) throw new Error(`${who}: the state dict is for one parameter group but this ${this.type} has ${this.paramGroups.length}`);
      sources = [s.config];
    } else {
      if (!Array.isArray(saved)) throw new Error(`${who}: paramGroups must be an array`);
      if (saved.length !== this.paramGroups.length) {
        throw new Error(`${who}: the state dict has ${saved.length} parameter groups but this ${this.type} has ${this.paramGroups.length}`);
      }
      saved.forEach((g, k) => {
        const where = `paramGroups[${k}]`;
        if (g === null || typeof g !== "object") throw new Error(`${who}: ${where} must be an object`);
        const { first, end } = this.groupEnds[k];
        const ids = g.params;
        if (!Array.isArray(ids) || ids.length !== end - first || ids.some((id, i) => id !== first + i)) {
          throw new Error(`${who}: ${where}.params must be the indices ${first}..${end - 1} (the group has ${end - first} parameters), got ${JSON.stringify(ids)}`);
        }
        checkSameConfig(this.type, this.fixed[k], g, [], where);
      });
      sources = saved;
    }
    return sources.map((src, k) => {
      const where = saved === undefined ? `${who}: config` : `${who}: paramGroups[${k}]`;
      // Validate the saved mutable values together with this group's fixed ones.
      const merged = { ...(this.paramGroups[k] as unknown as Record<string, unknown>) };
      delete merged.params;
      delete merged.initialLr;
      for (const key of this.spec.mutable) if (src[key] !== undefined) merged[key] = src[key];
      const config = this.spec.resolve(where, merged) as Record<string, HyperParameter>;
      const out: Record<string, HyperParameter> = {};
      for (const key of this.spec.mutable) out[key] = config[key];
      return out;
    });
  }

  /** The fixed hyper-parameters of a group, as a snapshot. */
  private fixedOf(group: ParamGroup<C>): Record<string, HyperParameter> {
    const out: Record<string, HyperParameter> = {};
    const g = group as unknown as Record<string, HyperParameter>;
    for (const key of Object.keys(this.defaultConfig)) {
      if (this.spec.mutable.includes(key)) continue;
      const v = g[key];
      out[key] = Array.isArray(v) ? Object.freeze([...v]) : v;
    }
    return out;
  }

  /** Before a step: the group's fixed hyper-parameters unchanged, its mutable ones valid. */
  private checkGroup(k: number): void {
    const group = this.paramGroups[k] as unknown as Record<string, unknown>;
    const fixed = this.fixed[k];
    const who = this.paramGroups.length === 1 ? this.type : `${this.type}: param group ${k}`;
    for (const key in fixed) {
      if (!sameHyperParameter(group[key], fixed[key])) {
        throw new Error(
          `${who}: ${key} changed from ${JSON.stringify(fixed[key])} to ${JSON.stringify(group[key])}; only ${this.spec.mutable.join(", ")} may change after construction`,
        );
      }
    }
    nonNegative(who, "lr", group.lr, Number.NaN);
    this.spec.check(who, group as unknown as C, this.initial[k]);
  }

  private onlyGroup(what: string): ParamGroup<C> {
    if (this.paramGroups.length !== 1) {
      throw new Error(`${this.type}: ${what} is per parameter group and this optimiser has ${this.paramGroups.length}; use paramGroups[i].${what}`);
    }
    return this.paramGroups[0];
  }
}

/** A copy of the hyper-parameters of `src` (keys those of `keysOf`; arrays copied). */
function copyConfig<C extends OptimizerConfig>(src: C, keysOf: C = src): C {
  const out: Record<string, HyperParameter> = {};
  const from = src as unknown as Record<string, HyperParameter>;
  for (const key of Object.keys(keysOf)) {
    const v = from[key];
    out[key] = Array.isArray(v) ? [...v] : v;
  }
  return out as unknown as C;
}
