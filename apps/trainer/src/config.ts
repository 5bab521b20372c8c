/**
 * `weft train`'s options: one table of flags (name, help, default, validation), merged from a
 * `--config file.json` (the same keys in camelCase) and the command line (which wins). Every
 * value is checked before any work starts; a bad one is a {@link UsageError} naming the flag
 * and the accepted range.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { UsageError } from "./errors.js";
import type { FlagShape, RawFlags } from "./argv.js";
import { isObject, preview } from "./json-check.js";
import { LR_SCHEDULE_FORMS, parseLrSchedule } from "./lr-schedule.js";
import { TASK_NAMES, type TaskName } from "./task.js";

export type OptimizerName = "adam" | "adamw" | "sgd" | "rmsprop";
export type ActivationName = "relu" | "gelu" | "tanh" | "sigmoid" | "leaky-relu";
export type NormName = "batch" | "layer" | "none";
export type ArchName = "mlp" | "cnn";
export type InitName = "he" | "xavier" | "default";
export type { TaskName };
export type ImputeName = "none" | "mean";

/** Everything that decides what a run computes (saved in config.json; `--resume` reads it back). */
export interface TrainOptions {
  data: string;
  /** Train / validation / test: fractions summing to 1, or row counts. */
  splits: [number, number, number];
  epochs: number;
  batchSize: number;
  workers: number;
  lr: number;
  optimizer: OptimizerName;
  momentum: number;
  weightDecay: number;
  l1: number;
  /** The network: "mlp" (hidden, norm, activation, dropout) or "cnn" (cnn.ts's default CNN). */
  arch: ArchName;
  hidden: number[];
  activation: ActivationName;
  norm: NormName;
  dropout: number;
  init: InitName;
  lrSchedule: string;
  /** Patience in epochs, or null for no early stopping. */
  earlyStopping: number | null;
  augment: boolean;
  seed: number;
  task: TaskName;
  /** CSV only: the label column(s) by name or index, comma-separated (several for regression); null: a column named `label`, else the first. */
  labelColumn: string | null;
  /** CSV only: what to do with missing feature values (none: an error naming line and column; mean: the training split's column mean). */
  impute: ImputeName;
  /** `--model FILE`: an ES module exporting createModel(ctx) (absolute once the run starts); null: the built-in MLP. */
  model: string | null;
}

/** How to run it (not part of what is computed). */
export interface RunFlags {
  /** The run directory; null: `runs/<timestamp>`. */
  out: string | null;
  resume: string | null;
  json: boolean;
  verbose: boolean;
  help: boolean;
  /** Seconds a worker may stop responding (stuck at a step or a barrier) before the run ends. */
  workerTimeout: number;
  /** `mpi`: one process of an `mpirun -np H` job (see distributed.ts); null: this process alone. */
  distributed: "mpi" | null;
  /** Set by distributed.ts: DataParallel's communicator across the job's processes. */
  communicator?: { module: string; options?: unknown };
}

/** The flags that shape the built-in networks: a model file builds its own. */
const MLP_KEYS = ["arch", "hidden", "norm", "activation", "dropout", "init", "l1"] as const;

/** Every key of TrainOptions: what config.json's "options" holds, no more, no less. */
const OPTION_KEYS: readonly (keyof TrainOptions)[] = Object.keys({
  data: 1, splits: 1, epochs: 1, batchSize: 1, workers: 1, lr: 1, optimizer: 1, momentum: 1, weightDecay: 1, l1: 1, arch: 1, hidden: 1,
  activation: 1, norm: 1, dropout: 1, init: 1, lrSchedule: 1, earlyStopping: 1, augment: 1, seed: 1, task: 1, labelColumn: 1, impute: 1, model: 1,
} satisfies Record<keyof TrainOptions, 1>) as (keyof TrainOptions)[];

/**
 * Options added after runs were already saved: a config.json without them loads with these
 * values — what those runs did (label column 0 was the only CSV layout then; other data has none).
 */
const savedDefaults = (data: unknown): Partial<TrainOptions> => ({
  task: "classification",
  labelColumn: typeof data === "string" && data.startsWith("csv:") ? "0" : null,
  impute: "none",
  model: null,
  arch: "mlp",
});

type Key = keyof TrainOptions | keyof RunFlags | "config";

interface FlagDef extends FlagShape {
  key: Key;
  metavar?: string;
  help: string;
  /** Default as shown by --help. */
  shown?: string;
  /** Validates a raw value (a CLI string, or any JSON value from a config file). */
  parse?: (v: unknown) => unknown;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A thrown `Error` here carries only "what is accepted"; {@link check} adds the flag and value. */
class Reject extends Error {}

function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && NUMBER.test(v.trim())) return Number(v);
  return Number.NaN;
}

