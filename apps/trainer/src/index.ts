/**
 * @weft/trainer: the `weft` CLI (dist/cli.js) and its parts, usable from code: the training
 * loop, evaluation and prediction of saved runs, the option table, the report and the data loaders.
 */
export { train, batchPlan } from "./train.js";
export type { TrainResult, EpochMetrics } from "./train.js";
export { evaluate } from "./eval.js";
export type { EvalRequest, SplitName } from "./eval.js";
export { predict } from "./predict.js";
export type { PredictRequest } from "./predict.js";
export { loadRunModel, classify, evaluateRows, forwardRows } from "./saved-model.js";
export { resolveTrainConfig, TRAIN_FLAGS } from "./config.js";
export type { TrainOptions, RunFlags, OptimizerName, ActivationName, NormName, InitName, TaskName, ImputeName } from "./config.js";
export { TASKS, outputWidth } from "./task.js";
export type { TaskDef, TestFigures } from "./task.js";
export { regressionMetrics, unstandardizeTargets } from "./regression-metrics.js";
export type { RegressionMetrics } from "./regression-metrics.js";
export { createReporter } from "./progress.js";
export type { Reporter, EpochLine } from "./progress.js";
export { modelSpec, initialState, describeModel } from "./model.js";
export { buildRunConfig, modelMetadata } from "./run-config.js";
export type { RunConfig } from "./run-config.js";
export { saveCheckpoint, loadCheckpoint } from "./checkpoint.js";
export type { Checkpoint, CheckpointExpectations } from "./checkpoint.js";
export { lrAt, parseLrSchedule } from "./lr-schedule.js";
export { renderReport } from "./report.js";
export type { TestDetails } from "./report.js";
export { UsageError, RunError } from "./errors.js";
export * from "./data/index.js";
export { main } from "./main.js";
