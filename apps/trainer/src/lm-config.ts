/**
 * `weft train --task lm`'s flags: the data (the names corpus or a text file), the standard
 * character-level Transformer's sizes, AdamW with cosine decay over `--steps`, and the run.
 * Its own table (the classification trainer's flags do not apply), parsed by argv.ts.
 */
import { availableParallelism } from "node:os";
import { STANDARD_CHAR_LM } from "@weft/text";
import type { FlagShape, RawFlags } from "./argv.js";
import { UsageError } from "./errors.js";

export interface LmOptions {
  data: string;
  steps: number;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  workers: number;
  seed: number;
  blockSize: number;
  dModel: number;
  heads: number;
  layers: number;
  ff: number;
  dropout: number;
}

export interface LmRunFlags {
  out: string | null;
  resume: string | null;
  json: boolean;
}

interface LmFlag { name: string; key: keyof LmOptions | keyof LmRunFlags | "task" | "verbose" | "help"; metavar?: string; help: string; shown?: string; kind: "int" | "real" | "text" | "flag" }

export const LM_FLAGS: readonly LmFlag[] = [
  { name: "task", key: "task", metavar: "lm", help: "the character-level language model (this help)", kind: "text" },
  { name: "data", key: "data", metavar: "SOURCE", help: "names (8,422 first names, built in) or text:<file> (one document a line, UTF-8)", shown: "names", kind: "text" },
  { name: "steps", key: "steps", metavar: "N", help: "optimiser steps in all", shown: "2000", kind: "int" },
  { name: "epochs", key: "epochs", metavar: "N", help: "evaluations and checkpoints, evenly over the steps", shown: "10", kind: "int" },
  { name: "batch-size", key: "batchSize", metavar: "N", help: "windows per step, split across the workers", shown: "32", kind: "int" },
  { name: "lr", key: "lr", metavar: "X", help: "AdamW's peak learning rate, cosine-decayed to 0 over the steps", shown: "3e-3", kind: "real" },
  { name: "weight-decay", key: "weightDecay", metavar: "X", help: "AdamW's decoupled weight decay", shown: "0.01", kind: "real" },
  { name: "workers", key: "workers", metavar: "N", help: "worker threads (data-parallel: the batch is split along its windows)", shown: "all cores", kind: "int" },
  { name: "seed", key: "seed", metavar: "N", help: "seed of the split, init, batches and dropout", shown: "0", kind: "int" },
  { name: "block-size", key: "blockSize", metavar: "N", help: "context length (characters per window)", shown: String(STANDARD_CHAR_LM.blockSize), kind: "int" },
  { name: "d-model", key: "dModel", metavar: "N", help: "embedding and layer width", shown: String(STANDARD_CHAR_LM.dModel), kind: "int" },
  { name: "heads", key: "heads", metavar: "N", help: "attention heads", shown: String(STANDARD_CHAR_LM.nhead), kind: "int" },
  { name: "layers", key: "layers", metavar: "N", help: "pre-norm Transformer layers", shown: String(STANDARD_CHAR_LM.numLayers), kind: "int" },
  { name: "ff", key: "ff", metavar: "N", help: "feed-forward width", shown: String(STANDARD_CHAR_LM.dimFeedforward), kind: "int" },
  { name: "dropout", key: "dropout", metavar: "P", help: "dropout in the Transformer layers", shown: "0", kind: "real" },
  { name: "out", key: "out", metavar: "DIR", help: "run directory", shown: "runs/<timestamp>", kind: "text" },
  { name: "resume", key: "resume", metavar: "DIR", help: "continue the run saved in DIR, bit for bit (with --steps/--epochs unchanged)", kind: "text" },
  { name: "json", key: "json", help: "print machine-readable JSON lines instead of text", kind: "flag" },
  { name: "verbose", key: "verbose", help: "print stack traces with errors", kind: "flag" },
  { name: "help", key: "help", help: "show this help", kind: "flag" },
];

export const LM_FLAG_SHAPES: FlagShape[] = LM_FLAGS.map((f) => ({ name: f.name, boolean: f.kind === "flag" }));