function integer(min: number, max: number) {
  return (v: unknown): number => {
    const n = toNumber(v);
    if (!(Number.isInteger(n) && n >= min && n <= max)) throw new Reject(`an integer in [${min}, ${max}]`);
    return n;
  };
}

function real(lo: number, hi: number, openLo: boolean, openHi: boolean) {
  const range = `${openLo ? "(" : "["}${lo}, ${hi}${openHi ? ")" : "]"}`;
  return (v: unknown): number => {
    const n = toNumber(v);
    const ok = (openLo ? n > lo : n >= lo) && (openHi ? n < hi : n <= hi);
    if (!ok) throw new Reject(`a number in ${range}`);
    return n;
  };
}

function oneOf<T extends string>(...values: T[]) {
  return (v: unknown): T => {
    if (typeof v !== "string" || !values.includes(v as T)) throw new Reject(`one of ${values.join(", ")}`);
    return v as T;
  };
}

function text(what: string) {
  return (v: unknown): string => {
    if (typeof v !== "string" || v.trim() === "") throw new Reject(what);
    return v;
  };
}

function modelFile(v: unknown): string | null {
  if (v === null) return null;
  if (typeof v !== "string" || v.trim() === "") throw new Reject("the path of an ES module (.js or .mjs) exporting createModel(ctx)");
  return v;
}

function flag(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  throw new Reject("true or false");
}

function parseData(v: unknown): string {
  const form = "mnist, idx:<images>,<labels> or csv:<file>";
  if (typeof v !== "string") throw new Reject(form);
  if (v === "mnist") return v;
  const idx = /^idx:([^,]+),([^,]+)$/.exec(v);
  if (idx) return v;
  if (/^csv:.+$/.test(v)) return v;
  throw new Reject(form);
}

function parseHidden(v: unknown): number[] {
  const what = "a comma-separated list of up to 16 layer widths, each an integer in [1, 65536] (or none)";
  let items: unknown[];
  if (Array.isArray(v)) items = v;
  else if (typeof v === "string") items = v.trim() === "none" || v.trim() === "" ? [] : v.split(",");
  else if (typeof v === "number") items = [v];
  else throw new Reject(what);
  const widths = items.map(toNumber);
  if (widths.length > 16 || !widths.every((w) => Number.isInteger(w) && w >= 1 && w <= 65536)) throw new Reject(what);
  return widths;
}

function parseSplits(v: unknown): [number, number, number] {
  const what = "three sizes train,val,test: fractions that sum to 1 (0.8,0.1,0.1) or row counts (8000,1000,1000), each above 0";
  const items = Array.isArray(v) ? v : typeof v === "string" ? v.split(",") : [];
  const s = items.map(toNumber);
  if (s.length !== 3 || !s.every((x) => Number.isFinite(x) && x > 0)) throw new Reject(what);
  const counts = s.some((x) => x > 1);
  if (counts ? !s.every(Number.isInteger) : Math.abs(s[0]! + s[1]! + s[2]! - 1) > 1e-6) throw new Reject(what);
  return s as [number, number, number];
}

function parseSchedule(v: unknown): string {
  if (typeof v !== "string") throw new Reject(LR_SCHEDULE_FORMS);
  try {
    parseLrSchedule(v);
  } catch (e) {
    throw new Reject(`${LR_SCHEDULE_FORMS} (${(e as Error).message})`);
  }
  return v.trim();
}

function parseLabelColumn(v: unknown): string | null {
  const what = "a column name or 0-based index (−1: the last), or for regression several, comma-separated (price or 3 or price,rent)";
  if (v === null) return null;
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  if (typeof v !== "string" || v.trim() === "" || v.split(",").some((c) => c.trim() === "")) throw new Reject(what);
  return v;
}

/** `--label-column`'s parts: indices as numbers, names as strings. */
export function labelColumns(spec: string): (number | string)[] {
  return spec.split(",").map((c) => (/^\s*-?\d+\s*$/.test(c) ? Number(c) : c.trim()));
}

function parsePatience(v: unknown): number | null {
  if (v === "off" || v === null || v === false) return null;
  const n = toNumber(v);
  if (!(Number.isInteger(n) && n >= 1 && n <= 100_000)) throw new Reject("an integer in [1, 100000] (epochs without improvement of the validation loss), or off");
  return n;
}

