/**
 * Gradient clipping, as torch.nn.utils' `clip_grad_norm_` and `clip_grad_value_`: in place on
 * the gradients, before `optimizer.step()`. The norm is accumulated in float64 (PyTorch sums in
 * the gradients' dtype), so it neither overflows nor loses the small terms of a big model.
 */
import { checkKnownOptions, finiteNumber, flag } from "./hyper-parameters.js";
import type { FloatArray, ParamLike } from "./params.js";

/** What the clipping functions take: gradients, parameters (their `grad`), or a list of either. */
export type GradsLike = FloatArray | ParamLike | Iterable<FloatArray | ParamLike>;

/** Options of {@link clipGradNorm} and {@link clipGradNormFlat}. */
export interface ClipGradNormOptions {
  /** Order of the norm: a number > 0, or `Infinity` for the max-norm; default 2. */
  normType?: number;
  /** Throw when the total norm is NaN or ±Infinity instead of scaling by it; default false. */
  errorIfNonfinite?: boolean;
}

/** Options of {@link clipGradNormFlat}: those of {@link clipGradNorm}, and a norm computed elsewhere. */
export interface ClipGradNormFlatOptions extends ClipGradNormOptions {
  /**
   * The total norm over every shard of the gradient (from {@link combineGradNormPartials}), when
   * `grads` is one worker's shard: clipping uses it rather than the norm of `grads` alone.
   */
  totalNorm?: number;
}

// PyTorch's clip_grad_norm_ adds this to the norm before dividing.
const EPS = 1e-6;

function isFloatArray(x: unknown): x is FloatArray {
  return x instanceof Float32Array || x instanceof Float64Array;
}

