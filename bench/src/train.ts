/**
 * `pnpm bench:train [--arch mlp|cnn|lm] --workers W --batch B --hidden 256,128 [--bn] [--plain | --plain-worker] [--data random|mnist]
 *   [--steps N] [--repeats R] [--warmup K] [--backend js|wasm] [--quick] [--json]`
 * `pnpm bench:train --arch lm --workers W --batch 32 [--plain] …`: issue 15's char-LM workload
 *   (lm-workload.ts; batch = windows of 32 tokens), the record with `tokensPerSec`.
 *
 * One point of the standard workload, on one kernel backend (`--backend`, else WEFT_BACKEND or
 * the host's default; the record's `backend` names it — bench:scaling and bench:peers run this
 * script once per backend they measure). `--steps 0` (default) fits the steps to ≈ 0.5 s per
 * repeat. `--plain` measures the plain single-process loop on the main thread instead of the
 * engine; `--plain-worker` the same loop in one worker_thread.
 * `--wait-go` (used by bench:scaling's side-by-side ceiling) prints READY after the warm-up and
 * waits for a line on stdin before the timed repeats, so concurrent processes overlap.
 * `--arch cnn`: the standard CNN workload of issue 14 (workload.ts's cnnSpec; engine only).
 */
import { createInterface } from "node:readline";
import { choiceArg, intArg, intListArg, parseArgs } from "./cli-args.js";
import { describeRecord, measureLmPoint, measureTrainPoint, selectBackend } from "./train-point.js";

const args = parseArgs(process.argv.slice(2), ["workers", "batch", "hidden", "steps", "repeats", "warmup", "data", "seed", "target-ms", "backend", "arch"], ["bn", "plain", "plain-worker", "json", "quick", "wait-go"]);
const arch = choiceArg(args, "arch", ["mlp", "cnn", "lm"] as const, "mlp");
const lm = arch === "lm";
const quick = args.has("quick");
selectBackend(args.get("backend"));

async function waitForGo(): Promise<void> {
  process.stdout.write("READY\n");
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => rl.once("line", () => resolve()));
  rl.close();
}

const record = await (lm ? measureLmPoint : measureTrainPoint)(
  {
    engine: args.has("plain") ? "plain" : args.has("plain-worker") ? "plain-worker" : "weft",
    workers: args.has("plain") || args.has("plain-worker") ? 1 : Math.max(1, intArg(args, "workers", 1)),
    batch: Math.max(1, intArg(args, "batch", lm ? 32 : 128)),
    hidden: intListArg(args, "hidden", [256, 128]),
    bn: args.has("bn"),
    data: choiceArg(args, "data", ["random", "mnist"] as const, "random"),
    seed: intArg(args, "seed", 0),
    arch,
  },
  {
    steps: intArg(args, "steps", quick ? 2 : 0),
    repeats: Math.max(1, intArg(args, "repeats", quick ? 2 : 5)),
    warmup: intArg(args, "warmup", quick ? 1 : 4),
    targetMs: intArg(args, "target-ms", 500),
  },
  args.has("wait-go") ? waitForGo : undefined,
);
console.log(args.has("json") ? JSON.stringify(record) : describeRecord(record));