/** Every `weft train` flag, in --help order. */
export const TRAIN_FLAGS: readonly FlagDef[] = [
  { name: "data", key: "data", metavar: "SOURCE", help: "mnist (embedded 10,000 digits), idx:<images>,<labels> (MNIST-format files, .gz ok) or csv:<file> (a label column, see --label-column, and numeric features)", shown: "mnist", parse: parseData },
  { name: "splits", key: "splits", metavar: "T,V,T", help: "train,validation,test sizes: fractions summing to 1 or row counts (seeded shuffle)", shown: "0.8,0.1,0.1", parse: parseSplits },
  { name: "epochs", key: "epochs", metavar: "N", help: "epochs in all (with --resume: continue up to N)", shown: "10", parse: integer(1, 1_000_000) },
  { name: "batch-size", key: "batchSize", metavar: "N", help: "rows per step, split across the workers", shown: "128", parse: integer(1, 65_536) },
  { name: "workers", key: "workers", metavar: "N", help: "worker threads (data-parallel; same seed and workers give the same bits)", shown: "all cores", parse: integer(1, 256) },
  { name: "lr", key: "lr", metavar: "X", help: "learning rate", shown: "1e-3 (adam, adamw), 0.01 (sgd, rmsprop)", parse: real(0, 10, true, false) },
  { name: "optimizer", key: "optimizer", metavar: "NAME", help: "adam, adamw, sgd or rmsprop (PyTorch's defaults otherwise)", shown: "adam", parse: oneOf("adam", "adamw", "sgd", "rmsprop") },
  { name: "momentum", key: "momentum", metavar: "X", help: "momentum of sgd or rmsprop", shown: "0", parse: real(0, 1, false, true) },
  { name: "weight-decay", key: "weightDecay", metavar: "X", help: "L2 penalty (adamw: decoupled weight decay)", shown: "0 (adamw: 0.01)", parse: real(0, 1, false, false) },
  { name: "l1", key: "l1", metavar: "X", help: "L1 penalty λ·Σ|w| on the Linear weights, added to the loss", shown: "0", parse: real(0, 1, false, false) },
  { name: "arch", key: "arch", metavar: "NAME", help: "mlp (--hidden, --norm, --activation, --dropout) or cnn (conv 32-64 with BatchNorm2d and max pooling, then 128 → classes)", shown: "mlp", parse: oneOf("mlp", "cnn") },
  { name: "model", key: "model", metavar: "FILE", help: "your own network: an ES module exporting createModel(ctx) (and optionally loss(output, target)); ctx.inputShape is [1, H, W] for images, [features] for CSV rows", shown: "the MLP below", parse: modelFile },
  { name: "hidden", key: "hidden", metavar: "W,W", help: "hidden layer widths (none for a linear model)", shown: "256,128", parse: parseHidden },
  { name: "activation", key: "activation", metavar: "NAME", help: "relu, gelu, tanh, sigmoid or leaky-relu", shown: "relu", parse: oneOf("relu", "gelu", "tanh", "sigmoid", "leaky-relu") },
  { name: "norm", key: "norm", metavar: "KIND", help: "batch (SyncBatchNorm across workers), layer or none, after each hidden Linear", shown: "batch", parse: oneOf("batch", "layer", "none") },
  { name: "dropout", key: "dropout", metavar: "P", help: "dropout probability after each hidden activation", shown: "0", parse: real(0, 1, false, true) },
  { name: "init", key: "init", metavar: "KIND", help: "Linear weights: he (kaiming normal), xavier (uniform) or default (PyTorch's)", shown: "default", parse: oneOf("he", "xavier", "default") },
  { name: "lr-schedule", key: "lrSchedule", metavar: "SPEC", help: `per-epoch schedule: ${LR_SCHEDULE_FORMS}`, shown: "none (--arch cnn: cosine)", parse: parseSchedule },
  { name: "early-stopping", key: "earlyStopping", metavar: "PATIENCE", help: "stop after PATIENCE epochs without a lower validation loss; keep the best weights", shown: "off", parse: parsePatience },
  { name: "augment", key: "augment", boolean: true, help: "random shifts (±2 px) and noise on training images, seeded per worker and step", shown: "off (--arch cnn: on)", parse: flag },
  { name: "task", key: "task", metavar: "NAME", help: "classification (cross-entropy, class labels) or regression (MSE, float targets, standardised for training)", shown: "classification", parse: oneOf(...TASK_NAMES) },
  { name: "label-column", key: "labelColumn", metavar: "NAME|INDEX", help: "CSV: the label column by name or index (regression: one or more, a,b); class labels may be text", shown: "the column named label, else the first", parse: parseLabelColumn },
  { name: "impute", key: "impute", metavar: "KIND", help: "CSV: missing feature values (empty, NA, NaN, ?): none (an error naming line and column) or mean (the training split's column mean)", shown: "none", parse: oneOf("none", "mean") },
  { name: "seed", key: "seed", metavar: "N", help: "seed of the split, init, shuffling, dropout and augmentation", shown: "0", parse: integer(0, Number.MAX_SAFE_INTEGER) },
  { name: "out", key: "out", metavar: "DIR", help: "run directory", shown: "runs/<timestamp>", parse: text("a directory path") },
  { name: "resume", key: "resume", metavar: "DIR", help: "continue the run saved in DIR (with --epochs N: up to N epochs in all)", parse: text("a run directory") },
  { name: "worker-timeout", key: "workerTimeout", metavar: "SECONDS", help: "end the run when a worker stops responding this long (stuck, or a step this slow)", shown: "30", parse: real(0, 86_400, true, false) },
  { name: "distributed", key: "distributed", metavar: "KIND", help: "mpi: one process of `mpirun -np H weft train …` (H processes × --workers each; rank 0 writes the run)", shown: "off", parse: oneOf("mpi") },
  { name: "config", key: "config", metavar: "FILE", help: "JSON file of options (camelCase keys: {\"batchSize\": 64}); flags override it", parse: text("a JSON file path") },
  { name: "json", key: "json", boolean: true, help: "print machine-readable JSON lines instead of text", parse: flag },
  { name: "verbose", key: "verbose", boolean: true, help: "print stack traces with errors", parse: flag },
  { name: "help", key: "help", boolean: true, help: "show this help", parse: flag },
];

