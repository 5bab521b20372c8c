/**
 * report.html: one self-contained page (no scripts, no external files) with the run's loss
 * curves, validation accuracy (regression: rmse and mae), samples/s per epoch, per-layer gradient
 * norms per epoch on a log scale — where vanishing or exploding gradients show as lines falling or
 * climbing decades apart — and, once the run is tested, the test split's confusion matrix with
 * per-class accuracy and (image data) a grid of misclassified test images, inline PNG.
 */
import { layerLabels } from "./model.js";
import { describeModelFile, isModelFile } from "./model-file.js";
import { grayPng } from "./png.js";
import type { RunConfig } from "./run-config.js";
import { escapeXml, lineChart } from "./svg-chart.js";
import { TASKS, describeFigures, type TestFigures } from "./task.js";
import type { EpochMetrics } from "./train.js";

/** What the test split's predictions show (classification). */
export interface TestDetails {
  /** `confusion[t][p]`: test rows of true class t predicted as class p (classification). */
  confusion?: number[][];
  /** Regression: each target's test values and predictions, in the targets' units (a scatter per target, up to {@link MAX_SCATTERS}). */
  predictions?: { name: string; truth: Float32Array; predicted: Float32Array }[];
  /** Up to {@link MAX_MISCLASSIFIED} misclassified test images (image data): raw pixels in [0, 1], `[h, w]` of `config.data.shape`. */
  misclassified?: { pixels: Float32Array; truth: number; predicted: number }[];
}

export const MAX_MISCLASSIFIED = 32;
const MAX_SCATTERS = 4;
/** Above this many classes the matrix is left out (unreadable); per-class accuracy stays. */
const MATRIX_CLASSES = 30;

