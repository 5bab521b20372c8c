/**
 * Small checks for JSON read back from a run directory, which may have been edited, truncated
 * or corrupted: none of them recurses into the value it is given (a 100k-deep array must not
 * overflow the stack on its way into an error message).
 */

/** A JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A value for an error message: its JSON, cut to 60 characters. */
export function preview(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = undefined; // too deep to print (RangeError), or a BigInt
  }
  if (s === undefined) return Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Whether `actual` is the JSON value `expected` (same keys, in any order). The walk follows
 * `expected`, which the caller built, so its depth bounds the recursion.
 */
export function sameJson(expected: unknown, actual: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => sameJson(e, actual[i]));
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return false;
    const keys = Object.keys(expected).filter((k) => expected[k] !== undefined);
    const got = Object.keys(actual);
    return got.length === keys.length && keys.every((k) => Object.hasOwn(actual, k) && sameJson(expected[k], actual[k]));
  }
  return Object.is(expected, actual) || (expected === 0 && actual === 0);
}