/** With --resume the saved options are used; only these may be given beside it. */
const RESUME_KEYS = new Set(["resume", "epochs", "json", "verbose", "help", "workerTimeout", "distributed"]);

const BY_KEY = new Map(TRAIN_FLAGS.map((f) => [f.key as string, f]));

function check(def: FlagDef, v: unknown, where: string): unknown {
  try {
    return def.parse ? def.parse(v) : v;
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    throw new UsageError(`--${def.name}${where} must be ${e.message}, got ${preview(v)}`);
  }
}

/** Reads `--config`: a JSON object whose keys are the flags' camelCase names. */
function readConfigFile(path: string): Map<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`--config ${path}: cannot read it as JSON: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new UsageError(`--config ${path}: expected a JSON object of options, like {"epochs": 5}`);
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(parsed)) {
    const def = BY_KEY.get(k);
    if (!def || k === "config" || k === "help") {
      const keys = TRAIN_FLAGS.filter((f) => f.key !== "config" && f.key !== "help").map((f) => f.key);
      throw new UsageError(`--config ${path}: unknown key ${JSON.stringify(k)} (known: ${keys.join(", ")})`);
    }
    out.set(k, check(def, v, ` (key "${k}" in ${path})`));
  }
  return out;
}

const DEFAULT_LR: Record<OptimizerName, number> = { adam: 1e-3, adamw: 1e-3, sgd: 0.01, rmsprop: 0.01 };

/**
 * Merges defaults, the config file and the flags, and checks the combination.
 * `cores` is the default worker count (os.availableParallelism()).
 */
export function resolveTrainConfig(raw: RawFlags, cores = availableParallelism()): { options: TrainOptions; run: RunFlags; given: Set<string> } {
  const values = new Map<string, unknown>();
  const configPath = raw.get("config");
  if (configPath !== undefined) for (const [k, v] of readConfigFile(check(BY_KEY.get("config")!, configPath, "") as string)) values.set(k, v);
  for (const [name, v] of raw) {
    const def = TRAIN_FLAGS.find((f) => f.name === name)!;
    values.set(def.key, check(def, v, ""));
  }
  const get = <T>(key: string, fallback: T): T => (values.has(key) ? (values.get(key) as T) : fallback);
  const optimizer = get<OptimizerName>("optimizer", "adam");
  const cnn = get<ArchName>("arch", "mlp") === "cnn";
  const options: TrainOptions = {
    data: get("data", "mnist"),
    splits: get("splits", [0.8, 0.1, 0.1]),
    epochs: get("epochs", 10),
    batchSize: get("batchSize", 128),
    workers: get("workers", cores),
    lr: get("lr", DEFAULT_LR[optimizer]),
    optimizer,
    momentum: get("momentum", 0),
    weightDecay: get("weightDecay", optimizer === "adamw" ? 0.01 : 0),
    l1: get("l1", 0),
    arch: get("arch", "mlp"),
    hidden: get("hidden", [256, 128]),
    activation: get("activation", "relu"),
    norm: get("norm", "batch"),
    dropout: get("dropout", 0),
    init: get("init", "default"),
    lrSchedule: get("lrSchedule", cnn ? "cosine" : "none"),
    earlyStopping: get("earlyStopping", null),
    // --arch cnn defaults to its recipe (cnn.ts): augmentation (of image data) and a cosine schedule.
    augment: get("augment", cnn && !get("data", "mnist").startsWith("csv:")),
    seed: get("seed", 0),
    task: get("task", "classification"),
    labelColumn: get("labelColumn", null),
    impute: get("impute", "none"),
    model: get("model", null),
  };
  const run: RunFlags = {
    out: get("out", null),
    resume: get("resume", null),
    json: get("json", false),
    verbose: get("verbose", false),
    help: get("help", false),
    workerTimeout: get("workerTimeout", 30),
    distributed: get("distributed", null),
  };
  if (run.resume) {
    const extra = [...values.keys()].filter((k) => !RESUME_KEYS.has(k));
    if (extra.length > 0) {
      const names = extra.map((k) => `--${BY_KEY.get(k)!.name}`).join(", ");
      throw new UsageError(`--resume continues a run with its saved options: ${names} cannot be given with it (only --epochs, --worker-timeout, --distributed, --json, --verbose)`);
    }
  } else {
    if (options.model !== null) {
      const mlp = MLP_KEYS.filter((k) => values.has(k));
      if (mlp.length > 0) {
        const names = mlp.map((k) => `--${BY_KEY.get(k)!.name}`).join(", ");
        throw new UsageError(`${names} shape${mlp.length === 1 ? "s" : ""} the built-in network: with --model your file's createModel builds the network, so leave ${mlp.length === 1 ? "it" : "them"} out`);
      }
    }
    checkCombination(options, "");
  }
  return { options, run, given: new Set(values.keys()) };
}

