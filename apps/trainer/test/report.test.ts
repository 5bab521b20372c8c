import { inflateSync } from "node:zlib";
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
    expect(html.match(/<svg[\s\S]*?<\/svg>/g)).toHaveLength(4);
    expect(html).toContain("Training throughput");
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

/** Ten classes of test rows: row t has 90 right and 10 predicted as t + 1 (mod 10), except class 3, all right. */
const confusion = Array.from({ length: 10 }, (_, t) => Array.from({ length: 10 }, (_, p) => (t === 3 ? (p === t ? 100 : 0) : p === t ? 90 : p === (t + 1) % 10 ? 10 : 0)));
const digit = (v: number) => Float32Array.from({ length: 784 }, (_, i) => ((i % 28) + Math.floor(i / 28)) % 7 === v % 7 ? 1 : 0);
const misclassified = [{ pixels: digit(1), truth: 4, predicted: 9 }, { pixels: digit(2), truth: 7, predicted: 1 }];

describe("report.html: what people look at", () => {
  const html = renderReport(config, metrics, { loss: 0.1, accuracy: 0.91 }, { confusion, misclassified });

  it("has the test split's confusion matrix with per-class accuracy", () => {
    const matrix = html.match(/<table class="confusion matrix">[\s\S]*?<\/table>/)![0];
    expect(matrix.match(/<tr>/g)).toHaveLength(11); // the header row and one a class
    expect(matrix).toContain("true ↓ / predicted →");
    expect(matrix).toMatch(/<th>3<\/th>(<td[^>]*>0<\/td>){3}<td[^>]*>100<\/td>(<td[^>]*>0<\/td>){6}<td>100\.0%<\/td>/);
    expect(matrix).toMatch(/<th>0<\/th><td[^>]*>90<\/td><td[^>]*>10<\/td>/);
    expect(matrix.match(/<td>90\.0%<\/td>/g)).toHaveLength(9);
  });

  it("names text classes, and keeps only per-class accuracy for many classes", () => {
    const named = renderReport({ ...config, data: { ...config.data, classes: 2, classNames: ["approved", "denied"] } }, metrics, { loss: 0.2, accuracy: 0.9 }, { confusion: [[40, 5], [5, 50]] });
    expect(named).toMatch(/<th>approved<\/th><td[^>]*>40<\/td><td[^>]*>5<\/td><td>88\.9%<\/td>/);
    expect(named).not.toContain("<img");
    const many = Array.from({ length: 40 }, (_, t) => Array.from({ length: 40 }, (_, p) => (p === t ? 3 : 0)));
    const wide = renderReport(config, metrics, { loss: 0.2, accuracy: 1 }, { confusion: many });
    expect(wide).not.toContain('class="confusion matrix"');
    expect(wide.match(/<td>100\.0%<\/td>/g)).toHaveLength(40);
  });

  it("shows misclassified test images as inline PNGs with their true and predicted labels", () => {
    const imgs = [...html.matchAll(/<img src="data:image\/png;base64,([^"]+)" alt="([^"]+)">/g)];
    expect(imgs.map((m) => m[2])).toEqual(["true 4, predicted 9", "true 7, predicted 1"]);
    expect(html).toContain("true 4 → 9");
    const png = Buffer.from(imgs[0]![1]!, "base64");
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.toString("ascii", 12, 16)).toBe("IHDR");
    expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([28, 28, 8, 0]); // 28×28, 8-bit gray
    const inflated = inflateSync(png.subarray(41, 41 + png.readUInt32BE(33)));
    expect(inflated.length).toBe(28 * 29); // a filter byte and 28 pixels a row
    // Row 0 of digit(1): filter byte 0, then pixel x is white where x % 7 = 1.
    expect(Array.from(inflated.subarray(0, 10))).toEqual([0, 0, 255, 0, 0, 0, 0, 0, 0, 255]);
  });

  it("writes the optimiser as a readable line, not raw JSON", () => {
    expect(html).toContain("<th>optimizer</th><td>Adam: lr 0.001, weight decay 0; lr schedule none (PyTorch&#39;s defaults otherwise)</td>");
    expect(html).not.toMatch(/\{&#34;lr/);
  });

  it("puts every legend below its plot, clear of the lines", () => {
    for (const svg of html.match(/<svg[\s\S]*?<\/svg>/g)!) {
      const [, y, h] = svg.match(/<rect class="plot" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/)!.map(Number);
      const legends = [...svg.matchAll(/<rect class="legend" x="[\d.]+" y="([\d.]+)"/g)].map((m) => Number(m[1]));
      expect(legends.length).toBeGreaterThan(0);
      for (const ly of legends) expect(ly).toBeGreaterThan(y! + h! + 16); // below the axis and its tick labels
    }
  });
});

describe("report.html of a regression run", () => {
  const regConfig = {
    ...config,
    options: { ...config.options, data: "csv:houses.csv", task: "regression" as const },
    data: { ...config.data, classes: 0, shape: undefined, targetNames: ["price", "rent"] },
  };
  const regMetrics = metrics.map(({ valAccuracy: _, ...m }) => ({ ...m, rmse: 1000 / m.epoch, mae: 800 / m.epoch, r2: 1 - 0.1 / m.epoch }));
  const truth = Float32Array.from({ length: 50 }, (_, i) => 1e5 + 1e4 * i);
  const html = renderReport(regConfig, regMetrics, { loss: 0.05, rmse: 900, mae: 700, r2: 0.95 }, {
    predictions: [{ name: "price", truth, predicted: truth.map((t, i) => t + (i % 2 ? 5e3 : -5e3)) }, { name: "rent", truth: truth.map((t) => t / 100), predicted: truth.map((t) => t / 100) }],
  });

  it("charts the validation rmse and mae, and each target's predicted vs true test values", () => {
    expect(html).toContain("Loss (MSE, standardised targets)");
    expect(html).toContain("Validation error (the targets&#39; units)");
    expect(html).toContain("regression of price, rent");
    expect(html).toContain("rmse 900.0, mae 700.0, r² 0.9500, loss 0.0500");
    for (const name of ["price", "rent"]) expect(html).toContain(`Test split: predicted vs true ${name}`);
    const scatter = html.match(/<svg[^>]*aria-label="Test split: predicted vs true price"[\s\S]*?<\/svg>/)![0];
    expect(scatter.match(/<circle/g)).toHaveLength(50 + 2); // the test rows, and the y = x line's two ends
    expect(scatter.match(/<polyline/g)).toHaveLength(1); // only y = x is a line
    expect(html).not.toMatch(/NaN|Infinity|<table class="confusion/);
  });
});
