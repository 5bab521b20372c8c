/**
 * `weft eval --model <dir> [--data …] [--split test|val|train|all]`: loss and accuracy of a
 * saved run on a split. The run's own data is split again exactly as in training (same seed
 * and sizes), so `--split test` is the run's test set; other data defaults to all its rows.
 * Inputs are standardised with the run's saved mean and std.
 */
import { resolve } from "node:path";
import { applyStandardization, type Dataset } from "./data/index.js";
import { absoluteDataPaths, loadSource, splitRows } from "./data-source.js";
import { UsageError } from "./errors.js";
import type { Reporter } from "./progress.js";
import { evaluateRows, loadRunModel } from "./saved-model.js";

export type SplitName = "train" | "val" | "test" | "all";

export interface EvalRequest {
  model: string;
  data: string | null;
  split: SplitName | null;
}

export async function evaluate(req: EvalRequest, reporter: Reporter, cwd = process.cwd()): Promise<{ loss: number; accuracy: number; rows: number }> {
  const dir = resolve(cwd, req.model);
  const { config, model, sampleShape, loss } = await loadRunModel(dir);
  const data = req.data ? absoluteDataPaths(req.data, cwd) : config.options.data;
  const own = data === config.options.data;
  const split = req.split ?? (own ? "test" : "all");
  const ds = loadSource(data);
  checkCompatible(ds, config.data.features, config.data.classes, data);
  let part: Dataset = ds;
  if (split !== "all") part = splitRows(ds, config.options.splits, config.options.seed)[split];
  if (part.n === 0) throw new UsageError(`--split ${split} of ${data} is empty`);
  applyStandardization(config.standardization, part);
  const r = evaluateRows(model, part.x, part.y, part.n, sampleShape, loss);
  const name = split === "all" ? "all rows" : `${split} split`;
  reporter.result("eval", `${name} of ${data} (${part.n.toLocaleString("en-US")} rows): accuracy ${(100 * r.accuracy).toFixed(2)}%, loss ${r.loss.toFixed(4)}`, {
    split, data, rows: part.n, loss: r.loss, accuracy: r.accuracy,
  });
  return { ...r, rows: part.n };
}

function checkCompatible(ds: Dataset, features: number, classes: number, data: string): void {
  if (ds.features !== features) throw new UsageError(`--data ${data} has ${ds.features} features per row, but the model takes ${features}`);
  for (let i = 0; i < ds.n; i++) {
    if (ds.y[i]! >= classes) throw new UsageError(`--data ${data}: row ${i} has label ${ds.y[i]}, but the model knows classes 0..${classes - 1}`);
  }
}
