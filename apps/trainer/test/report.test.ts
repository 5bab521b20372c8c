import { describe, expect, it } from "vitest";
import { renderReport } from "../src/report.js";
import { buildRunConfig } from "../src/run-config.js";
import type { TrainOptions } from "../src/config.js";
import type { EpochMetrics } from "../src/train.js";

const options: TrainOptions = {
  data: "mnist", splits: [0.8, 0.1, 0.1], epochs: 3, batchSize: 128, workers: 2, lr: 1e-3, optimizer: "adam", momentum: 0, weightDecay: 0,
  l1: 0, hidden: [256, 128], activation: "relu", norm: "batch", dropout: 0, init: "default", lrSchedule: "none", earlyStopping: null, augment: false, seed: 0,
  task: "classification", labelColumn: null, impute: "none",
};
const config = buildRunConfig(options, {
  x: new Float32Array(0), y: new Int32Array(0), features: 784, classes: 10, shape: [28, 28], rows: { train: 8000, val: 1000, test: 1000 },
  standardization: { mean: 0.13, std: 0.31 }, source: "mnist",
});
const metrics: EpochMetrics[] = [1, 2, 3].map((epoch) => ({
  epoch, trainLoss: 1 / epoch, valLoss: 1.2 / epoch, valAccuracy: 0.9 + epoch / 100, samplesPerSec: 2000, seconds: 4, lr: 1e-3,
  gradNorms: { "0.Linear": 0.5 / epoch, "1.BatchNorm1d": 0.02, "3.Linear": 0.3, "4.BatchNorm1d": 0.01, "6.Linear": 1e-4 },
}));

describe("report.html", () => {
  it("is one self-contained page with loss, accuracy and per-layer gradient-norm charts as inline SVG", () => {
    const html = renderReport(config, metrics, { loss: 0.1, accuracy: 0.97 });
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html.match(/<svg[\s\S]*?<\/svg>/g)).toHaveLength(3);
    expect(html).toContain("Loss (cross-entropy)");
    expect(html).toContain("Validation accuracy");
    expect(html).toContain("Gradient norm per layer");
    for (const label of ["0 Linear 784→256", "1 BatchNorm1d 256", "6 Linear 128→10"]) expect(html).toContain(label);
    expect(html).toContain("accuracy 97.00%");
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  it("draws a run of one epoch (and one still in progress) without NaN coordinates", () => {
    const html = renderReport(config, metrics.slice(0, 1), null);
    expect(html).toContain("not yet");
    expect(html).not.toMatch(/NaN|Infinity/);
  });
});