export function renderReport(config: RunConfig, metrics: readonly EpochMetrics[], test: TestFigures | null, details?: TestDetails): string {
  const at = (f: (m: EpochMetrics) => number): [number, number][] => metrics.map((m) => [m.epoch, f(m)]);
  const loss = lineChart(
    [
      { name: "train loss", points: at((m) => m.trainLoss) },
      { name: "validation loss", points: at((m) => m.valLoss) },
    ],
    { title: `Loss (${TASKS[config.options.task].lossName})`, xLabel: "epoch", yLabel: "loss" },
  );
  const regression = config.options.task === "regression";
  const accuracy = regression
    ? lineChart([{ name: "validation RMSE", points: at((m) => m.rmse ?? Number.NaN) }, { name: "validation MAE", points: at((m) => m.mae ?? Number.NaN) }], {
        title: "Validation error (the targets' units)",
        xLabel: "epoch",
        yLabel: "error",
      })
    : lineChart([{ name: "validation accuracy", points: at((m) => m.valAccuracy ?? Number.NaN) }], {
        title: "Validation accuracy",
        xLabel: "epoch",
        yLabel: "accuracy",
        yRange: [Math.min(0.9, ...metrics.map((m) => Math.floor((m.valAccuracy ?? 1) * 10) / 10)), 1],
      });
  const speed = lineChart([{ name: "samples/s", points: at((m) => m.samplesPerSec) }], { title: "Training throughput", xLabel: "epoch", yLabel: "samples/s" });
  const labels = isModelFile(config.model) ? [] : layerLabels(config.model);
  const keys = [...new Set(metrics.flatMap((m) => Object.keys(m.gradNorms)))];
  const grads = lineChart(
    keys.map((k) => ({ name: (labels.length ? labels[Number(k.split(".")[0])] : undefined) ?? k, points: at((m) => m.gradNorms[k] ?? Number.NaN) })),
    { title: "Gradient norm per layer (mean of ~10 steps sampled per epoch)", xLabel: "epoch", yLabel: "‖∇‖₂ (log scale)", logY: true },
  );
  const o = config.options;
  const rows: [string, string][] = [
    ["data", `${config.data.source}: ${config.data.rows.train} train / ${config.data.rows.val} val / ${config.data.rows.test} test`],
    ["task", regression ? `regression of ${config.data.targetNames!.join(", ")}` : `classification, ${config.data.classes} classes${config.data.classNames ? ` (${config.data.classNames.join(", ")})` : ""}`],
    ["standardisation", describeStandardization(config.standardization)],
    ["model", isModelFile(config.model) ? `${describeModelFile(config.model)}: ${config.model.file}` : labels.join(", ")],
    ["optimizer", describeOptimizer(config)],
    ["batch / epochs / workers / seed", `${o.batchSize} / ${o.epochs} / ${o.workers} / ${o.seed}`],
    ["epochs run", String(metrics.length)],
    ["test", test ? `${describeFigures(test)}, loss ${test.loss.toFixed(4)}` : "(not yet: the run is in progress or was interrupted)"],
  ];
  const table = rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join("\n");
  const className = (k: number) => config.data.classNames?.[k] ?? String(k);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>weft run report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { text-align: left; padding: 0.2em 1em 0.2em 0; vertical-align: top; }
th { font-weight: 600; }
figure { margin: 0 0 1.5em 0; }
svg { max-width: 100%; height: auto; font-family: system-ui, sans-serif; }
table.confusion td, table.confusion th { text-align: right; padding: 0.15em 0.5em; border: 1px solid #ddd; font-variant-numeric: tabular-nums; }
.grid { display: flex; flex-wrap: wrap; gap: 0.75em; }
.grid figure { margin: 0; text-align: center; font-size: 0.8em; }
.grid img { width: 56px; height: 56px; image-rendering: pixelated; border: 1px solid #ccc; display: block; margin: 0 auto 0.2em; }
</style>
</head>
<body>
<h1>weft run report</h1>
<table>
${table}
</table>
<figure>${loss}</figure>
<figure>${accuracy}</figure>
<figure>${speed}</figure>
<figure>${grads}</figure>
${details?.confusion ? confusionSection(details.confusion, className) : ""}${details?.predictions ? scatterSection(details.predictions) : ""}${details?.misclassified && config.data.shape ? misclassifiedSection(details.misclassified, config.data.shape, className) : ""}</body>
</html>
`;
}

/** The confusion matrix (rows: true class, columns: predicted; shaded by the row's share) and each class's accuracy (recall). */
function confusionSection(confusion: number[][], name: (k: number) => string): string {
  const k = confusion.length;
  const totals = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const accuracy = confusion.map((row, t) => (totals[t]! > 0 ? row[t]! / totals[t]! : Number.NaN));
  const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : "–");
  const perClass = `<table class="confusion per-class">
<tr><th>class</th><th>test rows</th><th>accuracy</th></tr>
${confusion.map((_, t) => `<tr><th>${escapeXml(name(t))}</th><td>${totals[t]}</td><td>${pct(accuracy[t]!)}</td></tr>`).join("\n")}
</table>`;
  if (k > MATRIX_CLASSES) return `<h2>Test split: per-class accuracy</h2>\n<p>(${k} classes: the confusion matrix is left out)</p>\n${perClass}\n`;
  const cell = (v: number, t: number, p: number) => {
    const share = totals[t]! > 0 ? v / totals[t]! : 0;
    const bg = p === t ? `rgba(0, 114, 178, ${share.toFixed(3)})` : `rgba(213, 94, 0, ${share.toFixed(3)})`;
    return `<td style="background: ${bg}${share > 0.5 ? "; color: #fff" : ""}">${v}</td>`;
  };
  const matrix = `<table class="confusion matrix">
<tr><th>true ↓ / predicted →</th>${confusion.map((_, p) => `<th>${escapeXml(name(p))}</th>`).join("")}<th>accuracy</th></tr>
${confusion.map((row, t) => `<tr><th>${escapeXml(name(t))}</th>${row.map((v, p) => cell(v, t, p)).join("")}<td>${pct(accuracy[t]!)}</td></tr>`).join("\n")}
</table>`;
  return `<h2>Test split: confusion matrix and per-class accuracy</h2>\n${matrix}\n`;
}

/** Predicted against true test values, one scatter a target, with the line y = x a perfect model would sit on. */
function scatterSection(targets: NonNullable<TestDetails["predictions"]>): string {
  const charts = targets.slice(0, MAX_SCATTERS).map(({ name, truth, predicted }) => {
    const points = Array.from(truth, (t, i): [number, number] => [t, predicted[i]!]);
    let [lo, hi] = [Infinity, -Infinity];
    for (const [t, p] of points) [lo, hi] = [Math.min(lo, t, p), Math.max(hi, t, p)];
    const series = [{ name: "test rows", points }, { name: "y = x (perfect)", points: [[lo, lo], [hi, hi]] as [number, number][] }];
    return `<figure>${lineChart(series, { title: `Test split: predicted vs true ${name}`, xLabel: `true ${name}`, yLabel: `predicted ${name}`, dotsOnly: ["test rows"], yRange: [lo, hi] })}</figure>`;
  });
  return `<h2>Test split: predictions</h2>\n${charts.join("\n")}\n`;
}

function misclassifiedSection(images: NonNullable<TestDetails["misclassified"]>, [h, w]: [number, number], name: (k: number) => string): string {
  if (images.length === 0) return "<h2>Misclassified test images</h2>\n<p>none: every test image was classified correctly</p>\n";
  const cells = images.map((im) => {
    const src = `data:image/png;base64,${grayPng(im.pixels, h, w).toString("base64")}`;
    return `<figure><img src="${src}" alt="true ${escapeXml(name(im.truth))}, predicted ${escapeXml(name(im.predicted))}"><figcaption>true ${escapeXml(name(im.truth))} → ${escapeXml(name(im.predicted))}</figcaption></figure>`;
  });
  return `<h2>Misclassified test images (the first ${images.length})</h2>\n<div class="grid">\n${cells.join("\n")}\n</div>\n`;
}

/** `Adam: lr 0.001, weight decay 0; lr schedule cosine (PyTorch's defaults otherwise)`. */
function describeOptimizer(config: RunConfig): string {
  const words = (k: string) => k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
  const settings = Object.entries(config.optimizer.config ?? {}).map(([k, v]) => `${words(k)} ${typeof v === "number" ? String(v) : JSON.stringify(v)}`);
  return `${config.optimizer.type}: ${settings.join(", ")}; lr schedule ${config.options.lrSchedule} (PyTorch's defaults otherwise)`;
}

/** `mean 0.130660; std 0.308108`, or per feature: `per feature (3): mean 49.0, 5.02e+4, 0.495; std …`. */
function describeStandardization(st: RunConfig["standardization"]): string {
  const show = (v: number | number[]) => (typeof v === "number" ? v.toPrecision(6) : v.slice(0, 8).map((x) => x.toPrecision(3)).join(", ") + (v.length > 8 ? ", …" : ""));
  const head = typeof st.mean === "number" ? "" : `per feature (${st.mean.length}): `;
  return `${head}mean ${show(st.mean)}; std ${show(st.std)}`;
}
