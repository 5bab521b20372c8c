/**
 * A run's checkpoints: `checkpoints/epoch-k/` (model, optimizer, [best,] state.json), named by
 * `checkpoint.json` = `{"epoch": k, "dir": "checkpoints/epoch-k"}`.
 *
 * A checkpoint spans several files, so it is a directory: written under a temp name, renamed to
 * `epoch-k`, and only then named by `checkpoint.json` (itself replaced by one rename). A kill -9
 * at any moment leaves `checkpoint.json` naming a complete directory.
 *
 * `checkpoints/` may be a symbolic link to a directory elsewhere (another disk): weft follows it
 * and, there as in a plain one, touches only its own `epoch-<n>` entries and their temp names.
 *
 * Loading trusts nothing it reads: the pointer must name `checkpoints/epoch-<k>` of this run
 * (no path out of it), state.json and the tensor files are checked against the run (every key,
 * type, shape and count), and any fault is a {@link UsageError} naming the file.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { isModule, type Module } from "@weft/layers";
import { buildModel, type LayerSpec } from "@weft/parallel";
import { readSafetensorsFile, writeSafetensorsFile } from "@weft/tensor";
import { UsageError } from "./errors.js";
import { isObject, preview } from "./json-check.js";
import { CHECKPOINT_ENTRY, writeJsonAtomic, writeOptimizerFile, type OptimizerSnapshot, type TensorMap } from "./run-dir.js";

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

/** What the run that loads a checkpoint knows it must hold. */
export interface CheckpointExpectations {
  /** The run's model (its layer specs, or a built module): model.safetensors and best.safetensors must load into it (strict). */
  model: readonly LayerSpec[] | Module;
  /** The optimiser's type, the names of its state arrays, and the parameters each array covers. */
  optimizer: { type: string; arrays: readonly string[]; parameters: number };
  /** Steps in one epoch (the batch plan's length): a checkpoint of epoch k was taken at step k × this. */
  stepsPerEpoch: number;
  /** Whether the run uses early stopping (then every checkpoint holds best.safetensors). */
  earlyStopping: boolean;
  /** The task's epoch figures (valAccuracy; rmse, mae, r2), each a finite number in every epoch line. */
  metricKeys: readonly string[];
}

/** `<run>/checkpoints`, after checking that a symbolic link there names a directory. */
function checkpointsRoot(runDir: string): string {
  const root = join(runDir, "checkpoints");
  let link: ReturnType<typeof lstatSync> | undefined;
  try {
    link = lstatSync(root);
  } catch {
    return root; // not there yet
  }
  if (link.isSymbolicLink()) {
    let isDir = false;
    try {
      isDir = statSync(root).isDirectory();
    } catch {
      // dangling
    }
    if (!isDir) {
      throw new UsageError(`${root} is a symbolic link to ${readlinkSync(root)}, which is not a directory: point it at a directory (weft writes its epoch-<n> checkpoints there) or remove it`);
    }
  } else if (!link.isDirectory()) {
    throw new UsageError(`${root} is not a directory: weft keeps its checkpoints there; move it away`);
  }
  return root;
}

