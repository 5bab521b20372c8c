/**
 * The loop `bench:peers` runs its entries in: each entry in its own process (a Node script in
 * dist/, or the optional Python peer), one at a time, the list `rounds` times, reversed every
 * other round, so drift on a shared machine lands on every entry alike.
 */
import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runJsonChild } from "./child-json.js";
import { median, sig } from "./summary.js";

export interface Entry {
  id: string;
  label: string;
  /** A script next to this one in dist/, or `python`: a file under bench/peers/ run by the Python interpreter. */
  script: "train.js" | "peer.js" | "python";
  /** For `python`: the file under bench/peers/. */
  file?: string;
  args: string[];
  workers: number;
  /** Runs in the first `maxRounds` rounds only (a peer too slow to repeat). */
  maxRounds?: number;
  /** Why the entry is not run at all (e.g. PyTorch missing): its row says so. */
  skip?: string;
}

export interface ChildRecord {
  samplesPerSec: number;
  runs: number[];
  steps: number;
  note?: string;
}

export interface RoundsResult {
  runs: Map<string, number[]>;
  /** Per entry, each round's repeats (an empty list for a round it did not run in). */
  byRound: Map<string, number[][]>;
  notes: Map<string, string>;
  errors: Map<string, string>;
}

/** Whether `python -c "import torch"` works (within a minute). Never throws: a missing interpreter is `false`. */
export function torchAvailable(python: string): boolean {
  const r = spawnSync(python, ["-c", "import torch"], { timeout: 60_000, stdio: "ignore" });
  return r.status === 0;
}

/** Runs `python bench/peers/<file> …args --json` and returns the JSON line it prints last. */
function runPythonJson<T>(python: string, file: string, args: readonly string[], timeoutMs = 600_000): Promise<T> {
  const path = fileURLToPath(new URL(`../peers/${file}`, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(python, [path, ...args, "--json"], { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const line = stdout.split("\n").filter((l) => l.startsWith("{")).pop();
      if (err || !line) reject(new Error(`${python} ${file} ${args.join(" ")} failed: ${err?.message ?? "no JSON output"}\n${stderr.trim()}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}

/** `common(e)`: the arguments every run of entry `e` gets after its own. */
export async function runRounds(entries: readonly Entry[], rounds: number, common: (e: Entry) => string[], log: (s: string) => void, python = "python3"): Promise<RoundsResult> {
  const runs = new Map<string, number[]>(entries.map((e) => [e.id, []]));
  const byRound = new Map<string, number[][]>(entries.map((e) => [e.id, Array.from({ length: rounds }, () => [])]));
  const notes = new Map<string, string>();
  const errors = new Map<string, string>();
  for (const e of entries) if (e.skip) notes.set(e.id, e.skip);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? [...entries].reverse() : entries;
    for (const e of order) {
      if (e.skip || errors.has(e.id) || round >= (e.maxRounds ?? Infinity)) continue;
      log(`round ${round + 1}/${rounds}: ${e.label} …`);
      try {
        const args = [...e.args, ...common(e)];
        const r = e.script === "python" ? await runPythonJson<ChildRecord>(python, e.file!, args) : await runJsonChild<ChildRecord>(e.script, args);
        runs.get(e.id)!.push(...r.runs);
        byRound.get(e.id)![round].push(...r.runs);
        if (r.note) notes.set(e.id, r.note);
      } catch (err) {
        errors.set(e.id, (err as Error).message.split("\n")[0]);
        log(`  failed: ${errors.get(e.id)}`);
      }
    }
  }
  return { runs, byRound, notes, errors };
}

/**
 * weft's rows against PyTorch's (bench:peers --arch cnn|lm): the best weft and PyTorch rows by
 * median rate (`scale`: a row's rate per repeat figure, e.g. tokens per window), each row's ratio
 * to PyTorch's best, the same ratio round by round (each round's median over PyTorch's best
 * row's median in that round: drift between rounds cancels), and the target's verdict.
 */
export function againstTorch(entries: readonly Entry[], r: RoundsResult, scale = 1) {
  const rate = (id: string) => median(r.runs.get(id) ?? []) * scale;
  const best = (prefix: string) => {
    const ids = entries.filter((e) => e.id.startsWith(prefix) && (r.runs.get(e.id)?.length ?? 0) > 0).map((e) => e.id);
    return ids.reduce<string | undefined>((b, id) => (b === undefined || rate(id) > rate(b) ? id : b), undefined);
  };
  const bestWeft = best("weft-"), bestTorch = best("pytorch-");
  const torchBest = bestTorch ? rate(bestTorch) : NaN;
  const overTorchBest = (id: string) => sig(rate(id) / torchBest);
  const roundRatios = (id: string) =>
    bestTorch ? r.byRound.get(id)!.map((x, i) => sig(median(x) / median(r.byRound.get(bestTorch)![i]))).filter((x) => Number.isFinite(x)) : [];
  const headline = bestWeft && bestTorch ? sig(rate(bestWeft) / torchBest) : NaN;
  const perRound = bestWeft ? roundRatios(bestWeft) : [];
  const verdict = headline < 1 ? "missed" : perRound.every((x) => x >= 1) ? "met" : "met by the medians, not in every round";
  return { rate, bestWeft, bestTorch, overTorchBest, roundRatios, headline, perRound, verdict };
}
