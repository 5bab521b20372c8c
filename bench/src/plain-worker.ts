/**
 * The plain loop inside a worker_thread (see {@link PlainWorkerRunner}): the same PlainRunner,
 * driven by messages — one per call of `steps` steps, never per step.
 */
import { parentPort, workerData } from "node:worker_threads";
import { PlainRunner } from "./runners.js";
import type { Dataset } from "./workload.js";

const { hidden, bn, data, seed } = workerData as { hidden: number[]; bn: boolean; data: Dataset; seed: number };
const runner = new PlainRunner(hidden, bn, data, seed);
parentPort!.on("message", async ({ batch, steps }: { batch: number; steps: number }) => {
  parentPort!.postMessage(await runner.run(batch, steps));
});
