/**
 * `node bench/dist/ab.js --before <checkout> [--workers 1,2] [--batch 128,256] [--bn] [--pairs 30]
 * [--steps 20] [--out bench/results/<name>]`
 *
 * A paired before/after of the engine between two builds, in ONE process: an `EngineRunner` from
 * `<checkout>/bench/dist` (built there) and one from this build, over the same data, their
 * `runSteps` calls interleaved (before, after, after, before, …). Each pair ran within a second
 * of each other, so load on a shared machine lands on both alike; the figure per point is the
 * median over pairs of after-time / before-time (1.00 = the same, above 1 = after is slower),
 * with the spread (quartiles) of those ratios. Idle pools wait on Atomics, so the runner not
 * being timed takes no CPU. Writes `<out>.json` and `<out>.md` with `--out`.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { describeMachine } from "./machine.js";
import { EngineRunner, type Runner } from "./runners.js";
import { randomData } from "./workload.js";

interface Point {
  workers: number;
  batch: number;
  bn: boolean;
  pairs: number;
  /** Median samples/s of each build over its timed calls. */
  before: number;
  after: number;
  /** Quartiles of after / before step time over the pairs. */
  ratio: { q1: number; median: number; q3: number };
}

function quantile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

function ints(v: string, name: string): number[] {
  const out = v.split(",").map(Number);
  if (!out.every((n) => Number.isInteger(n) && n > 0)) throw new Error(`--${name} must be positive integers separated by commas, got ${JSON.stringify(v)}`);
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      before: { type: "string" }, workers: { type: "string", default: "1,2" }, batch: { type: "string", default: "256" },
      bn: { type: "boolean", default: false }, pairs: { type: "string", default: "30" }, steps: { type: "string", default: "20" },
      hidden: { type: "string", default: "256,128" }, out: { type: "string" },
    },
  });
  if (!values.before) throw new Error("--before <checkout> is required: a built checkout of the other version (its bench/dist/runners.js is loaded)");
  const beforeUrl = pathToFileURL(resolve(values.before, "bench/dist/runners.js")).href;
  const Before = ((await import(beforeUrl)) as { EngineRunner: typeof EngineRunner }).EngineRunner;
  const [pairs] = ints(values.pairs!, "pairs");
  const [steps] = ints(values.steps!, "steps");
  const hidden = ints(values.hidden!, "hidden");
  const data = randomData(8192, 1);
  const points: Point[] = [];
  for (const workers of ints(values.workers!, "workers")) {
    for (const batch of ints(values.batch!, "batch")) {
      const a: Runner = await Before.create(workers, hidden, values.bn!, data, 0);
      const b: Runner = await EngineRunner.create(workers, hidden, values.bn!, data, 0);
      for (let w = 0; w < 3; w++) { await a.run(batch, steps); await b.run(batch, steps); } // warm-up: JIT, arenas
      const tb: number[] = [];
      const ta: number[] = [];
      for (let p = 0; p < pairs; p++) {
        const order = p % 2 ? [b, a] : [a, b];
        for (const r of order) (r === a ? tb : ta).push((await r.run(batch, steps)).ms);
      }
      await a.close();
      await b.close();
      const ratios = ta.map((t, i) => t / tb[i]!).sort((x, y) => x - y);
      const rate = (ms: number[]) => (batch * steps * 1000) / median(ms);
      const pt: Point = { workers, batch, bn: values.bn!, pairs, before: rate(tb), after: rate(ta), ratio: { q1: quantile(ratios, 0.25), median: quantile(ratios, 0.5), q3: quantile(ratios, 0.75) } };
      points.push(pt);
      process.stderr.write(`W=${workers} batch ${batch}${pt.bn ? " BN" : ""}: before ${Math.round(pt.before)} samples/s, after ${Math.round(pt.after)}; after/before time ${pt.ratio.median.toFixed(3)} (quartiles ${pt.ratio.q1.toFixed(3)}–${pt.ratio.q3.toFixed(3)})\n`);
    }
  }
  const record = { benchmark: "ab", before: resolve(values.before), hidden, steps, machine: describeMachine(), points };
  const md = [
    `| workers | batch | BN | before samples/s | after samples/s | after / before time (median) | quartiles |`,
    `| ---: | ---: | :---: | ---: | ---: | ---: | ---: |`,
    ...points.map((p) => `| ${p.workers} | ${p.batch} | ${p.bn ? "yes" : "no"} | ${Math.round(p.before).toLocaleString("en-US")} | ${Math.round(p.after).toLocaleString("en-US")} | ${p.ratio.median.toFixed(3)} | ${p.ratio.q1.toFixed(3)}–${p.ratio.q3.toFixed(3)} |`),
  ].join("\n");
  if (values.out) {
    writeFileSync(`${values.out}.json`, `${JSON.stringify(record, null, 2)}\n`);
    writeFileSync(`${values.out}.md`, `${md}\n`);
  }
  process.stdout.write(`${md}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:ab: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
