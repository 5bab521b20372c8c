/**
 * `pnpm bench:peers --arch lm`: issue 15's standard char-LM workload (lm-workload.ts; a sample is
 * a window of 32 tokens) in weft (W = 1 and W = cores) and, where `<python> -c "import torch"`
 * works, PyTorch at 1 and `cores` threads (bench/peers/torch_lm.py, the same model as
 * torch.nn.TransformerEncoder). PyTorch is optional: without it its rows say "skipped". No
 * JavaScript peer: TF.js has no attention layer to train (tfjs-layers 4.22 has no
 * MultiHeadAttention) and mind-net.js only dense layers. Interleaved as the other peers (peer-rounds.ts).
 */
import { availableParallelism } from "node:os";
import { intArg, type Args } from "./cli-args.js";
import { LM_BLOCK } from "./lm-workload.js";
import { describeMachine, machineLine } from "./machine.js";
import { againstTorch, runRounds, torchAvailable, type Entry } from "./peer-rounds.js";
import { fmtInt, fmtRatio, sig } from "./summary.js";

export async function lmPeers(args: Args, log: (s: string) => void) {
  const quick = args.has("quick");
  const cores = availableParallelism();
  const batch = intArg(args, "batch", quick ? 4 : 32);
  const rounds = Math.max(1, intArg(args, "rounds", quick ? 1 : 3));
  const python = (args.get("python") as string | undefined) ?? process.env.WEFT_PYTHON ?? "python3";
  const torch = torchAvailable(python);
  const noTorch = torch ? undefined : `skipped: \`${python} -c "import torch"\` failed (PyTorch is an optional peer; install it, or pass --python)`;
  const widths = [...new Set([1, cores])];
  const entries: Entry[] = [
    ...widths.map((w): Entry => ({ id: `weft-${w}`, label: `weft, ${w} worker${w > 1 ? "s" : ""}`, script: "train.js", args: ["--arch", "lm", "--workers", String(w)], workers: w })),
    ...widths.map((t): Entry => ({ id: `pytorch-${t}`, label: `PyTorch, ${t} thread${t > 1 ? "s" : ""}`, script: "python", file: "torch_lm.py", args: ["--threads", String(t)], workers: t, skip: noTorch })),
  ];
  const common = () => ["--batch", String(batch), ...(quick ? ["--steps", "1", "--repeats", "1", "--warmup", "0"] : ["--repeats", "3"])];
  const measured = await runRounds(entries, rounds, common, log, python);
  const { runs, notes, errors } = measured;
  const machine = describeMachine();
  // The children report windows/s (samplesPerSec); a window is LM_BLOCK tokens.
  const { rate: tps, bestWeft, bestTorch, overTorchBest, roundRatios, headline, perRound, verdict } = againstTorch(entries, measured, LM_BLOCK);
  const rows = entries.map((e) => ({
    id: e.id, label: e.label, workers: e.workers, batch,
    tokensPerSec: sig(tps(e.id)), runsTokensPerSec: runs.get(e.id)!.map((x) => sig(x * LM_BLOCK)),
    overTorchBest: overTorchBest(e.id), overTorchBestByRound: roundRatios(e.id),
    skipped: Boolean(e.skip), note: notes.get(e.id) ?? "", error: errors.get(e.id) ?? null,
  }));
  const results = { bench: "peers", arch: "lm", machine, loadAvgEnd: describeMachine().loadAvg1, quick, cores, batch, block: LM_BLOCK, rounds, python, torch, bestWeft, bestTorch, weftBestOverTorchBest: headline, rows };
  const md = [
    `# Peers on the standard char-LM: weft against PyTorch${quick ? " (--quick: not results)" : ""}`,
    "",
    `Machine: ${machineLine(machine)}; load average ${results.loadAvgEnd} at the end.`,
    "",
    "`pnpm bench:peers --arch lm`: issue 15's standard character-level Transformer — token + position embeddings (d = 64, block 32) → 2 pre-norm TransformerEncoderLayers (4 heads, feed-forward 256, GELU, causal, dropout 0) → LayerNorm → Linear(28), cross-entropy, AdamW 1e-3, " +
      `batch ${batch} windows of ${LM_BLOCK} tokens — each row in its own process, one at a time, ${rounds} round(s) with the order reversed every other round; tokens/s is the median of every timed repeat of every round. ` +
      "weft: `bench/dist/train.js --arch lm --workers W` (the engine, its default kernels, windows of the names corpus). " +
      "PyTorch (optional; skipped when `python3 -c \"import torch\"` fails): bench/peers/torch_lm.py, the same model on torch.nn.TransformerEncoder (norm_first, batch_first, a causal float mask) over uniform random windows, torch.set_num_threads(T) with OpenBLAS held to T threads, measured like weft. " +
      "No JavaScript peer: TF.js 4.22 has no attention layer to train. \"Round by round\": each round's median over PyTorch's best row's median in the same round.",
    "",
    "| library | workers / threads | tokens/s | / PyTorch at its best | same, round by round | repeats (tokens/s) | note |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) => `| ${r.label} | ${r.workers} | ${r.skipped ? "skipped" : r.error ? `failed: ${r.error}` : fmtInt(r.tokensPerSec)} | ${fmtRatio(r.overTorchBest)} | ${r.overTorchBestByRound.map((x) => fmtRatio(x)).join(", ")} | ${r.runsTokensPerSec.map((x) => fmtInt(x)).join(", ")} | ${r.note} |`),
    "",
    bestWeft && bestTorch
      ? `Target (issue 15): weft at its best W at least PyTorch at its best thread count, side by side — measured ${rows.find((r) => r.id === bestWeft)!.label} / ${rows.find((r) => r.id === bestTorch)!.label} = ${fmtRatio(headline)} (round by round ${perRound.map((x) => fmtRatio(x)).join(", ")}): **${verdict}**.`
      : "Target (issue 15): weft at its best W at least PyTorch at its best thread count — not measured here (PyTorch did not run).",
    "",
  ].join("\n");
  return { name: "peers-lm", results, md };
}
