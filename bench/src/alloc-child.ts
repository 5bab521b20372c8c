/**
 * One measurement of `pnpm bench:alloc`, run in a child `node --trace-gc` (see alloc.ts): the
 * engine (1 worker, the standard workload) trains `--warmup` steps, prints a marker, trains
 * `--steps` more, prints a second marker and its arena statistics as JSON. The parent counts the
 * GC lines that V8 printed between the markers — from every isolate, the worker's included.
 */
import { DataParallel } from "@weft/parallel";
import { intArg, parseArgs } from "./cli-args.js";
import { OPTIMIZER, modelSpec, randomData } from "./workload.js";

// The markers alloc.ts looks for (literal there too: importing this file would run it).
const START = "@@alloc-start";
const END = "@@alloc-end";

const args = parseArgs(process.argv.slice(2), ["steps", "warmup", "batch", "arena-bytes"], ["bn"]);
const steps = intArg(args, "steps", 1000);
const warmup = intArg(args, "warmup", 200);
const batch = intArg(args, "batch", 128);
const arenaBytes = intArg(args, "arena-bytes", 32 << 20);
const rows = 64 * batch;
const data = randomData(rows, 1);
// The dataset given at create lives in the run's memory; without the arena it is set afterwards,
// in buffers of its own, as the engine worked before both.
const arena = arenaBytes > 0;
const dp = await DataParallel.create({ model: modelSpec([256, 128], args.has("bn")), loss: { type: "crossEntropyLoss" }, optimizer: OPTIMIZER, workers: 1, seed: 1, arenaBytes, ...(arena ? { data: { x: data.x, features: 784, y: data.y } } : {}) });
try {
  if (!arena) await dp.setData({ x: data.x, features: 784, y: data.y });
  const indices = Int32Array.from({ length: rows }, (_, i) => i);
  const batches = Array.from({ length: 64 }, (_, k) => [k * batch, batch] as [number, number]);
  const train = async (n: number) => {
    for (let done = 0; done < n; done += 64) await dp.runSteps(indices, batches.slice(0, Math.min(64, n - done)));
  };
  await train(warmup);
  console.log(START);
  const t0 = performance.now();
  await train(steps);
  const ms = performance.now() - t0;
  console.log(END);
  // The result goes to stderr: V8's GC lines share stdout and may land anywhere between lines.
  process.stderr.write(`@@alloc-result ${JSON.stringify({ ms, arena: (await dp.arenaStats())[0] })}\n`);
} finally {
  await dp.close();
}
