/** `1 epoch`, `2 epochs`, `1,000 rows`: a count (grouped as en-US) and its noun, plural unless the count is 1. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? noun : nouns}`;
}
