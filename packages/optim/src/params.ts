/**
 * What an optimiser steps: a list of parameters, or one flat range of a bigger buffer.
 * Types are structural so the package stands alone; a weft `Tensor` satisfies {@link ParamLike}.
 */

/** Element storage an optimiser can update in place. State arrays are always float32. */
export type FloatArray = Float32Array | Float64Array;

/**
 * A parameter: its values and its accumulated gradient (same length), or `grad: null` when no
 * gradient has reached it, in which case the optimiser skips it, as PyTorch does.
 */
export interface ParamLike {
  /** Parameter values, updated in place; may be a view into a shared buffer. */
  readonly data: FloatArray;
  /** Gradient of the loss w.r.t. `data` (same length), or null. Read anew on every step. */
  readonly grad: { readonly data: FloatArray } | null;
}

/**
 * One contiguous range of a model's flat parameter buffer and the (all-reduced) gradient for
 * that range — both already subarrays of the bigger buffers, of equal length. This is what a
 * data-parallel worker steps under ZeRO-1 sharding.
 */
export interface FlatRange {
  /** `[n]` parameter values of the range, updated in place. */
  readonly params: FloatArray;
  /** `[n]` gradient of the range. */
  readonly grads: FloatArray;
}

/** What an optimiser is built over: a non-empty list of parameters, or one flat range. */
export type Params = readonly ParamLike[] | FlatRange;

/**
 * The slots of an optimiser: one per parameter, each owning `[offset, offset + length)` of
 * every flat state array. The grad view is read from `param.grad` at each step, because
 * autograd attaches it after the optimiser is built.
 */
export interface Slots {
  readonly params: readonly ParamLike[];
  readonly offsets: readonly number[];
  readonly lengths: readonly number[];
  /** Total length of every state array (sum of `lengths`). */
  readonly numel: number;
}

/** The parameters of one parameter group: a list of parameters, or one flat range. */
export type GroupParams = readonly ParamLike[] | FlatRange;

/**
 * A PyTorch-style parameter group, as given to an optimiser's constructor: its `params` and any
 * of the optimiser's hyper-parameters (`lr`, `weightDecay`, ...), which override the
 * constructor's options for this group only.
 */
export type ParamGroupSpec<O = Record<string, unknown>> = { readonly params: GroupParams } & Partial<O>;

/** What an optimiser is built over: parameters, one flat range, or a non-empty list of parameter groups. */
export type ParamsOrGroups<O = Record<string, unknown>> = Params | readonly ParamGroupSpec<O>[];

/** Where each group's slots are: `[first, end)` of {@link Slots}, and the group's own options. */
export interface GroupLayout {
  /** The group's options as given (without `params`). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Index of the group's first slot. */
  readonly first: number;
  /** One past its last slot. */
  readonly end: number;
}

function isFloatArray(x: unknown): x is FloatArray {
  return x instanceof Float32Array || x instanceof Float64Array;
}

/** Whether `x` is a list of parameter groups (objects with `params`), rather than of parameters. */
function isGroupList(owner: string, x: unknown): boolean {
  if (!Array.isArray(x) || x.length === 0) return false;
  const isGroup = (g: unknown) => g !== null && typeof g === "object" && "params" in g && !("data" in g);
  const groups = x.filter(isGroup).length;
  if (groups !== 0 && groups !== x.length) throw new Error(`${owner}: the list mixes parameters and parameter groups ({ params, ... })`);
  return groups !== 0;
}

/** The parameters of one list or range, validated. */
function paramList(owner: string, params: GroupParams): readonly ParamLike[] {
  if (Array.isArray(params)) {
    const list = params as readonly ParamLike[];
    if (list.length === 0) throw new Error(`${owner}: got an empty parameter list`);
    list.forEach((p, i) => {
      if (p === null || typeof p !== "object" || !isFloatArray(p.data)) {
        throw new Error(`${owner}: param ${i} must have a Float32Array (or Float64Array) .data`);
      }
    });
    return list;
  }
  const range = params as FlatRange;
  if (range === null || typeof range !== "object" || !isFloatArray(range.params) || !isFloatArray(range.grads)) {
    throw new Error(`${owner}: expected a list of parameters or a flat range { params: Float32Array, grads: Float32Array }`);
  }
  if (range.params.length !== range.grads.length) {
    throw new Error(`${owner}: flat range has ${range.params.length} params but ${range.grads.length} grads`);
  }
  return [{ data: range.params, grad: { data: range.grads } }];
}

/**
 * Validates `params` (parameters, a flat range, or parameter groups) and lays the slots out one
 * after another, group after group: the order of the flat state arrays (and of PyTorch's
 * state-dict indices). A parameter in two places is an error, as in PyTorch across groups.
 */
export function resolveGroups(owner: string, params: ParamsOrGroups): { slots: Slots; groups: GroupLayout[] } {
  const specs: { params: GroupParams; options: Record<string, unknown>; who: string }[] = [];
  const grouped = isGroupList(owner, params);
  if (grouped) {
    (params as readonly ParamGroupSpec[]).forEach((g, i) => {
      const { params: ps, ...options } = g as ParamGroupSpec & Record<string, unknown>;
      specs.push({ params: ps, options, who: `${owner}: param group ${i}` });
    });
  } else {
    specs.push({ params: params as Params, options: {}, who: owner });
  }
  const all: ParamLike[] = [];
  const groups: GroupLayout[] = [];
  const seen = new Map<FloatArray, string>();
  for (const spec of specs) {
    const list = paramList(spec.who, spec.params);
    list.forEach((p, i) => {
      const where = grouped ? `param ${i} of ${spec.who.slice(owner.length + 2)}` : `param ${i}`;
      const before = seen.get(p.data);
      if (before !== undefined) {
        throw new Error(`${owner}: ${where} appears more than once in the parameter ${grouped ? `groups (also ${before})` : "list"}`);
      }
      seen.set(p.data, where);
    });
    groups.push({ options: spec.options, first: all.length, end: all.length + list.length });
    all.push(...list);
  }
  const offsets: number[] = [];
  const lengths: number[] = [];
  let numel = 0;
  for (const p of all) {
    offsets.push(numel);
    lengths.push(p.data.length);
    numel += p.data.length;
  }
  return { slots: { params: all, offsets, lengths, numel }, groups };
}
