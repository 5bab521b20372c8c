/**
 * The machine's own ceiling for a workload: W independent 1-worker runs in separate processes
 * (`bench/dist/train.js --workers 1 --json`), started together and summed. No communication,
 * no barriers: what W cores give when they share only the hardware (vCPU siblings, caches,
 * memory bandwidth). The engine at W workers is judged against this, not only against W×.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TrainRecord } from "./train-point.js";

const TRAIN_JS = fileURLToPath(new URL("./train.js", import.meta.url));

export interface SideBySide {
  /** Processes run together. */
  processes: number;
  /** Each process's batch. */
  batch: number;
  /** Sum over the processes of each one's median samples/s. */
  samplesPerSec: number;
  perProcess: number[];
}

function startChild(args: string[]): { child: ChildProcess; ready: Promise<void>; done: Promise<TrainRecord> } {
  const child = spawn(process.execPath, [TRAIN_JS, ...args, "--json", "--wait-go"], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    if (out.includes("READY\n")) signalReady();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const done = new Promise<TrainRecord>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.split("\n").filter((l) => l.startsWith("{")).pop();
      if (code !== 0 || !line) reject(new Error(`train.js ${args.join(" ")} exited with ${code}: ${err.trim() || out.trim()}`));
      else resolve(JSON.parse(line) as TrainRecord);
    });
  });
  // A child that dies before READY must not leave the others waiting.
  done.catch(() => signalReady());
  return { child, ready, done };
}

/**
 * Runs `processes` copies of `train.js --workers 1 --batch <batch> <extra>` side by side: each
 * warms up, says READY, and all start their timed repeats on one signal.
 */
export async function sideBySide(processes: number, batch: number, extra: string[]): Promise<SideBySide> {
  const children = Array.from({ length: processes }, () => startChild(["--workers", "1", "--batch", String(batch), ...extra]));
  await Promise.all(children.map((c) => c.ready));
  for (const c of children) c.child.stdin!.end("GO\n");
  const records = await Promise.all(children.map((c) => c.done));
  const perProcess = records.map((r) => r.samplesPerSec);
  return { processes, batch, samplesPerSec: perProcess.reduce((a, b) => a + b, 0), perProcess };
}
