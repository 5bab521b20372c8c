/**
 * The `weft` command as a function: parses the command line, dispatches to train / eval /
 * predict, and turns errors into one paragraph on stderr and an exit code (2: bad flags, data or
 * run directory; 1: a failed run; 130/143: interrupted). cli.ts is the executable around it;
 * tests call {@link main} in-process with streams of their own.
 */
import { parseArgv, type FlagShape, type RawFlags } from "./argv.js";
import { TRAIN_FLAGS, resolveTrainConfig } from "./config.js";
import { UsageError, exitCode, formatError } from "./errors.js";
import { evaluate, type SplitName } from "./eval.js";
import { EVAL_HELP, MAIN_HELP, PREDICT_HELP, trainHelp } from "./help.js";
import { predict } from "./predict.js";
import { createReporter, type Streams } from "./progress.js";
import { train } from "./train.js";
import { trainDistributed } from "./distributed.js";
import { LM_FLAG_SHAPES, isLmTask, lmHelp, resolveLmConfig } from "./lm-config.js";
import { trainLm } from "./lm-train.js";
import { SAMPLE_FLAGS, SAMPLE_HELP, sample } from "./sample.js";

const COMMON: FlagShape[] = [{ name: "json", boolean: true }, { name: "verbose", boolean: true }, { name: "help", boolean: true }];
const EVAL_FLAGS: FlagShape[] = [{ name: "model" }, { name: "data" }, { name: "split" }, ...COMMON];
const PREDICT_FLAGS: FlagShape[] = [{ name: "model" }, { name: "input" }, ...COMMON];

function required(raw: RawFlags, name: string, command: string): string {
  const v = raw.get(name);
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} is required (see weft ${command} --help)`);
  return v;
}

async function runTrain(argv: string[], io: Streams): Promise<void> {
  if (isLmTask(argv)) {
    const lm = parseArgv(argv, LM_FLAG_SHAPES, "train");
    if (lm.get("help") === true) return void io.out.write(lmHelp());
    const { options, run } = resolveLmConfig(lm);
    return void (await trainLm(options, run, createReporter(run.json, io)));
  }
  const raw = parseArgv(argv, TRAIN_FLAGS, "train");
  if (raw.get("help") === true) return void io.out.write(trainHelp());
  const { options, run, given } = resolveTrainConfig(raw);
  if (run.distributed) return trainDistributed(options, run, io, (o, r, s) => train(o, r, createReporter(r.json, s), given.has("epochs")));
  await train(options, run, createReporter(run.json, io), given.has("epochs"));
}

async function runEval(argv: string[], io: Streams): Promise<void> {
  const raw = parseArgv(argv, EVAL_FLAGS, "eval");
  if (raw.get("help") === true) return void io.out.write(EVAL_HELP);
  const split = raw.get("split");
  if (split !== undefined && !["train", "val", "test", "all"].includes(split as string)) {
    throw new UsageError(`--split must be one of test, val, train, all, got ${JSON.stringify(split)}`);
  }
  const data = raw.get("data");
  if (data !== undefined && !/^(mnist|idx:[^,]+,[^,]+|csv:.+)$/.test(data as string)) {
    throw new UsageError(`--data must be mnist, idx:<images>,<labels> or csv:<file>, got ${JSON.stringify(data)}`);
  }
  await evaluate({ model: required(raw, "model", "eval"), data: (data as string) ?? null, split: (split as SplitName) ?? null }, createReporter(raw.get("json") === true, io));
}

async function runPredict(argv: string[], io: Streams): Promise<void> {
  const raw = parseArgv(argv, PREDICT_FLAGS, "predict");
  if (raw.get("help") === true) return void io.out.write(PREDICT_HELP);
  await predict({ model: required(raw, "model", "predict"), input: required(raw, "input", "predict"), json: raw.get("json") === true }, io.out);
}

/** Runs `weft <argv>`; returns the exit code. Output goes to `io` (default: the process's stdout and stderr). */
export async function main(argv: string[], io: Streams = { out: process.stdout, err: process.stderr }): Promise<number> {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const [command = "", ...rest] = args;
  const verbose = rest.includes("--verbose") || rest.includes("--verbose=true");
  try {
    switch (command) {
      case "train":
        await runTrain(rest, io);
        return 0;
      case "eval":
        await runEval(rest, io);
        return 0;
      case "predict":
        await runPredict(rest, io);
        return 0;
      case "sample": {
        const raw = parseArgv(rest, SAMPLE_FLAGS, "sample");
        if (raw.get("help") === true) io.out.write(SAMPLE_HELP);
        else sample(raw, io.out);
        return 0;
      }
      case "":
      case "help":
      case "--help":
      case "-h":
        io.out.write(MAIN_HELP);
        return 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}: expected train, eval, predict or sample (see weft --help)`);
    }
  } catch (e) {
    io.err.write(formatError(command || "weft", e, verbose));
    return exitCode(e);
  }
}

