/**
 * One point of a benchmark: warm-up steps (not timed), a step count that fills a target time
 * per repeat, repeats, and the median. Sweeps that compare points interleave their repeats
 * (see {@link summarize}) so that drift on a shared machine hits every point alike.
 */
import type { RunSample, Runner } from "./runners.js";
import { median, medianIndex, sig } from "./summary.js";

/** Milliseconds per step, from rank 0 (the ranks' sum of the four is ≈ the step's wall time). */
export interface Breakdown {
  compute: number;
  barrierWait: number;
  allReduce: number;
  optimizer: number;
}

export interface PointResult {
  samplesPerSec: number;
  msPerStep: number;
  /** samples/s of each repeat, in order. */
  runs: number[];
  steps: number;
  repeats: number;
  /** Of rank 0, in the median repeat. */
  breakdown: Breakdown;
  /** Every rank's breakdown in the median repeat (the engine; the plain loop has one). */
  breakdownByRank: Breakdown[];
}

export interface MeasureOptions {
  /** Steps per repeat; 0 picks enough to fill `targetMs`. */
  steps: number;
  repeats: number;
  warmup: number;
  targetMs: number;
  /** Step-count bounds for the automatic choice. */
  minSteps?: number;
  maxSteps?: number;
}

/** Runs the warm-up steps and returns the step count to use (given, or fitted to `targetMs`). */
export async function warmUp(runner: Runner, batch: number, o: MeasureOptions): Promise<number> {
  let msPerStep = Infinity;
  if (o.warmup > 0) {
    // Two calls: the first pays for JIT and first-touch page faults, the second is the estimate.
    const first = Math.max(1, Math.floor(o.warmup / 2));
    await runner.run(batch, first);
    if (o.warmup - first > 0) {
      const s = await runner.run(batch, o.warmup - first);
      msPerStep = s.ms / s.steps;
    }
  }
  if (o.steps > 0) return o.steps;
  if (!Number.isFinite(msPerStep)) {
    const s = await runner.run(batch, 1);
    msPerStep = s.ms;
  }
  const fit = Math.round(o.targetMs / Math.max(msPerStep, 1e-3));
  return Math.min(o.maxSteps ?? 200, Math.max(o.minSteps ?? 2, fit));
}

function breakdownOf(t: Float64Array, rank: number, steps: number): Breakdown {
  const b = (i: number) => sig(t[4 * rank + i] / steps);
  return { compute: b(0), barrierWait: b(1), allReduce: b(2), optimizer: b(3) };
}

/** Median over a point's repeats. */
export function summarize(samples: readonly RunSample[]): PointResult {
  const runs = samples.map((s) => (s.batch * s.steps * 1000) / s.ms);
  const mid = samples[medianIndex(runs)];
  const ranks = mid.timings.length / 4;
  const byRank = Array.from({ length: ranks }, (_, r) => breakdownOf(mid.timings, r, mid.steps));
  return {
    samplesPerSec: sig(median(runs)),
    msPerStep: sig(median(samples.map((s) => s.ms / s.steps))),
    runs: runs.map((r) => sig(r)),
    steps: mid.steps,
    repeats: samples.length,
    breakdown: byRank[0],
    breakdownByRank: byRank,
  };
}

/** Warm-up, then `repeats` timed calls of one runner at one batch size. */
export async function measure(runner: Runner, batch: number, o: MeasureOptions, beforeTimed?: () => Promise<void>): Promise<PointResult> {
  const steps = await warmUp(runner, batch, o);
  if (beforeTimed) await beforeTimed();
  const samples: RunSample[] = [];
  for (let r = 0; r < o.repeats; r++) samples.push(await runner.run(batch, steps));
  return summarize(samples);
}
