/** Summaries of repeated measurements: benchmarks on a shared 2-vCPU machine quote medians. */

/** The median (mean of the middle two for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Index of the median element (the lower middle for an even count), to pick the run it came from. */
export function medianIndex(values: readonly number[]): number {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  return order[(order.length - 1) >> 1][1];
}

/** Rounds to `digits` significant digits, for readable JSON and tables. */
export function sig(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

/** Thousands separators, no decimals: 12,345. */
export function fmtInt(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "—";
}

/** A ratio as `1.83×`. */
export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(2)}×` : "—";
}

/** A fraction as a percentage: `91%` (`digits` decimals: `89.8%`, for figures next to a threshold). */
export function fmtPct(x: number, digits = 0): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : "—";
}

/**
 * The median of the per-repeat ratios a[i] / b[i] of two points whose repeats were interleaved
 * (repeat i of both ran seconds apart): drift of the machine between repeats cancels, which a
 * ratio of the two medians does not do. Falls back to the ratio of medians when unpaired.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || a.length !== b.length) return median(a) / median(b);
  return median(a.map((x, i) => x / b[i]));
}
