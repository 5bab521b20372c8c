/**
 * A run's config.json: the resolved options plus everything derived from them that another
 * command needs — the data's shape, the input standardisation (predict applies it to raw
 * inputs), the model spec (eval, predict and PyTorch rebuild the model from it), the optimiser
 * and loss as the engine received them.
 */
import type { L1Spec, LossSpec, OptimizerSpec } from "@weft/parallel";
import { backend, wasmRelaxedSimd } from "@weft/tensor";
import type { OptimizerName, TrainOptions } from "./config.js";
import type { Splits3 } from "./data-source.js";
import type { Standardization } from "./data/index.js";
import { linearWeightNames, modelSpec } from "./model.js";
import type { ModelFileRecord, RunModelSpec } from "./model-file.js";
import { TASKS, outputWidth } from "./task.js";

export interface RunConfig {
  options: TrainOptions;
  data: {
    source: string;
    features: number;
    /** Classes (0 for regression). */
    classes: number;
    shape?: [number, number];
    rows: Splits3["rows"];
    /** Text class labels' names: class i is classNames[i]. */
    classNames?: string[];
    /** The CSV header's feature columns (predict picks its inputs' columns by them). */
    featureNames?: string[];
    /** Regression: the target columns (the model's outputs, in order). */
    targetNames?: string[];
  };
  standardization: Standardization;
  /** Regression: each target column's training mean and std (the model predicts `(t − mean) / std`). */
  targetStandardization?: Standardization;
  /** The built-in MLP as layer specs, or the record of a `--model` file. */
  model: RunModelSpec;
  optimizer: OptimizerSpec;
  /** null with a model file: its own `loss` export, else cross-entropy. */
  loss: LossSpec | null;
  l1: L1Spec | null;
  /**
   * The kernels the run used: same seed, workers and kernels give the same bits (the js and
   * wasm backends, and wasm with or without relaxed SIMD, round differently in the last bits).
   */
  kernels: { backend: string; relaxedSimd: boolean; node: string };
  createdAt: string;
}

const OPTIMIZER_TYPES: Record<OptimizerName, string> = { adam: "Adam", adamw: "AdamW", sgd: "SGD", rmsprop: "RMSprop" };

/** The engine's optimiser spec: PyTorch's class name and options (the rest at PyTorch's defaults). */
export function optimizerSpec(o: TrainOptions): OptimizerSpec {
  const config: Record<string, unknown> = { lr: o.lr, weightDecay: o.weightDecay };
  if (o.optimizer === "sgd" || o.optimizer === "rmsprop") config.momentum = o.momentum;
  return { type: OPTIMIZER_TYPES[o.optimizer], config };
}

/** `file`: the record of `--model` (when o.model is set). */
export function buildRunConfig(o: TrainOptions, d: Splits3, file?: ModelFileRecord): RunConfig {
  const model = file ?? modelSpec(o, d.features, outputWidth(o.task, d));
  const names = { classNames: d.classNames, featureNames: d.featureNames, targetNames: d.targetNames };
  return {
    options: o,
    data: {
      source: d.source, features: d.features, classes: d.classes, ...(d.shape ? { shape: d.shape } : {}), rows: d.rows,
      ...Object.fromEntries(Object.entries(names).filter(([, v]) => v !== undefined)),
    },
    standardization: d.standardization,
    ...(d.targetStandardization ? { targetStandardization: d.targetStandardization } : {}),
    model,
    optimizer: optimizerSpec(o),
    loss: file ? null : TASKS[o.task].loss,
    l1: o.l1 > 0 && Array.isArray(model) ? { lambda: o.l1, params: linearWeightNames(model) } : null,
    kernels: { backend: backend(), relaxedSimd: backend() === "wasm" && wasmRelaxedSimd(), node: process.version },
    createdAt: new Date().toISOString(),
  };
}

/**
 * model.safetensors' `__metadata__`: what a user needs to use the model elsewhere (PyTorch,
 * safetensors' `safe_open(...).metadata()`) without config.json, each value a JSON string:
 * `task`, `input_shape` (one row: `[features]`), `image_shape` (`[h, w]`, image data),
 * `standardization` (`{"mean", "std"}`: apply `(x − mean) / std` to raw inputs), `class_names`
 * (text labels), `feature_names` (a CSV header), `target_names` and `target_standardization`
 * (regression: the model predicts `(t − mean) / std`), and `architecture` (the layer list, in
 * state-dict order). `format` is `"pt"`, as PyTorch's own files say.
 */
export function modelMetadata(c: RunConfig): Record<string, string> {
  const d = c.data;
  const fields: Record<string, unknown> = {
    task: c.options.task,
    input_shape: [d.features],
    image_shape: d.shape,
    standardization: c.standardization,
    class_names: d.classNames,
    feature_names: d.featureNames,
    target_names: d.targetNames,
    target_standardization: c.targetStandardization,
    architecture: c.model,
  };
  const out: Record<string, string> = { format: "pt" };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = JSON.stringify(v);
  return out;
}
