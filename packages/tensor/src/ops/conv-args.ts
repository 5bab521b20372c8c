/** The argument forms convolution and pooling share: a number or one value per spatial axis. */

/** `v` as `n` values (a number repeats; a list must have `n` entries); each a positive or non-negative integer. */
export function perAxis(op: string, name: string, v: number | readonly number[], n: number, min: 0 | 1): number[] {
  const list = typeof v === "number" ? new Array<number>(n).fill(v) : [...v];
  if (list.length !== n || list.some((x) => !Number.isInteger(x) || x < min)) {
    const what = min === 1 ? "positive integer" : "non-negative integer";
    throw new Error(`${op}: ${name} must be a ${what} or a list of ${n} of them, got ${JSON.stringify(v)}`);
  }
  return list;
}
