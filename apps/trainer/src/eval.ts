/**
 * `weft eval --model <dir> [--data …] [--split test|val|train|all]`: loss and accuracy of a
 * saved run on a split. The run's own data is split again exactly as in training (same seed
 * and sizes), so `--split test` is the run's test set; other data defaults to all its rows.
 * Inputs are standardised with the run's saved mean and std.
 */
import { resolve } from "node:path";
import type { Module } from "@weft/layers";
import { applyStandardization, type Dataset, type Standardization } from "./data/index.js";
import { absoluteDataPaths, loadSource, splitRows } from "./data-source.js";
import { UsageError } from "./errors.js";
import type { Reporter } from "./progress.js";
import { plural } from "./plural.js";
import { regressionMetrics, unstandardizeTargets, type RegressionMetrics } from "./regression-metrics.js";
import type { RunConfig } from "./run-config.js";
import { evaluateRows, forwardRows, loadRunModel } from "./saved-model.js";
import { describeFigures, type TestFigures } from "./task.js";

export type SplitName = "train" | "val" | "test" | "all";

export interface EvalRequest {
  model: string;
  data: string | null;
  split: SplitName | null;
}

export async function evaluate(req: EvalRequest, reporter: Reporter, cwd = process.cwd()): Promise<{ loss: number; rows: number } & ({ accuracy: number } | RegressionMetrics)> {
  const dir = resolve(cwd, req.model);
  const { config, model, sampleShape, loss } = await loadRunModel(dir);
  const data = req.data ? absoluteDataPaths(req.data, cwd) : config.options.data;
  const own = data === config.options.data;
  const split = req.split ?? (own ? "test" : "all");
  const ds = loadSource(data, { ...config.options, classNames: config.data.classNames });
  checkCompatible(ds, config, data);
  let part: Dataset = ds;
  if (split !== "all") part = splitRows(ds, config.options.splits, config.options.seed)[split];
  if (part.n === 0) throw new UsageError(`--split ${split} of ${data} is empty`);
  applyStandardization(config.standardization, part);
  const r: TestFigures = config.options.task === "regression" ? regressionRows(model, part, config.targetStandardization!, sampleShape) : evaluateRows(model, part.x, part.y, part.n, sampleShape, loss);
  const name = split === "all" ? "all rows" : `${split} split`;
  reporter.result("eval", `${name} of ${data} (${plural(part.n, "row")}): ${describeFigures(r)}, loss ${r.loss.toFixed(4)}`, { split, data, rows: part.n, ...r });
  return { ...r, rows: part.n };
}

/** rmse, mae, r2 in the targets' units, and the loss as in training (MSE of the standardised targets). */
function regressionRows(model: Module, part: Dataset, stats: Standardization, sampleShape: readonly number[]): TestFigures {
  const w = part.targetNames!.length;
  const pred = forwardRows(model, part.x, part.n, sampleShape);
  const mean = stats.mean as number[];
  const std = stats.std as number[];
  let se = 0;
  for (let i = 0; i < pred.length; i++) se += (pred[i]! - (part.targets![i]! - mean[i % w]!) / std[i % w]!) ** 2;
  return { loss: se / pred.length, ...regressionMetrics(unstandardizeTargets(pred, stats), part.targets!.subarray(0, part.n * w), w) };
}

function checkCompatible(ds: Dataset, config: RunConfig, data: string): void {
  const { features, classes, targetNames } = config.data;
  if (ds.features !== features) throw new UsageError(`--data ${data} has ${plural(ds.features, "feature")} per row, but the model takes ${features}`);
  if (targetNames) {
    if (ds.targetNames?.length !== targetNames.length) throw new UsageError(`--data ${data} has ${plural(ds.targetNames?.length ?? 0, "target")}, but the model predicts ${targetNames.length} (${targetNames.join(", ")})`);
    return;
  }
  for (let i = 0; i < ds.n; i++) {
    if (ds.y[i]! >= classes) throw new UsageError(`--data ${data}: row ${i} has label ${ds.y[i]}, but the model knows classes 0..${classes - 1}`);
  }
}
