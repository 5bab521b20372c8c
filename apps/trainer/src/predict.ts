/**
 * `weft predict --model <dir> --input <file>`: the predicted class of each input row, one per
 * line — its name when the labels were text (with --json: `{"row", "class", "label"?,
 * "confidence"}` lines); for regression the predicted targets in their own units (`{"row",
 * "prediction": {name: value}}`). Raw inputs are standardised with the run's saved statistics
 * first, as in training.
 */
import { resolve } from "node:path";
import { applyStandardization } from "./data/index.js";
import { readPredictInput } from "./predict-input.js";
import { unstandardizeTargets } from "./regression-metrics.js";
import { classify, forwardRows, loadRunModel } from "./saved-model.js";

export interface PredictRequest {
  model: string;
  input: string;
  json: boolean;
}

export async function predict(req: PredictRequest, out: { write(s: string): unknown }, cwd = process.cwd()): Promise<Float32Array | Int32Array> {
  const { config, model, sampleShape } = await loadRunModel(resolve(cwd, req.model));
  const { features, classNames, targetNames } = config.data;
  const input = readPredictInput(resolve(cwd, req.input), features, { featureNames: config.data.featureNames, labelColumn: config.options.labelColumn, missing: config.options.impute === "mean" });
  applyStandardization(config.standardization, { x: input.x, y: new Int32Array(input.rows), n: input.rows, features, classes: config.data.classes, source: req.input });
  const lines: string[] = [];
  if (targetNames) {
    // Regression: the predicted targets in their own units, comma-separated in the run's target order.
    const w = targetNames.length;
    const values = unstandardizeTargets(forwardRows(model, input.x, input.rows, sampleShape), config.targetStandardization!);
    for (let i = 0; i < input.rows; i++) {
      const row = Array.from(values.subarray(i * w, (i + 1) * w), (v) => Number(v.toPrecision(7)));
      lines.push(req.json ? JSON.stringify({ row: i, prediction: Object.fromEntries(targetNames.map((n, j) => [n, row[j]])) }) : row.join(","));
    }
    out.write(lines.length ? `${lines.join("\n")}\n` : "");
    return values;
  }
  const { classes, confidence } = classify(model, input.x, input.rows, sampleShape);
  for (let i = 0; i < input.rows; i++) {
    const k = classes[i]!;
    const name = classNames?.[k];
    lines.push(req.json ? JSON.stringify({ row: i, class: k, ...(name !== undefined ? { label: name } : {}), confidence: Number(confidence[i]!.toFixed(6)) }) : (name ?? String(k)));
  }
  out.write(lines.length ? `${lines.join("\n")}\n` : "");
  return classes;
}