/** Writes epoch `c.epoch`'s checkpoint, then points checkpoint.json at it, then drops weft's older ones. */
export function saveCheckpoint(runDir: string, c: Checkpoint): void {
  const root = checkpointsRoot(runDir);
  mkdirSync(root, { recursive: true });
  const name = `epoch-${c.epoch}`;
  const tmp = join(root, `${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeSafetensorsFile(join(tmp, "model.safetensors"), c.model, { format: "pt" });
  writeOptimizerFile(join(tmp, "optimizer.safetensors"), c.optimizer);
  if (c.best) writeSafetensorsFile(join(tmp, "best.safetensors"), c.best, { format: "pt" });
  const state: CheckpointState = { epoch: c.epoch, step: c.step, metrics: c.metrics, stopped: c.stopped };
  writeJsonAtomic(join(tmp, "state.json"), state);
  rmSync(join(root, name), { recursive: true, force: true }); // an unnamed leftover of a killed run
  renameSync(tmp, join(root, name));
  writeJsonAtomic(join(runDir, "checkpoint.json"), { epoch: c.epoch, dir: `checkpoints/${name}` });
  // Only weft's own entries: a user's files in checkpoints/ (or where it links to) stay.
  for (const entry of readdirSync(root)) if (entry !== name && CHECKPOINT_ENTRY.test(entry)) rmSync(join(root, entry), { recursive: true, force: true });
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`${path} cannot be read as JSON: ${(e as Error).message}`);
  }
}

function readTensors(path: string): { tensors: TensorMap; metadata: Record<string, string> } {
  let contents;
  try {
    contents = readSafetensorsFile(path);
  } catch (e) {
    const m = (e as Error).message;
    throw new UsageError(m.startsWith(path) ? m : `${path}: ${m}`);
  }
  for (const [k, t] of Object.entries(contents.tensors)) {
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new UsageError(`${path}: tensor "${k}" holds ${t.data[bad]} at index ${bad}: the checkpoint is corrupt (weft saves finite values only)`);
  }
  return contents;
}

/** The checkpoint that checkpoint.json names, or null when the run has none yet. */
export function loadCheckpoint(runDir: string, expect?: CheckpointExpectations): Checkpoint | null {
  const pointerPath = join(runDir, "checkpoint.json");
  try {
    lstatSync(pointerPath);
  } catch {
    return null;
  }
  const pointer = readJson(pointerPath);
  if (!isObject(pointer)) throw new UsageError(`${pointerPath}: expected {"epoch": k, "dir": "checkpoints/epoch-k"}, got ${preview(pointer)}`);
  const epoch = pointer.epoch;
  if (!(Number.isSafeInteger(epoch) && (epoch as number) >= 1)) throw new UsageError(`${pointerPath}: "epoch" is ${preview(epoch)}; expected a positive integer`);
  // Resolve and require the one place this epoch's checkpoint may be: no path out of the run.
  const root = checkpointsRoot(runDir);
  const dir = join(root, `epoch-${epoch}`);
  if (typeof pointer.dir !== "string" || resolve(runDir, pointer.dir) !== resolve(dir)) {
    throw new UsageError(`${pointerPath}: "dir" is ${preview(pointer.dir)}; expected "checkpoints/epoch-${epoch}" (a checkpoint of this run, under ${root})`);
  }
  let isDir = false;
  try {
    isDir = lstatSync(dir).isDirectory();
  } catch (e) {
    throw new UsageError(`${pointerPath} names ${dir}, which cannot be read: ${(e as Error).message}`);
  }
  if (!isDir) throw new UsageError(`${dir} is not a directory of this run (a symbolic link or a file): weft writes each checkpoint as a directory`);

  const statePath = join(dir, "state.json");
  const state = checkState(readJson(statePath), statePath, epoch as number, expect);
  const modelPath = join(dir, "model.safetensors");
  const model = readTensors(modelPath).tensors;
  const optPath = join(dir, "optimizer.safetensors");
  const optimizer = checkOptimizer(readTensors(optPath), optPath, state.step, expect);
  const bestPath = join(dir, "best.safetensors");
  let hasBest = true;
  try {
    lstatSync(bestPath);
  } catch {
    hasBest = false;
  }
  if (expect?.earlyStopping && !hasBest) throw new UsageError(`${dir} has no best.safetensors: with --early-stopping every checkpoint holds the best epoch's weights`);
  const best = hasBest && (expect?.earlyStopping ?? true) ? readTensors(bestPath).tensors : undefined;
  if (expect) {
    const probe = isModule(expect.model) ? expect.model : buildModel(expect.model as readonly LayerSpec[]);
    for (const [path, tensors] of [[modelPath, model], [bestPath, best]] as const) {
      if (!tensors) continue;
      try {
        probe.loadStateDict(tensors); // strict: every key, and each tensor's shape
      } catch (e) {
        throw new UsageError(`${path} does not fit this run's model: ${(e as Error).message}`);
      }
    }
  }
  return { ...state, model, optimizer, best };
}

/** Every epoch line's numbers; the task's own figures (valAccuracy, or rmse, mae, r2) come from the expectations. */
const METRIC_NUMBERS = ["trainLoss", "valLoss", "samplesPerSec", "seconds", "lr"];

function checkState(raw: unknown, path: string, epoch: number, expect?: CheckpointExpectations): CheckpointState {
  const bad = (key: string, v: unknown, want: string): never => {
    throw new UsageError(`${path}: "${key}" is ${preview(v)}; expected ${want}`);
  };
  if (!isObject(raw)) throw new UsageError(`${path}: expected an object {"epoch", "step", "metrics", "stopped"}, got ${preview(raw)}`);
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!["epoch", "step", "metrics", "stopped"].includes(k)) throw new UsageError(`${path}: unknown key ${preview(k)} (expected epoch, step, metrics, stopped)`);
  if (s.epoch !== epoch) bad("epoch", s.epoch, `${epoch}, the epoch checkpoint.json names`);
  if (!(Number.isSafeInteger(s.step) && (s.step as number) >= 0)) bad("step", s.step, "a non-negative integer");
  if (expect && s.step !== epoch * expect.stepsPerEpoch) bad("step", s.step, `${epoch * expect.stepsPerEpoch} (epoch ${epoch} × ${expect.stepsPerEpoch} steps an epoch of this run)`);
  if (typeof s.stopped !== "boolean") bad("stopped", s.stopped, "true or false");
  if (s.stopped && expect && !expect.earlyStopping) bad("stopped", s.stopped, "false (this run has no --early-stopping)");
  if (!Array.isArray(s.metrics) || s.metrics.length !== epoch) bad("metrics", s.metrics, `an array of ${epoch} epoch lines`);
  (s.metrics as unknown[]).forEach((m, i) => {
    const key = `metrics[${i}]`;
    if (!isObject(m)) bad(key, m, "an object of that epoch's metrics");
    const line = m as Record<string, unknown>;
    if (line.epoch !== i + 1) bad(`${key}.epoch`, line.epoch, String(i + 1));
    for (const k of [...METRIC_NUMBERS, ...(expect?.metricKeys ?? ["valAccuracy"])]) if (!Number.isFinite(line[k])) bad(`${key}.${k}`, line[k], "a finite number");
    if (!isObject(line.gradNorms) || !Object.values(line.gradNorms).every((g) => Number.isFinite(g))) bad(`${key}.gradNorms`, line.gradNorms, "an object of finite numbers (layer → ‖∇‖)");
  });
  return { epoch, step: s.step as number, metrics: s.metrics as Record<string, unknown>[], stopped: s.stopped as boolean };
}

