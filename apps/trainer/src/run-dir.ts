/**
 * The run directory.
 *
 *   config.json            resolved options, data, standardisation, model spec (written once)
 *   metrics.jsonl          one line per epoch, then {"split":"test",…}
 *   model.safetensors      latest (final: best with --early-stopping) weights + buffers, PyTorch keys
 *   optimizer.safetensors  the optimiser's state arrays; type and step in the metadata
 *   report.html            curves as inline SVG
 *   checkpoint.json        {"epoch": k, "dir": "checkpoints/epoch-k"} — the resumable state
 *   checkpoints/epoch-k/   model, optimizer, [best,] state.json of epoch k (see checkpoint.ts)
 *
 * Every file is written to a temp name (`<name>.tmp-<pid>`) and renamed over the old one, so it
 * is always whole; what a killed writer left behind is cleared on the next run. weft deletes
 * only names it writes itself: the files above, their temp names, and `checkpoints/epoch-<n>`
 * with its temp names — never anything else a user keeps in the directory.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic, writeSafetensorsFile, type NamedTensor } from "@weft/tensor";
import { UsageError } from "./errors.js";

/** A state dict as saved: name → shape + float32 data. */
export type TensorMap = Record<string, NamedTensor>;

export interface OptimizerSnapshot {
  type: string;
  step: number;
  state: Record<string, Float32Array>;
}

/** The files weft writes at the top of a run directory. */
const RUN_FILES = ["config.json", "metrics.jsonl", "model.safetensors", "optimizer.safetensors", "report.html", "checkpoint.json"];
const TEMP = /\.tmp-\d+$/;

/** A temp file of weft's at the top of a run directory (`model.safetensors.tmp-4242`). */
export function isRunDebris(entry: string): boolean {
  return TEMP.test(entry) && RUN_FILES.includes(entry.replace(TEMP, ""));
}

/** A checkpoint directory of weft's, complete (`epoch-3`) or not (`epoch-3.tmp-4242`). */
export const CHECKPOINT_ENTRY = /^epoch-\d+(\.tmp-\d+)?$/;

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** `runs/2024-05-01T12-30-45` (local time), with `-2`, `-3`… if taken. */
export function defaultRunDir(cwd: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}T${p(now.getHours())}-${p(now.getMinutes())}-${p(now.getSeconds())}`;
  let dir = resolve(cwd, "runs", stamp);
  for (let k = 2; existsSync(dir); k++) dir = resolve(cwd, "runs", `${stamp}-${k}`);
  return dir;
}

/**
 * Creates a fresh run directory. One that holds anything is refused — except weft's own temp
 * files, which is what a run killed while writing its first config.json leaves: they are cleared.
 */
export function createRunDir(dir: string): void {
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.some((e) => !isRunDebris(e))) {
      throw new UsageError(`--out ${dir} already exists and is not empty: continue that run with --resume ${dir}, or choose another --out`);
    }
    for (const e of entries) rmSync(join(dir, e), { force: true });
  }
  mkdirSync(dir, { recursive: true });
}

function tensorsOf(opt: OptimizerSnapshot): TensorMap {
  const out: TensorMap = {};
  for (const [k, v] of Object.entries(opt.state)) out[k] = { shape: [v.length], data: v };
  return out;
}

/** Writes an optimiser's arrays, with its type and step in the metadata. */
export function writeOptimizerFile(path: string, optimizer: OptimizerSnapshot): void {
  writeSafetensorsFile(path, tensorsOf(optimizer), { type: optimizer.type, step: String(optimizer.step) });
}

/** Writes the top-level model (with `metadata`: see run-config.ts's modelMetadata) and optimizer files (the run's deliverables). */
export function saveModelFiles(runDir: string, model: TensorMap, optimizer: OptimizerSnapshot, metadata: Record<string, string> = { format: "pt" }): void {
  writeSafetensorsFile(join(runDir, "model.safetensors"), model, metadata);
  writeOptimizerFile(join(runDir, "optimizer.safetensors"), optimizer);
}

/** Removes what a killed writer left in the run directory: weft's own `*.tmp-<pid>` files and checkpoint directories. */
export function clearLeftovers(runDir: string): void {
  if (!existsSync(runDir)) return;
  for (const entry of readdirSync(runDir)) if (isRunDebris(entry)) rmSync(join(runDir, entry), { force: true });
  const root = join(runDir, "checkpoints");
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) if (CHECKPOINT_ENTRY.test(entry) && TEMP.test(entry)) rmSync(join(root, entry), { recursive: true, force: true });
}

/** metrics.jsonl: one JSON object per line. */
export function writeMetrics(runDir: string, lines: readonly unknown[]): void {
  writeFileAtomic(join(runDir, "metrics.jsonl"), lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
}
