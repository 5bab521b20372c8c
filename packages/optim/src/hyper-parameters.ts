/**
 * Hyper-parameters: validated once at construction, with errors that name the owner, the
 * option and the value (`Adam: lr must be >= 0, got -1`), then fixed (only `lr` changes).
 */

/** A hyper-parameter value as it appears in a state dict's `config` (strings: a scheduler's mode names). */
export type HyperParameter = number | boolean | string | readonly number[];

/** Rejects option names the owner does not know (a typo such as `weight_decay` would otherwise be ignored). */
export function checkKnownOptions(owner: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new Error(`${owner}: unknown option "${key}" (expected one of ${known.join(", ")})`);
    }
  }
}

/** A finite number, or `fallback` when undefined. */
export function finiteNumber(owner: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`${owner}: ${name} must be a finite number, got ${String(value)}`);
  }
  return value;
}

/** A finite number >= 0, or `fallback` when undefined. */
export function nonNegative(owner: string, name: string, value: unknown, fallback: number): number {
  const v = finiteNumber(owner, name, value, fallback);
  if (v < 0) throw new Error(`${owner}: ${name} must be >= 0, got ${v}`);
  return v;
}

/** A finite number in `[0, 1)`, as Adam requires of each beta. */
export function unitInterval(owner: string, name: string, value: unknown, fallback: number): number {
  const v = finiteNumber(owner, name, value, fallback);
  if (!(v >= 0 && v < 1)) throw new Error(`${owner}: ${name} must be in [0, 1), got ${v}`);
  return v;
}

/** A boolean, or `fallback` when undefined. */
export function flag(owner: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new Error(`${owner}: ${name} must be a boolean, got ${String(value)}`);
  return value;
}

/** An integer >= `min`, or `fallback` when undefined. */
export function integer(owner: string, name: string, value: unknown, min: number, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new Error(`${owner}: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function sameValue(a: unknown, b: HyperParameter): boolean {
  if (Array.isArray(b)) {
    return Array.isArray(a) && a.length === b.length && b.every((x, i) => Object.is(a[i], x));
  }
  return Object.is(a, b);
}

/**
 * Checks that a loaded `config` holds the same fixed hyper-parameters as `own` (every key
 * except those in `mutable`): they are fixed at construction, so a state saved under other
 * values cannot be loaded silently.
 */
export function checkSameConfig(
  owner: string,
  own: Readonly<Record<string, HyperParameter>>,
  loaded: unknown,
  mutable: readonly string[],
  where = "config",
): void {
  if (loaded === null || typeof loaded !== "object") throw new Error(`${owner}: loadStateDict: ${where} is missing`);
  const cfg = loaded as Record<string, unknown>;
  for (const key of Object.keys(own)) {
    if (mutable.includes(key)) continue;
    if (!(key in cfg)) throw new Error(`${owner}: loadStateDict: ${where}.${key} is missing`);
    if (!sameValue(cfg[key], own[key])) {
      throw new Error(
        `${owner}: loadStateDict: ${where}.${key} is ${JSON.stringify(cfg[key])} but this ${owner} has ${JSON.stringify(own[key])} (hyper-parameters are fixed at construction)`,
      );
    }
  }
}

/** Whether two hyper-parameter values are the same (arrays element by element, `Object.is`). */
export function sameHyperParameter(a: unknown, b: HyperParameter): boolean {
  return sameValue(a, b);
}
