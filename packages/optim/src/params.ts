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

function isFloatArray(x: unknown): x is FloatArray {
  return x instanceof Float32Array || x instanceof Float64Array;
}

/** Validates `params` and lays the slots out one after another. */
export function resolveSlots(owner: string, params: Params): Slots {
  let list: readonly ParamLike[];
  if (Array.isArray(params)) {
    list = params as readonly ParamLike[];
    if (list.length === 0) throw new Error(`${owner}: got an empty parameter list`);
    const seen = new Set<FloatArray>();
    list.forEach((p, i) => {
      if (p === null || typeof p !== "object" || !isFloatArray(p.data)) {
        throw new Error(`${owner}: param ${i} must have a Float32Array (or Float64Array) .data`);
      }
      if (seen.has(p.data)) throw new Error(`${owner}: param ${i} appears more than once in the parameter list`);
      seen.add(p.data);
    });
  } else {
    const range = params as FlatRange;
    if (range === null || typeof range !== "object" || !isFloatArray(range.params) || !isFloatArray(range.grads)) {
      throw new Error(`${owner}: expected a list of parameters or a flat range { params: Float32Array, grads: Float32Array }`);
    }
    if (range.params.length !== range.grads.length) {
      throw new Error(`${owner}: flat range has ${range.params.length} params but ${range.grads.length} grads`);
    }
    list = [{ data: range.params, grad: { data: range.grads } }];
  }
  const offsets: number[] = [];
  const lengths: number[] = [];
  let numel = 0;
  for (const p of list) {
    offsets.push(numel);
    lengths.push(p.data.length);
    numel += p.data.length;
  }
  return { params: list, offsets, lengths, numel };
}
