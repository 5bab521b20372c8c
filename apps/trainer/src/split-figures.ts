/**
 * Figures of a split that the engine does not compute, from the main thread's own copy of the
 * model (its weights from the engine's state dict, in eval mode): a regression's rmse, mae and r2
 * in the targets' units (the engine reports the standardised MSE only), and the report's views of
 * the test split — the confusion matrix and misclassified images, or each target's predictions.
 */
import type { Module } from "@weft/layers";
import type { Splits3 } from "./data-source.js";
import { regressionMetrics, unstandardizeTargets, type RegressionMetrics } from "./regression-metrics.js";
import { MAX_MISCLASSIFIED, type TestDetails } from "./report.js";
import type { TensorMap } from "./run-dir.js";
import { classify, forwardRows, modelWithState } from "./saved-model.js";

/** The run's network on the main thread (weights loaded per call) and the shape its samples are fed as. */
export interface MainNet {
  module: Module;
  sampleShape: readonly number[];
}

/**
 * The report's view of rows `[from, from + n)` under `state`: the confusion matrix and, for image
 * data, the first misclassified images (pixels back in their raw [0, 1] units).
 */
export function classificationDetails(net: MainNet, data: Splits3, state: TensorMap, from: number, n: number): TestDetails {
  const f = data.features;
  const x = data.x.subarray(from * f, (from + n) * f);
  const { classes: predicted } = classify(modelWithState(net.module, state), x, n, net.sampleShape);
  const k = data.classes;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const misclassified: NonNullable<TestDetails["misclassified"]> = [];
  const { mean, std } = data.standardization as { mean: number; std: number };
  for (let i = 0; i < n; i++) {
    const truth = data.y[from + i]!;
    const p = predicted[i]!;
    confusion[truth]![p]!++;
    if (data.shape && p !== truth && misclassified.length < MAX_MISCLASSIFIED) {
      misclassified.push({ pixels: Float32Array.from(x.subarray(i * f, (i + 1) * f), (v) => v * std + mean), truth, predicted: p });
    }
  }
  return { confusion, ...(data.shape ? { misclassified } : {}) };
}

/** Predictions for rows `[from, from + n)` under `state`, in the targets' units, and those rows' targets. */
export function predictTargets(net: MainNet, data: Splits3, state: TensorMap, from: number, n: number): { pred: Float32Array; truth: Float32Array; w: number } {
  const f = data.features;
  const w = data.targetNames!.length;
  const pred = forwardRows(modelWithState(net.module, state), data.x.subarray(from * f, (from + n) * f), n, net.sampleShape);
  return { pred: unstandardizeTargets(pred, data.targetStandardization!), truth: data.rawTargets!.subarray(from * w, (from + n) * w), w };
}

/**
 * rmse, mae and r2 (in the targets' units) of rows `[from, from + n)` under the weights `state`:
 * the engine reports the standardised MSE only, so the main thread predicts these rows itself.
 */
export function regressionFigures(net: MainNet, data: Splits3, state: TensorMap, from: number, n: number): RegressionMetrics {
  const { pred, truth, w } = predictTargets(net, data, state, from, n);
  return regressionMetrics(pred, truth, w);
}

/** The report's view of a regression's test rows: each target's true values and predictions. */
export function regressionDetails(net: MainNet, data: Splits3, state: TensorMap, from: number, n: number): TestDetails {
  const { pred, truth, w } = predictTargets(net, data, state, from, n);
  const column = (a: Float32Array, j: number) => Float32Array.from({ length: n }, (_, i) => a[i * w + j]!);
  return { predictions: data.targetNames!.map((name, j) => ({ name, truth: column(truth, j), predicted: column(pred, j) })) };
}
