/**
 * A finished run as a single-process model: rebuilt from config.json's spec, loaded from
 * model.safetensors, in eval mode (BatchNorm uses its running statistics, dropout is off).
 * eval and predict need no workers: inference is one forward pass per batch.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { crossEntropyLoss, loadSafetensors, type Module, type StateEntry } from "@weft/layers";
import type { LossFn } from "@weft/parallel";
import { Tensor, argmax, noGrad, softmax } from "@weft/tensor";
import { UsageError } from "./errors.js";
import { buildRunModule, checkModelFileUnchanged, isModelFile } from "./model-file.js";
import type { RunConfig } from "./run-config.js";
import { readRunConfig } from "./saved-config.js";

/** A saved run's network in eval mode, with what its rows are fed as. */
export interface RunModel {
  config: RunConfig;
  model: Module;
  /** One sample's shape (`[features]`, or `[1, H, W]` for a model file on images). */
  sampleShape: number[];
  /** A model file's own loss (the batch's mean), else null: cross-entropy. */
  loss: LossFn | null;
}

export async function loadRunModel(dir: string): Promise<RunModel> {
  const config = readRunConfig(dir, "--model");
  const path = join(dir, "model.safetensors");
  if (!existsSync(path)) throw new UsageError(`--model ${dir} has no model.safetensors yet: no epoch of that run has completed`);
  if (isModelFile(config.model)) checkModelFileUnchanged(config.model, `--model ${dir}`);
  const { module: model, loss } = await buildRunModule(config.model, config.options.seed);
  try {
    loadSafetensors(model, path);
  } catch (e) {
    const m = (e as Error).message;
    throw new UsageError(`--model ${dir}: cannot load model.safetensors: ${m.startsWith(path) ? m : `${path}: ${m}`}`);
  }
  // weft saves finite values only: a NaN or ±∞ is a corrupt file, not a model to predict with.
  for (const [k, t] of Object.entries(model.stateDict())) {
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new UsageError(`--model ${dir}: ${path}: tensor "${k}" holds ${t.data[bad]} at index ${bad}: the file is corrupt`);
  }
  model.eval();
  const sampleShape = isModelFile(config.model) ? config.model.inputShape : [config.data.features]; // the MLP takes flat rows
  return { config, model, sampleShape, loss };
}

function batchTensor(x: Float32Array, b: number, n: number, sampleShape: readonly number[]): Tensor {
  const size = sampleShape.reduce((a, d) => a * d, 1);
  return new Tensor(x.subarray(b * size, (b + n) * size), [n, ...sampleShape]);
}

const BATCH = 1024;

/** The model's outputs `[rows, outputs]` for `rows` rows of standardised `x` (in batches, no graph). */
export function forwardRows(model: Module, x: Float32Array, rows: number, sampleShape: readonly number[]): Float32Array {
  let out = new Float32Array(0);
  noGrad(() => {
    for (let b = 0; b < rows; b += BATCH) {
      const n = Math.min(BATCH, rows - b);
      const y = model.forward(batchTensor(x, b, n, sampleShape));
      if (b === 0) out = new Float32Array(rows * y.shape[1]!);
      out.set(y.data.subarray(0, n * y.shape[1]!), b * y.shape[1]!);
    }
  });
  return out;
}

/** `model` (a run's network, built on the main thread) holding `state` (the run's weights), in eval mode: for figures the engine does not compute. */
export function modelWithState(model: Module, state: Record<string, StateEntry>): Module {
  model.loadStateDict(state);
  model.eval();
  return model;
}

/** Predicted class and its softmax probability for each of `rows` rows of standardised `x`. */
export function classify(model: Module, x: Float32Array, rows: number, sampleShape: readonly number[]): { classes: Int32Array; confidence: Float32Array } {
  const classes = new Int32Array(rows);
  const confidence = new Float32Array(rows);
  noGrad(() => {
    for (let b = 0; b < rows; b += BATCH) {
      const n = Math.min(BATCH, rows - b);
      const out = model.forward(batchTensor(x, b, n, sampleShape));
      classes.set(argmax(out, 1), b);
      const p = softmax(out, 1).data;
      const k = out.shape[1]!;
      for (let i = 0; i < n; i++) confidence[b + i] = p[i * k + classes[b + i]!]!;
    }
  });
  return { classes, confidence };
}

/** Mean loss (cross-entropy, or a model file's own) and accuracy over labelled rows. */
export function evaluateRows(model: Module, x: Float32Array, y: Int32Array, rows: number, sampleShape: readonly number[], loss: LossFn | null = null): { loss: number; accuracy: number } {
  let lossSum = 0;
  let correct = 0;
  noGrad(() => {
    for (let b = 0; b < rows; b += BATCH) {
      const n = Math.min(BATCH, rows - b);
      const out = model.forward(batchTensor(x, b, n, sampleShape));
      const target = y.subarray(b, b + n);
      lossSum += loss ? loss(out, new Tensor(target, [n])).item() * n : crossEntropyLoss(out, target, { reduction: "sum" }).item();
      const pred = argmax(out, 1);
      for (let i = 0; i < n; i++) if (pred[i] === target[i]) correct++;
    }
  });
  return { loss: lossSum / rows, accuracy: correct / rows };
}