/** The checks across options; `where` names a saved file (" (in …/config.json)"). */
function checkCombination(o: TrainOptions, where: string): void {
  const fail = (m: string): never => {
    throw new UsageError(`${m}${where}`);
  };
  if (o.momentum > 0 && (o.optimizer === "adam" || o.optimizer === "adamw")) {
    fail(`--momentum applies to --optimizer sgd or rmsprop, not ${o.optimizer} (Adam's momentum is its beta1, fixed at PyTorch's 0.9)`);
  }
  if (o.augment && o.data.startsWith("csv:")) fail("--augment shifts images: it needs --data mnist or idx:…, not a CSV file");
  if (o.model === null) {
    // The MLP's flags (resolveTrainConfig refuses them beside --model).
    if (o.norm === "batch" && o.batchSize < 2) fail("--batch-size must be at least 2 with --norm batch (BatchNorm needs more than one row per step)");
    if (o.hidden.length === 0 && o.dropout > 0) fail("--dropout needs hidden layers (--hidden none makes a linear model)");
  }
  const csv = o.data.startsWith("csv:");
  if (!csv && o.labelColumn !== null) fail("--label-column picks a column of a CSV file: it needs --data csv:<file>");
  if (!csv && o.impute !== "none") fail("--impute fills in missing values of a CSV file: it needs --data csv:<file>");
  if (!csv && o.task === "regression") fail("--task regression learns float targets from a CSV file: it needs --data csv:<file> (images have class labels)");
  if (o.task === "classification" && o.labelColumn !== null && o.labelColumn.includes(",")) fail(`--label-column ${o.labelColumn}: classification takes one label column (several are for --task regression)`);
}

/**
 * A run's saved options (config.json's "options", read back by --resume, eval and predict)
 * through the same checks as the flags: every key present, none unknown, each value in its
 * flag's range, the combination allowed. Errors name the file and the key.
 */
export function checkSavedOptions(saved: unknown, file: string): TrainOptions {
  if (!isObject(saved)) throw new UsageError(`${file}: "options" is ${preview(saved)}; expected the object of the run's options`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(saved)) {
    if (!(OPTION_KEYS as readonly string[]).includes(k)) throw new UsageError(`${file}: unknown key "options.${k}" (a run's options are ${OPTION_KEYS.join(", ")})`);
    out[k] = check(BY_KEY.get(k)!, v, ` (key "options.${k}" in ${file})`);
  }
  for (const [k, v] of Object.entries(savedDefaults(saved.data))) if (!Object.hasOwn(saved, k)) out[k] = v;
  const missing = OPTION_KEYS.filter((k) => !Object.hasOwn(out, k));
  if (missing.length > 0) throw new UsageError(`${file}: "options" lacks ${missing.map((k) => `"${k}"`).join(", ")}: not a config.json that weft wrote`);
  const options = out as unknown as TrainOptions;
  checkCombination(options, ` (in ${file})`);
  return options;
}

