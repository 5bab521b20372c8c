/** 10^k for k = 0..22: every one is exact in a double (10^22 < 2^53 · 2^22 with trailing zeros). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * Parses the ASCII bytes `b[start, end)` when they are a plain decimal `[+-]?digits[.digits]`
 * with at most 15 digits in all, and returns `NaN` for anything else (exponents, quotes,
 * spaces, `NaN`, long mantissas), so the caller can fall back to `Number(text)`.
 *
 * Exactness: the mantissa m (< 10^15 < 2^53) and 10^f (f ≤ 15) are exact doubles, and IEEE
 * division rounds m / 10^f correctly, so the result is bit-identical to `Number(text)`
 * (which also rounds the exact decimal value correctly) — without building a string.
 */
export function parseSimpleDecimal(b: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  if (i < end && (b[i] === 45 || b[i] === 43)) {
    negative = b[i] === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fraction = -1; // digits after the point; -1 until a point is seen
  for (; i < end; i++) {
    const c = b[i]!;
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === 46 && fraction < 0) {
      fraction = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  const value = fraction > 0 ? mantissa / POW10[fraction]! : mantissa;
  return negative ? -value : value;
}

/**
 * `Number(text)` restricted to decimal literals (optionally in double quotes, with an
 * exponent): rejects what `Number` would quietly accept — empty strings (→ 0), hex, binary,
 * `Infinity`. Returns `NaN` for those and for any non-number.
 */
export function parseDecimalText(text: string): number {
  let t = text.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1).trim();
  return DECIMAL.test(t) ? Number(t) : NaN;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
