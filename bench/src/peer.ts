/**
 * `node bench/dist/peer.js --library tfjs-cpu|tfjs-wasm|mind-net [--arch mlp|cnn] [--workers W] [--batch B]
 *   [--hidden 256,128] [--steps N] [--repeats R] [--warmup K] [--quick] [--json]`
 *
 * One point of the standard workload in a peer library, measured like `bench:train` (warm-up,
 * steps fitted to ≈ 0.5 s, median of repeats). mind-net with `--workers W` ≥ 1 uses its
 * ParallelModelWrapper; without, its plain model on the main thread. `--arch cnn`: issue 14's
 * standard CNN, in TF.js cpu only (TF.js wasm cannot train convolutions, tfjs#8474; mind-net.js
 * has no convolution layer). `bench:peers` runs this.
 */
import { choiceArg, intArg, intListArg, parseArgs } from "./cli-args.js";
import { measure } from "./measure.js";
import { MindNetRunner } from "./mindnet-runner.js";
import type { Runner } from "./runners.js";
import { fmtInt } from "./summary.js";
import { TfjsRunner, tfjsWasmFeatures } from "./tfjs-runner.js";
import { rowsFor } from "./train-point.js";
import { randomData } from "./workload.js";

const args = parseArgs(process.argv.slice(2), ["library", "arch", "workers", "batch", "hidden", "steps", "repeats", "warmup", "seed", "target-ms"], ["json", "quick"]);
const quick = args.has("quick");
const library = choiceArg(args, "library", ["tfjs-cpu", "tfjs-wasm", "mind-net"] as const, "tfjs-wasm");
const arch = choiceArg(args, "arch", ["mlp", "cnn"] as const, "mlp");
if (arch === "cnn" && library !== "tfjs-cpu") {
  throw new Error(`--arch cnn: only --library tfjs-cpu trains the CNN (${library === "tfjs-wasm" ? "tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter kernel, tfjs#8474" : "mind-net.js has no convolution layer"})`);
}
const batch = Math.max(1, intArg(args, "batch", 128));
const hidden = intListArg(args, "hidden", [256, 128]);
const steps = intArg(args, "steps", quick ? 2 : 0);
const o = { steps, repeats: Math.max(1, intArg(args, "repeats", quick ? 1 : 5)), warmup: intArg(args, "warmup", quick ? 1 : 4), targetMs: intArg(args, "target-ms", 500) };
// mind-net trains on `steps × batch` fresh rows per call: give it enough for the longest call.
const rows = library === "mind-net" ? Math.max(rowsFor(batch), batch * (steps || 40)) : rowsFor(batch);
const data = randomData(rows, intArg(args, "seed", 0));

let runner: Runner;
let note = "";
if (library === "mind-net") {
  runner = await MindNetRunner.create(intArg(args, "workers", 0), hidden, data);
  note = runner.kind === "mind-net-parallel" ? `ParallelModelWrapper, ${runner.workers} workers` : "SequentialModel.train on the main thread";
} else {
  runner = await TfjsRunner.create(library === "tfjs-cpu" ? "cpu" : "wasm", hidden, data, arch);
  if (arch === "cnn") note = "standard CNN in NHWC; BatchNorm via tf.moments + tf.batchNorm";
  if (library === "tfjs-wasm") {
    const f = await tfjsWasmFeatures();
    note = `wasm SIMD ${f.simd ? "on" : "off"}, threads ${f.threads ? "on" : "off"}`;
  }
}
// mind-net's steps are capped by its data (each call takes fresh rows).
const r = await measure(runner, batch, { ...o, maxSteps: library === "mind-net" ? Math.floor(rows / batch / 2) : 200 });
await runner.close();
const record = { bench: "peer", library: runner.kind, arch, workers: runner.workers, batch, hidden: arch === "cnn" ? [] : hidden, note, samplesPerSec: r.samplesPerSec, msPerStep: r.msPerStep, runs: r.runs, steps: r.steps, repeats: r.repeats };
console.log(args.has("json") ? JSON.stringify(record) : `${record.library} ${arch === "cnn" ? "standard CNN" : "MLP"} (${note || "main thread"}), batch ${batch}: ${fmtInt(r.samplesPerSec)} samples/s, ${r.msPerStep.toFixed(2)} ms/step (median of ${r.repeats} × ${r.steps} steps)`);
// mind-net's and TF.js's pools may keep the event loop alive.
process.exit(0);
