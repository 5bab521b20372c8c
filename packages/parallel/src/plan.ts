/** How a run is laid out: shard sizes of a batch and each worker's range of the flat parameters. */

/** Rows [start, end) of `rank`'s contiguous shard of a batch of `size` rows (sizes differ by ≤ 1). */
export function shardRange(size: number, worldSize: number, rank: number): [number, number] {
  const base = Math.floor(size / worldSize);
  const extra = size % worldSize;
  const start = rank * base + Math.min(rank, extra);
  return [start, start + base + (rank < extra ? 1 : 0)];
}

/**
 * `rank`'s range of a flat buffer of `length` values for the reduce-scatter and the sharded
 * optimiser step, cut at multiples of 16 floats (64-byte cache lines) so no two workers write
 * the same line.
 */
export function paramRange(length: number, worldSize: number, rank: number): [number, number] {
  const lines = Math.ceil(length / 16);
  const [a, b] = shardRange(lines, worldSize, rank);
  return [Math.min(a * 16, length), Math.min(b * 16, length)];
}

/** The state arrays each optimiser may ask for, to place in shared memory up front. */
export const OPTIMIZER_STATE_NAMES: Record<string, string[]> = {
  SGD: ["momentumBuffer"],
  RMSprop: ["squareAvg", "momentumBuffer", "gradAvg"],
  Adam: ["expAvg", "expAvgSq", "maxExpAvgSq"],
  AdamW: ["expAvg", "expAvgSq", "maxExpAvgSq"],
};
