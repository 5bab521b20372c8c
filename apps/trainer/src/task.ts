/**
 * What a run learns, one entry a task: the loss the engine minimises, the model's output width
 * and the figures an epoch reports besides the losses. `--task` picks one of {@link TASKS}' keys;
 * adding a task is an entry here, and its data and figures where they differ (data-source.ts,
 * train.ts's epoch and test figures, eval.ts, predict.ts).
 */
import type { LossSpec } from "@weft/parallel";
import type { RegressionMetrics } from "./regression-metrics.js";

/** A split's figures: the loss and accuracy (classification) or rmse, mae, r2 (regression). */
export type TestFigures = { loss: number } & ({ accuracy: number } | RegressionMetrics);

export interface TaskDef {
  /** The loss (PyTorch's name; the mean over rows). */
  loss: LossSpec;
  /** How reports name the loss. */
  lossName: string;
  /** Epoch figures beside trainLoss and valLoss (each a finite number in every epoch line). */
  metricKeys: readonly string[];
}

export const TASKS = {
  classification: { loss: { type: "crossEntropyLoss" }, lossName: "cross-entropy", metricKeys: ["valAccuracy"] },
  // MSE of the standardised targets; rmse, mae and r2 in the targets' own units, on the validation split.
  regression: { loss: { type: "mseLoss" }, lossName: "MSE, standardised targets", metricKeys: ["rmse", "mae", "r2"] },
} as const satisfies Record<string, TaskDef>;

/** `--task`'s values: the table's keys. */
export type TaskName = keyof typeof TASKS;
export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

/** Width of the model's output layer: one logit a class, or one value a regression target. */
export function outputWidth(task: TaskName, data: { classes: number; targetNames?: readonly string[] }): number {
  return task === "regression" ? data.targetNames!.length : data.classes;
}

/** `accuracy 97.30%` or `rmse 1.234, mae 0.9512, r² 0.9120`: a split's figures without its loss. */
export function describeFigures(t: TestFigures): string {
  if ("accuracy" in t) return `accuracy ${(100 * t.accuracy).toFixed(2)}%`;
  return `rmse ${t.rmse.toPrecision(4)}, mae ${t.mae.toPrecision(4)}, r² ${t.r2.toFixed(4)}`;
}
