/**
 * `pnpm bench:peers --arch cnn`: issue 14's standard CNN workload (workload.ts `cnnSpec`) in weft
 * (W = 1 and W = cores), TF.js 4.22 cpu (tfjs-runner.ts; the wasm backend cannot train
 * convolutions, tfjs#8474) and, where `<python> -c "import torch"` works, PyTorch at 1 and
 * `cores` threads (bench/peers/torch_cnn.py). PyTorch is optional: without it its rows say
 * "skipped" and the run goes on (weft never needs Python). Interleaved as bench:peers' MLP rows
 * (peer-rounds.ts); TF.js cpu runs in the first round only, one timed step (its
 * Conv2DBackpropFilter is a scalar loop: ≈ a minute per step of 128 here, ≈ 4 on a slower
 * Xeon; `--no-tfjs` leaves it out, for more rounds of the others in the same time).
 */
import { availableParallelism } from "node:os";
import { intArg, type Args } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";
import { againstTorch, runRounds, torchAvailable, type Entry } from "./peer-rounds.js";
import { fmtInt, fmtRatio, sig } from "./summary.js";

/** samples/s: thousands separators, and two significant digits below 10 (TF.js cpu's ≈ 1). */
const fmtRate = (x: number) => (Number.isFinite(x) && x < 10 ? x.toPrecision(2) : fmtInt(x));

export async function cnnPeers(args: Args, log: (s: string) => void) {
  const quick = args.has("quick");
  const cores = availableParallelism();
  // --quick (the CI smoke): a tiny batch and one step, so TF.js's slow backward stays a second or two.
  const batch = intArg(args, "batch", quick ? 4 : 128);
  const rounds = Math.max(1, intArg(args, "rounds", quick ? 1 : 2));
  const python = (args.get("python") as string | undefined) ?? process.env.WEFT_PYTHON ?? "python3";
  const torch = torchAvailable(python);
  const noTorch = torch ? undefined : `skipped: \`${python} -c "import torch"\` failed (PyTorch is an optional peer; install it, or pass --python)`;
  const widths = [...new Set([1, cores])];

  const entries: Entry[] = [
    ...widths.map((w): Entry => ({ id: `weft-${w}`, label: `weft, ${w} worker${w > 1 ? "s" : ""}`, script: "train.js", args: ["--arch", "cnn", "--workers", String(w)], workers: w })),
    { id: "tfjs-cpu", label: "TF.js 4.22 cpu backend", script: "peer.js", args: ["--library", "tfjs-cpu", "--arch", "cnn"], workers: 1, maxRounds: 1, skip: args.has("no-tfjs") ? "skipped: --no-tfjs" : undefined },
    ...widths.map((t): Entry => ({ id: `pytorch-${t}`, label: `PyTorch, ${t} thread${t > 1 ? "s" : ""}`, script: "python", file: "torch_cnn.py", args: ["--threads", String(t)], workers: t, skip: noTorch })),
  ];
  const timing = (e: Entry): string[] =>
    quick ? ["--steps", "1", "--repeats", "1", "--warmup", "0"]
    : e.id === "tfjs-cpu" ? ["--steps", "1", "--repeats", "1", "--warmup", "1"]
    : ["--repeats", "3"];
  const common = (e: Entry) => ["--batch", String(batch), ...timing(e)];

  const machine = describeMachine();
  const measured = await runRounds(entries, rounds, common, log, python);
  const { runs, notes, errors } = measured;
  const { rate: sps, bestWeft, bestTorch, overTorchBest, roundRatios, headline, perRound, verdict } = againstTorch(entries, measured);
  const rows = entries.map((e) => ({
    id: e.id, label: e.label, workers: e.workers, batch,
    samplesPerSec: sig(sps(e.id)), runs: runs.get(e.id)!.map((x) => sig(x)),
    overTorchBest: overTorchBest(e.id), overTorchBestByRound: roundRatios(e.id),
    skipped: Boolean(e.skip), note: notes.get(e.id) ?? "", error: errors.get(e.id) ?? null,
  }));
  const results = { bench: "peers", arch: "cnn", machine, loadAvgEnd: describeMachine().loadAvg1, quick, cores, batch, rounds, python, torch, bestWeft, bestTorch, weftBestOverTorchBest: headline, rows };
  const md = [
    `# Peers on the standard CNN: weft against TensorFlow.js and PyTorch${quick ? " (--quick: not results)" : ""}`,
    "",
    `Machine: ${machineLine(machine)}; load average ${results.loadAvgEnd} at the end.`,
    "",
    "`pnpm bench:peers --arch cnn`: issue 14's standard CNN — Conv2d(1,32,3,p1, no bias) → BatchNorm2d → ReLU → MaxPool2d(2) → Conv2d(32,64,3,p1, no bias) → BatchNorm2d → ReLU → MaxPool2d(2) → Flatten → Linear(3136,128) → ReLU → Linear(128,10), cross-entropy, Adam 1e-3, " +
      `batch ${batch}, seeded random-normal inputs [N, 1, 28, 28] and random labels — each row in its own process, one at a time, ${rounds} round(s) with the order reversed every other round; samples/s is the median of every timed repeat of every round. ` +
      "weft: `bench/dist/train.js --arch cnn --workers W` (the engine, its default kernels). TF.js: tfjs-core 4.22 + tfjs-backend-cpu, NHWC, BatchNorm as tfjs-layers trains it (tf.moments + tf.batchNorm), variableGrads + Adam; " +
      "first round only, one warm-up and one timed step (its Conv2DBackpropFilter kernel is a scalar TensorBuffer.get loop). TF.js wasm cannot train this model at all: tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter kernel (tfjs#8474). " +
      "PyTorch (optional; skipped when `python3 -c \"import torch\"` fails): bench/peers/torch_cnn.py, the same model as torch.nn.Sequential, torch.set_num_threads(T) with OpenBLAS held to T threads, measured like weft (warm-up, steps fitted to ≈ 0.5 s, repeats). " +
      "\"Round by round\": each round's median over PyTorch's best row's median in the same round (the rounds run minutes apart on a shared machine).",
    "",
    "| library | workers / threads | samples/s | / PyTorch at its best | same, round by round | repeats (samples/s) | note |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.label} | ${r.workers} | ${r.skipped ? "skipped" : r.error ? `failed: ${r.error}` : fmtRate(r.samplesPerSec)} | ${fmtRatio(r.overTorchBest)} | ${r.overTorchBestByRound.map((x) => fmtRatio(x)).join(", ")} | ${r.runs.map((x) => fmtRate(x)).join(", ")} | ${r.note} |`),
    "",
    bestWeft && bestTorch
      ? `Target (issue 14): weft at its best W at least PyTorch at its best thread count, side by side — measured ${rows.find((r) => r.id === bestWeft)!.label} / ${rows.find((r) => r.id === bestTorch)!.label} = ${fmtRatio(headline)} (round by round ${perRound.map((x) => fmtRatio(x)).join(", ")}): **${verdict}**.`
      : "Target (issue 14): weft at its best W at least PyTorch at its best thread count — not measured here (PyTorch did not run).",
    "",
  ].join("\n");
  return { name: "peers-cnn", results, md };
}
