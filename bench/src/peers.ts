/**
 * `pnpm bench:peers [--quick] [--batch 128] [--rounds 2] [--json] [--out DIR]`
 * `pnpm bench:peers --arch cnn [--quick] [--batch 128] [--rounds 2] [--python python3] [--no-tfjs] [--json] [--out DIR]`:
 *   issue 14's standard CNN instead (peers-cnn.ts: weft, TF.js cpu, optional PyTorch).
 * `pnpm bench:peers --arch lm [--quick] [--batch 32] [--rounds 3] [--python python3] [--json] [--out DIR]`:
 *   issue 15's standard char-LM (peers-lm.ts: weft and the optional PyTorch peer).
 *
 * The standard workload in weft (W = 1 and W = cores) and in the JavaScript peers a user would
 * otherwise pick: TensorFlow.js (tfjs-core, cpu and wasm backends, a manual variableGrads loop
 * with Adam) and mind-net.js (its main-thread model and its ParallelModelWrapper over
 * worker_threads). Each runs in its own process, one at a time; the list runs `--rounds` times,
 * reversed every other round, and each figure is the median of all its rounds' repeats.
 * Writes peers.json and peers.md (`--arch cnn`: peers-cnn.json and peers-cnn.md; `--arch lm`: peers-lm.*).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { choiceArg, intArg, intListArg, parseArgs } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";
import { fmtInt, fmtRatio, median, sig } from "./summary.js";
import { cnnPeers } from "./peers-cnn.js";
import { lmPeers } from "./peers-lm.js";
import { runRounds, type Entry } from "./peer-rounds.js";
import { modelName } from "./train-point.js";

const args = parseArgs(process.argv.slice(2), ["arch", "batch", "rounds", "out", "hidden", "python"], ["quick", "json", "no-tfjs"]);
const arch = choiceArg(args, "arch", ["mlp", "cnn", "lm"] as const, "mlp");
const quick = args.has("quick");
const cores = availableParallelism();
const log = (s: string) => (args.has("json") ? process.stderr : process.stdout).write(s + "\n");
const { name, results, md } = arch === "cnn" ? await cnnPeers(args, log) : arch === "lm" ? await lmPeers(args, log) : await mlpPeers();

async function mlpPeers() {
  const batch = intArg(args, "batch", quick ? 32 : 128);
  const hidden = intListArg(args, "hidden", quick ? [64, 32] : [256, 128]);
  const rounds = Math.max(1, intArg(args, "rounds", quick ? 1 : 2));
  const common = ["--batch", String(batch), "--hidden", hidden.join(","), ...(quick ? ["--quick"] : [])];

  const entries: Entry[] = [
    { id: "weft-1", label: "weft, 1 worker (wasm kernels)", script: "train.js", args: ["--workers", "1", "--backend", "wasm"], workers: 1 },
    { id: `weft-${cores}`, label: `weft, ${cores} workers (wasm kernels)`, script: "train.js", args: ["--workers", String(cores), "--backend", "wasm"], workers: cores },
    // The kernel backend is a dimension of the comparison: the same engine on the TypeScript kernels.
    { id: "weft-1-js", label: "weft, 1 worker (js kernels)", script: "train.js", args: ["--workers", "1", "--backend", "js"], workers: 1 },
    { id: "tfjs-cpu", label: "TF.js 4.22 cpu backend", script: "peer.js", args: ["--library", "tfjs-cpu"], workers: 1 },
    { id: "tfjs-wasm", label: "TF.js 4.22 wasm backend", script: "peer.js", args: ["--library", "tfjs-wasm"], workers: 1 },
    { id: "mind-net", label: "mind-net.js 1.4.4, main thread", script: "peer.js", args: ["--library", "mind-net"], workers: 1 },
    { id: `mind-net-${cores}`, label: `mind-net.js 1.4.4 ParallelModelWrapper, ${cores} workers`, script: "peer.js", args: ["--library", "mind-net", "--workers", String(cores)], workers: cores },
  ];

  const { runs, notes, errors } = await runRounds(entries, rounds, () => common, log);

  const machine = describeMachine();
  const sps = (id: string) => median(runs.get(id) ?? []);
  const weft1 = sps("weft-1");
  const weftN = sps(`weft-${cores}`);
  const rows = entries.map((e) => ({
    id: e.id, label: e.label, workers: e.workers, batch, hidden,
    samplesPerSec: sig(sps(e.id)), runs: runs.get(e.id)!.map((x) => sig(x)),
    weft1OverPeer: sig(weft1 / sps(e.id)), weftCoresOverPeer: sig(weftN / sps(e.id)),
    note: notes.get(e.id) ?? "", error: errors.get(e.id) ?? null,
  }));
  const results = { bench: "peers", machine, quick, cores, batch, hidden, rounds, rows };
  const wasm = rows.find((r) => r.id === "tfjs-wasm");
  const md = [
    `# Peers: weft against TensorFlow.js and mind-net.js${quick ? " (--quick: not results)" : ""}`,
    "",
    `Machine: ${machineLine(machine)}.`,
    "",
    `\`pnpm bench:peers\`: the standard workload — MLP ${modelName(hidden, false)} (ReLU), softmax cross-entropy, Adam lr 1e-3, batch ${batch}, seeded random-normal inputs and random labels — in each library, each in its own Node process, one at a time, ${rounds} round(s) (the order reversed every other round); samples/s is the median of every timed repeat of every round (warm-up steps excluded). ` +
      "Every loop gathers its batch's rows from the dataset each step. TF.js: `@tensorflow/tfjs-core` 4.22 with `tfjs-backend-cpu` or `tfjs-backend-wasm` (SIMD .wasm shipped in the npm package), variables, `tf.variableGrads`, `tf.train.adam(1e-3).applyGradients`, in `tf.tidy`, loss read back each step; tfjs-core's Node bundle ships no gradients, so bench/src/tfjs-gradients.ts registers tfjs-core's own five (BatchMatMul, Add, Relu, Sum, RealDiv) unchanged. " +
      "mind-net.js: `SequentialModel` with Dense layers and its `train(x, y, {batchSize, epochs: 1})`, per-sample Float64Array rows (its format), on the main thread or through `ParallelModelWrapper`. No BatchNorm here: neither peer loop has it built in the same way.",
    "",
    "| library | workers | samples/s | weft 1 worker / it | weft " + cores + " workers / it | note |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.label} | ${r.workers} | ${r.error ? `failed: ${r.error}` : fmtInt(r.samplesPerSec)} | ${fmtRatio(r.weft1OverPeer)} | ${fmtRatio(r.weftCoresOverPeer)} | ${r.note} |`),
    "",
    wasm && Number.isFinite(wasm.weft1OverPeer)
      ? `Target (issue 6): weft with 1 worker at least 2× TF.js wasm — measured ${fmtRatio(wasm.weft1OverPeer)}: **${wasm.weft1OverPeer >= 2 ? "met" : "missed"}**.`
      : "Target (issue 6): weft with 1 worker at least 2× TF.js wasm — not measured (TF.js wasm did not run).",
    "",
  ].join("\n");
  return { name: "peers", results, md };
}

const out = (args.get("out") as string | undefined) ?? (quick ? undefined : fileURLToPath(new URL("../results/", import.meta.url)));
if (out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.json`), JSON.stringify(results, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 1));
  writeFileSync(join(out, `${name}.md`), md);
  log(`wrote ${join(out, `${name}.{json,md}`)}`);
}
if (args.has("json")) console.log(JSON.stringify(results, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
else console.log(md);
