/**
 * Measures several points in one run with their repeats interleaved (repeat 1 of every point,
 * then repeat 2, …), so slow drift on a shared machine — another job starting, thermal or
 * frequency changes — lands on every point alike and ratios between them stay fair.
 */
import { summarize, warmUp, type MeasureOptions, type PointResult } from "./measure.js";
import type { RunSample, Runner } from "./runners.js";

export interface Point {
  runner: Runner;
  batch: number;
}

export async function measureInterleaved(points: readonly Point[], o: MeasureOptions, onRepeat?: (r: number) => void): Promise<PointResult[]> {
  const steps: number[] = [];
  for (const p of points) steps.push(await warmUp(p.runner, p.batch, o));
  const samples: RunSample[][] = points.map(() => []);
  for (let r = 0; r < o.repeats; r++) {
    // Alternate the direction too, so no point always runs right after the same neighbour.
    const order = points.map((_, i) => i);
    if (r % 2) order.reverse();
    for (const i of order) samples[i].push(await points[i].runner.run(points[i].batch, steps[i]));
    onRepeat?.(r);
  }
  return samples.map((s) => summarize(s));
}
