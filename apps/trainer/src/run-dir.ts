/**
 * The run directory and its checkpoints.
 *
 *   config.json            resolved options, data, standardisation, model spec (written once)
 *   metrics.jsonl          one line per epoch, then {"split":"test",…}
 *   model.safetensors      latest (final: best with --early-stopping) weights + buffers, PyTorch keys
 *   optimizer.safetensors  the optimiser's state arrays; type and step in the metadata
 *   report.html            curves as inline SVG
 *   checkpoint.json        {"epoch": k, "dir": "checkpoints/epoch-k"} — the resumable state
 *   checkpoints/epoch-k/   model, optimizer, [best,] state.json of epoch k
 *
 * Every file is written to a temp name and renamed over the old one, so it is always whole.
 * A checkpoint spans several files, so it is a directory: written under a temp name, renamed
 * to `epoch-k`, and only then named by `checkpoint.json` (itself replaced by one rename). A
 * kill -9 at any moment leaves `checkpoint.json` naming a complete directory; what a killed
 * writer left behind (temp files, an unnamed epoch directory) is cleared on the next write.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { readSafetensorsFile, writeFileAtomic, writeSafetensorsFile, type NamedTensor } from "@weft/tensor";
import { UsageError } from "./errors.js";

/** A state dict as saved: name → shape + float32 data. */
export type TensorMap = Record<string, NamedTensor>;

export interface OptimizerSnapshot {
  type: string;
  step: number;
  state: Record<string, Float32Array>;
}

/** What a checkpoint holds beyond the tensors: enough to continue bit for bit. */
export interface CheckpointState {
  /** Epochs completed. */
  epoch: number;
  /** Global steps taken (the engine's step counter: fault injection and augmentation key on it). */
  step: number;
  /** The metrics lines of the epochs so far (early stopping replays their validation losses). */
  metrics: Record<string, unknown>[];
  /** Whether early stopping has ended the run. */
  stopped: boolean;
}

export interface Checkpoint extends CheckpointState {
  model: TensorMap;
  optimizer: OptimizerSnapshot;
  /** The state dict of the best epoch so far (with --early-stopping). */
  best?: TensorMap;
}

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

/** Creates a fresh run directory; one that holds anything already is refused. */
export function createRunDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new UsageError(`--out ${dir} already exists and is not empty: continue that run with --resume ${dir}, or choose another --out`);
  }
  mkdirSync(dir, { recursive: true });
}

function tensorsOf(opt: OptimizerSnapshot): TensorMap {
  const out: TensorMap = {};
  for (const [k, v] of Object.entries(opt.state)) out[k] = { shape: [v.length], data: v };
  return out;
}

/** Writes epoch `c.epoch`'s checkpoint, then points checkpoint.json at it, then drops older ones. */
export function saveCheckpoint(runDir: string, c: Checkpoint): void {
  const root = join(runDir, "checkpoints");
  mkdirSync(root, { recursive: true });
  const name = `epoch-${c.epoch}`;
  const tmp = join(root, `${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeSafetensorsFile(join(tmp, "model.safetensors"), c.model, { format: "pt" });
  writeSafetensorsFile(join(tmp, "optimizer.safetensors"), tensorsOf(c.optimizer), { type: c.optimizer.type, step: String(c.optimizer.step) });
  if (c.best) writeSafetensorsFile(join(tmp, "best.safetensors"), c.best, { format: "pt" });
  const state: CheckpointState = { epoch: c.epoch, step: c.step, metrics: c.metrics, stopped: c.stopped };
  writeJsonAtomic(join(tmp, "state.json"), state);
  rmSync(join(root, name), { recursive: true, force: true }); // an unnamed leftover of a killed run
  renameSync(tmp, join(root, name));
  writeJsonAtomic(join(runDir, "checkpoint.json"), { epoch: c.epoch, dir: `checkpoints/${name}` });
  for (const entry of readdirSync(root)) if (entry !== name) rmSync(join(root, entry), { recursive: true, force: true });
}

/** Writes the top-level model and optimizer files (the run's deliverables). */
export function saveModelFiles(runDir: string, model: TensorMap, optimizer: OptimizerSnapshot): void {
  writeSafetensorsFile(join(runDir, "model.safetensors"), model, { format: "pt" });
  writeSafetensorsFile(join(runDir, "optimizer.safetensors"), tensorsOf(optimizer), { type: optimizer.type, step: String(optimizer.step) });
}

/** The checkpoint that checkpoint.json names, or null when the run has none yet. */
export function loadCheckpoint(runDir: string): Checkpoint | null {
  const pointer = join(runDir, "checkpoint.json");
  if (!existsSync(pointer)) return null;
  const where = (file: string) => `${runDir}: checkpoint ${file}`;
  let dir: string;
  let state: CheckpointState;
  try {
    const p = JSON.parse(readFileSync(pointer, "utf8")) as { dir: string };
    dir = join(runDir, p.dir);
    state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as CheckpointState;
  } catch (e) {
    throw new UsageError(`${where("checkpoint.json")} cannot be read: ${(e as Error).message}`);
  }
  const opt = readSafetensorsFile(join(dir, "optimizer.safetensors"));
  const optimizer: OptimizerSnapshot = { type: opt.metadata.type ?? "", step: Number(opt.metadata.step), state: {} };
  for (const [k, t] of Object.entries(opt.tensors)) optimizer.state[k] = t.data;
  const bestPath = join(dir, "best.safetensors");
  return {
    ...state,
    model: readSafetensorsFile(join(dir, "model.safetensors")).tensors,
    optimizer,
    best: existsSync(bestPath) ? readSafetensorsFile(bestPath).tensors : undefined,
  };
}

/** Removes what a killed writer left in the run directory: `*.tmp-<pid>` files and directories. */
export function clearLeftovers(runDir: string): void {
  for (const dir of [runDir, join(runDir, "checkpoints")]) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) if (/\.tmp-\d+$/.test(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

/** Reads a run's config.json (for --resume, eval and predict). */
export function readRunConfig<T>(runDir: string, flag: string): T {
  const path = join(runDir, "config.json");
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch (e) {
    const why = existsSync(runDir) ? (existsSync(path) ? (e as Error).message : "it has no config.json") : "no such directory";
    throw new UsageError(`${flag} ${runDir} is not a weft run directory: ${why}`);
  }
}

/** metrics.jsonl: one JSON object per line. */
export function writeMetrics(runDir: string, lines: readonly unknown[]): void {
  writeFileAtomic(join(runDir, "metrics.jsonl"), lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
}