/** The gradient arrays of `input`, skipping parameters whose grad is null (as PyTorch does). */
function gradArrays(owner: string, input: GradsLike): FloatArray[] {
  const one = (x: unknown, i: number): FloatArray | null => {
    if (isFloatArray(x)) return x;
    if (x !== null && typeof x === "object" && "grad" in x) {
      const g = (x as ParamLike).grad;
      if (g === null || g === undefined) return null;
      if (!isFloatArray(g.data)) throw new Error(`${owner}: the grad of parameter ${i} must have a Float32Array (or Float64Array) .data`);
      return g.data;
    }
    throw new Error(`${owner}: expected gradients (Float32Array), parameters ({ data, grad }) or a list of them; item ${i} is neither`);
  };
  if (isFloatArray(input)) return [input];
  if (input !== null && typeof input === "object" && "grad" in input) {
    const g = one(input, 0);
    return g === null ? [] : [g];
  }
  if (input === null || typeof input !== "object" || typeof (input as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new Error(`${owner}: expected gradients (Float32Array), parameters ({ data, grad }) or a list of them`);
  }
  const out: FloatArray[] = [];
  let i = 0;
  for (const x of input as Iterable<unknown>) {
    const g = one(x, i++);
    if (g !== null) out.push(g);
  }
  return out;
}

/** A number >= 0, `Infinity` allowed (PyTorch's idiom `maxNorm = inf` only measures the norm). */
function limit(owner: string, name: string, value: unknown): number {
  if (value === Infinity) return Infinity;
  if (value === undefined) throw new Error(`${owner}: ${name} is required`);
  const v = finiteNumber(owner, name, value, Number.NaN);
  if (!(v >= 0)) throw new Error(`${owner}: ${name} must be >= 0, got ${v}`);
  return v;
}

function normTypeOf(owner: string, value: unknown): number {
  if (value === undefined) return 2;
  if (value === Infinity) return Infinity;
  const p = finiteNumber(owner, "normType", value, 2);
  if (!(p > 0)) throw new Error(`${owner}: normType must be > 0 or Infinity, got ${p}`);
  return p;
}

/**
 * One shard's contribution to the gradient norm of order `normType`, in float64: `Σ|g|ᵖ`
 * (`Σ g²` for the default 2), or `max|g|` for `Infinity`. Partials of several shards combine
 * with {@link combineGradNormPartials} (sum, or max), in rank order so every worker gets the
 * same bits. NaN in `grads` gives NaN.
 */
export function gradNormPartial(grads: FloatArray, normType = 2): number {
  const p = normTypeOf("gradNormPartial", normType);
  if (!isFloatArray(grads)) throw new Error("gradNormPartial: grads must be a Float32Array (or Float64Array)");
  return partial(grads, p);
}

function partial(g: FloatArray, p: number): number {
  let acc = 0;
  const n = g.length;
  if (p === Infinity) {
    for (let i = 0; i < n; i++) {
      const a = Math.abs(g[i]);
      // `!(a <= acc)` so that a NaN wins, as torch's max does.
      if (!(a <= acc)) acc = a;
    }
  } else if (p === 2) {
    for (let i = 0; i < n; i++) acc += g[i] * g[i];
  } else if (p === 1) {
    for (let i = 0; i < n; i++) acc += Math.abs(g[i]);
  } else {
    for (let i = 0; i < n; i++) acc += Math.abs(g[i]) ** p;
  }
  return acc;
}

/**
 * The total norm of order `normType` from the partials of {@link gradNormPartial} (one per
 * shard or tensor, in order): `(Σ partials)^(1/p)`, or `max(partials)` for `Infinity`.
 */
export function combineGradNormPartials(partials: ArrayLike<number>, normType = 2): number {
  const p = normTypeOf("combineGradNormPartials", normType);
  let acc = 0;
  for (let i = 0; i < partials.length; i++) {
    const x = partials[i];
    if (p === Infinity) {
      if (!(x <= acc)) acc = x;
    } else acc += x;
  }
  if (p === Infinity) return acc;
  return p === 2 ? Math.sqrt(acc) : p === 1 ? acc : acc ** (1 / p);
}

/** Checks finiteness (if asked) and scales every array in place by PyTorch's clamped coefficient. */
function clipTo(owner: string, grads: readonly FloatArray[], maxNorm: number, total: number, p: number, errorIfNonfinite: boolean): void {
  if (errorIfNonfinite && !Number.isFinite(total)) {
    // PyTorch's message, with our option name.
    throw new Error(
      `${owner}: the total norm of order ${p} for gradients is non-finite (${total}), so it cannot be clipped. ` +
        "To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false",
    );
  }
  // torch.clamp(maxNorm / (total + 1e-6), max=1): a NaN norm gives a NaN coefficient (the
  // gradients become NaN, as in PyTorch), an infinite one gives 0. At 1 nothing is touched.
  const raw = maxNorm / (total + EPS);
  const coef = raw > 1 ? 1 : raw;
  if (coef === 1) return;
  for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coef;
}

function readOptions(owner: string, options: ClipGradNormFlatOptions, flat: boolean): { p: number; errorIfNonfinite: boolean } {
  if (options === null || typeof options !== "object") throw new Error(`${owner}: options must be an object`);
  checkKnownOptions(owner, options, flat ? ["normType", "errorIfNonfinite", "totalNorm"] : ["normType", "errorIfNonfinite"]);
  return { p: normTypeOf(owner, options.normType), errorIfNonfinite: flag(owner, "errorIfNonfinite", options.errorIfNonfinite, false) };
}

/**
 * PyTorch's `torch.nn.utils.clip_grad_norm_`: computes the norm of order `normType` of all the
 * gradients together, as if concatenated into one vector, and when it exceeds `maxNorm` scales
 * every gradient in place by `maxNorm / (total + 1e-6)` (the coefficient clamped at 1, so
 * gradients under the limit are left untouched). Parameters whose grad is null are skipped.
 *
 * @param parameters a parameter (`{ data, grad }`), a gradient (`Float32Array`), or a list of either
 *   (e.g. `model.parameters()`).
 * @param maxNorm the largest norm allowed (>= 0; `Infinity` only measures).
 * @param options `normType` (default 2, `Infinity` for the max-norm), `errorIfNonfinite` (default false).
 * @returns the total norm before clipping (float64; 0 when there are no gradients).
 *
 * @example
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0);
 * opt.step();
 */
export function clipGradNorm(parameters: GradsLike, maxNorm: number, options: ClipGradNormOptions = {}): number {
  const owner = "clipGradNorm";
  const max = limit(owner, "maxNorm", maxNorm);
  const { p, errorIfNonfinite } = readOptions(owner, options, false);
  const grads = gradArrays(owner, parameters);
  if (grads.length === 0) return 0;
  const total = combineGradNormPartials(
    grads.map((g) => partial(g, p)),
    p,
  );
  clipTo(owner, grads, max, total, p, errorIfNonfinite);
  return total;
}

/**
 * {@link clipGradNorm} over one flat gradient (e.g. a data-parallel engine's reduced gradient):
 * the same norm, coefficient and return value. When `grads` is one worker's shard, give the
 * norm over all shards as `totalNorm` (each worker's {@link gradNormPartial}, summed across
 * workers, through {@link combineGradNormPartials}) so every shard is scaled alike.
 *
 * @param grads `[n]` gradient, scaled in place.
 * @param maxNorm the largest norm allowed (>= 0; `Infinity` only measures).
 * @returns the total norm before clipping (`totalNorm` when given).
 *
 * @example
 * // one worker of W, its shard of the all-reduced gradient:
 * const mine = gradNormPartial(shard);                       // Σ g² of the shard
 * const total = combineGradNormPartials(allPartialsInRankOrder); // √(Σ over ranks)
 * clipGradNormFlat(shard, 1.0, { totalNorm: total });
 */
export function clipGradNormFlat(grads: FloatArray, maxNorm: number, options: ClipGradNormFlatOptions = {}): number {
  const owner = "clipGradNormFlat";
  if (!isFloatArray(grads)) throw new Error(`${owner}: grads must be a Float32Array (or Float64Array)`);
  const max = limit(owner, "maxNorm", maxNorm);
  const { p, errorIfNonfinite } = readOptions(owner, options, true);
  let total: number;
  if (options.totalNorm !== undefined) {
    if (typeof options.totalNorm !== "number") throw new Error(`${owner}: totalNorm must be a number, got ${String(options.totalNorm)}`);
    total = options.totalNorm;
  } else {
    total = combineGradNormPartials([partial(grads, p)], p);
  }
  clipTo(owner, [grads], max, total, p, errorIfNonfinite);
  return total;
}

/**
 * PyTorch's `torch.nn.utils.clip_grad_value_`: clamps every gradient element to
 * `[-clipValue, clipValue]` in place (NaN stays NaN, as with torch.clamp). Parameters whose grad
 * is null are skipped.
 *
 * @param parameters a parameter, a gradient, or a list of either (e.g. `model.parameters()`).
 * @param clipValue the largest magnitude allowed (>= 0, or `Infinity`).
 *
 * @example
 * clipGradValue(model.parameters(), 0.5);
 */
export function clipGradValue(parameters: GradsLike, clipValue: number): void {
  const owner = "clipGradValue";
  const c = limit(owner, "clipValue", clipValue);
  for (const g of gradArrays(owner, parameters)) {
    for (let i = 0; i < g.length; i++) {
      const x = g[i];
      if (x > c) g[i] = c;
      else if (x < -c) g[i] = -c;
    }
  }
}
