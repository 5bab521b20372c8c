/**
 * `weft predict --model <dir> --input <file>`: the predicted class of each input row, one per
 * line (with --json: `{"row", "class", "confidence"}` lines). Raw inputs are standardised with
 * the run's saved mean and std first, as in training.
 */
import { resolve } from "node:path";
import { applyStandardization } from "./data/index.js";
import { readPredictInput } from "./predict-input.js";
import { classify, loadRunModel } from "./saved-model.js";

export interface PredictRequest {
  model: string;
  input: string;
  json: boolean;
}

export async function predict(req: PredictRequest, out: { write(s: string): unknown }, cwd = process.cwd()): Promise<Int32Array> {
  const { config, model, sampleShape } = await loadRunModel(resolve(cwd, req.model));
  const features = config.data.features;
  const input = readPredictInput(resolve(cwd, req.input), features);
  applyStandardization(config.standardization, { x: input.x, y: new Int32Array(input.rows), n: input.rows, features, classes: config.data.classes, source: req.input });
  const { classes, confidence } = classify(model, input.x, input.rows, sampleShape);
  const lines: string[] = [];
  for (let i = 0; i < input.rows; i++) {
    lines.push(req.json ? JSON.stringify({ row: i, class: classes[i], confidence: Number(confidence[i]!.toFixed(6)) }) : String(classes[i]));
  }
  out.write(lines.length ? `${lines.join("\n")}\n` : "");
  return classes;
}