function checkOptimizer(file: { tensors: TensorMap; metadata: Record<string, string> }, path: string, globalStep: number, expect?: CheckpointExpectations): OptimizerSnapshot {
  const { type = "", step = "" } = file.metadata;
  if (expect && type !== expect.optimizer.type) throw new UsageError(`${path}: metadata "type" is ${preview(type)}; this run's optimiser is ${expect.optimizer.type}`);
  // The optimiser steps at most once per global step (SGD keeps no count: 0).
  if (!/^\d+$/.test(step) || Number(step) > globalStep) throw new UsageError(`${path}: metadata "step" is ${preview(step)}; expected an integer in [0, ${globalStep}] (the checkpoint's global step)`);
  const state: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(file.tensors)) state[k] = t.data;
  if (expect) {
    const { arrays, parameters } = expect.optimizer;
    const names = Object.keys(state);
    const missing = arrays.filter((a) => !names.includes(a));
    const extra = names.filter((n) => !arrays.includes(n));
    if (missing.length > 0 || extra.length > 0) {
      throw new UsageError(`${path}: holds ${names.join(", ") || "no arrays"}; a ${expect.optimizer.type} checkpoint holds ${arrays.join(", ")}` + (missing.length ? ` (missing ${missing.join(", ")})` : ""));
    }
    for (const [k, t] of Object.entries(file.tensors)) {
      if (t.shape.length !== 1 || t.data.length !== parameters) throw new UsageError(`${path}: "${k}" has shape [${t.shape.join(", ")}]; expected [${parameters}] (one value per parameter of this run's model)`);
    }
  }
  return { type, step: Number(step), state };
}
