/**
 * `weft train --model ./my-model.js`: the user's own network, from an ES module exporting
 * `createModel(ctx)` (and optionally `loss(output, target)`, the batch's mean), as
 * @weft/parallel's DataParallel takes it. config.json records the file (absolute path, its
 * SHA-256, the input shape and class count it was built for), so --resume, eval and predict
 * rebuild the same network; a layer-spec list (the built-in MLP) goes through the same helpers.
 *
 * `ctx.inputShape` is one sample's shape: `[1, H, W]` for image data (NCHW, as PyTorch's Conv2d
 * takes it), `[features]` for CSV rows; `ctx.numClasses` the number of labels.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import type { Module } from "@weft/layers";
import { buildModel, loadModelFactory, modelSource, type LayerSpec, type LossFn } from "@weft/parallel";
import { Rng } from "@weft/tensor";
import { UsageError } from "./errors.js";

/** What config.json's "model" holds for a model file. */
export interface ModelFileRecord {
  /** Absolute path of the ES module. */
  file: string;
  /** SHA-256 (hex) of the file when the run started. */
  sha256: string;
  /** One sample's shape, as createModel's `ctx.inputShape`. */
  inputShape: number[];
  numClasses: number;
}

/** A run's model: the built-in layer-spec list, or a model file. */
export type RunModelSpec = LayerSpec[] | ModelFileRecord;

export const isModelFile = (m: RunModelSpec): m is ModelFileRecord => !Array.isArray(m);

/** One sample's shape as the engine and a model file see it: images `[1, H, W]`, rows `[features]`. */
export function sampleShapeOf(d: { features: number; shape?: [number, number] }): number[] {
  return d.shape ? [1, d.shape[0], d.shape[1]] : [d.features];
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The record of `--model FILE` (already absolute) for a new run; a missing file is a usage error. */
export function modelFileRecord(file: string, inputShape: number[], numClasses: number): ModelFileRecord {
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new UsageError(`--model ${file}: no such file (give the path of an ES module exporting createModel(ctx))`);
  }
  if (!isFile) throw new UsageError(`--model ${file} is not a file (give the path of an ES module exporting createModel(ctx))`);
  return { file, sha256: sha256(file), inputShape: [...inputShape], numClasses };
}

/**
 * Says on stderr when a run's model file changed since the run started (a resumed, evaluated or
 * predicting run then builds what the file says now: if its parameters no longer fit the saved
 * ones, loading them fails with the names and shapes). A missing file is an error.
 */
export function checkModelFileUnchanged(rec: ModelFileRecord, where: string): void {
  let now: string;
  try {
    now = sha256(rec.file);
  } catch {
    throw new UsageError(`${where}: the run's model file ${rec.file} is gone: put it back (the run needs it to rebuild the network)`);
  }
  if (now !== rec.sha256) process.stderr.write(`note: ${rec.file} changed since the run started (SHA-256 ${rec.sha256.slice(0, 12)}… then, ${now.slice(0, 12)}… now): building the network it defines now\n`);
}

/** A run's network on the main thread (for checkpoint checks, eval and predict), and the model file's loss if it has one. */
export async function buildRunModule(model: RunModelSpec, seed: number): Promise<{ module: Module; loss: LossFn | null }> {
  if (!isModelFile(model)) return { module: buildModel(model, { rng: new Rng(seed) }), loss: null };
  try {
    const factory = await loadModelFactory(modelSource(model.file));
    const module = factory.create({ rng: new Rng(seed), inputShape: [...model.inputShape], numClasses: model.numClasses, rank: 0, worldSize: 1 });
    return { module, loss: factory.loss };
  } catch (e) {
    throw new UsageError(`--model: ${(e as Error).message}`);
  }
}

/** Number of trainable values of a module. */
export function parameterCount(m: Module): number {
  return m.parameters().reduce((s, p) => s + p.size, 0);
}

/** Whether any BatchNorm sits in the tree (a one-row batch cannot be normalised: the trainer drops it). */
export function hasBatchNorm(m: Module): boolean {
  return m.namedModules().some(([, c]) => /BatchNorm/.test(c.constructor.name));
}

/** A model file for messages: `my-model.mjs (createModel)`. */
export function describeModelFile(rec: ModelFileRecord): string {
  return `${basename(rec.file)} (createModel, input ${JSON.stringify(rec.inputShape)})`;
}