/** Whether a `weft train` command line asks for the language model (`--task lm` or `--task=lm`). */
export function isLmTask(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === "--task=lm" || (a === "--task" && argv[i + 1] === "lm"));
}

export function lmHelp(): string {
  const rows = LM_FLAGS.map((f) => {
    const left = `  --${f.name}${f.metavar ? ` ${f.metavar}` : ""}`;
    return `${left.padEnd(30)}${f.help}${f.shown ? ` [default: ${f.shown}]` : ""}`;
  });
  return `Usage: weft train --task lm [flags]

Trains a character-level Transformer language model (token + position embeddings, causal
pre-norm Transformer layers with GELU, LayerNorm, Linear over the characters) on next-character
prediction, on every core. The data is split by document (name) into 80% train, 10% validation
and 10% test; the held-out loss is in nats per character. Then: weft sample --model <run dir>.

${rows.join("\n")}
`;
}

const RANGES: Partial<Record<keyof LmOptions, [number, number]>> = {
  steps: [1, 10_000_000], epochs: [1, 100_000], batchSize: [1, 65_536], workers: [1, 256], seed: [0, Number.MAX_SAFE_INTEGER],
  blockSize: [1, 4096], dModel: [1, 8192], heads: [1, 256], layers: [1, 256], ff: [1, 65_536], lr: [0, 10], weightDecay: [0, 1], dropout: [0, 1],
};

/** Flags → options (defaults filled) and the run flags; every bad value is a UsageError naming the flag and its range. */
export function resolveLmConfig(raw: RawFlags, cores = availableParallelism()): { options: LmOptions; run: LmRunFlags; given: Set<string> } {
  const values = new Map<string, unknown>();
  for (const [name, v] of raw) {
    const f = LM_FLAGS.find((d) => d.name === name)!;
    if (f.key === "task") {
      if (v !== "lm") throw new UsageError(`--task ${String(v)}: this parser reads only --task lm`);
      continue;
    }
    if (f.kind === "int" || f.kind === "real") {
      const n = Number(v);
      const [lo, hi] = RANGES[f.key as keyof LmOptions]!;
      if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n) || n < lo || n > hi || (f.kind === "int" && !Number.isInteger(n))) {
        throw new UsageError(`--${f.name} must be ${f.kind === "int" ? "an integer" : "a number"} in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
      }
      values.set(f.key, n);
    } else values.set(f.key, v);
  }
  const get = <T>(k: string, fallback: T): T => (values.has(k) ? (values.get(k) as T) : fallback);
  const options: LmOptions = {
    data: get("data", "names"),
    steps: get("steps", 2000),
    epochs: get("epochs", 10),
    batchSize: get("batchSize", 32),
    lr: get("lr", 3e-3),
    weightDecay: get("weightDecay", 0.01),
    workers: get("workers", cores),
    seed: get("seed", 0),
    blockSize: get("blockSize", STANDARD_CHAR_LM.blockSize),
    dModel: get("dModel", STANDARD_CHAR_LM.dModel),
    heads: get("heads", STANDARD_CHAR_LM.nhead),
    layers: get("layers", STANDARD_CHAR_LM.numLayers),
    ff: get("ff", STANDARD_CHAR_LM.dimFeedforward),
    dropout: get("dropout", 0),
  };
  if (options.dModel % options.heads !== 0) throw new UsageError(`--heads ${options.heads} must divide --d-model ${options.dModel}`);
  if (options.epochs > options.steps) throw new UsageError(`--epochs ${options.epochs} is more than --steps ${options.steps}: an epoch is at least one step`);
  if (options.data !== "names" && !(options.data.startsWith("text:") && options.data.length > 5)) {
    throw new UsageError(`--data must be names or text:<file>, got ${JSON.stringify(options.data)}`);
  }
  const run: LmRunFlags = { out: get("out", null), resume: get("resume", null), json: get("json", false) };
  const given = new Set(values.keys());
  if (run.resume) {
    const extra = [...given].filter((k) => !["resume", "json"].includes(k));
    if (extra.length) throw new UsageError(`--resume continues a run with its saved options: only --json may be given beside it (the same options and workers give the same bits) (got --${extra.join(", --")})`);
  }
  return { options, run, given };
}
