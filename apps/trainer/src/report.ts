/**
 * report.html: one self-contained page (no scripts, no external files) with the run's loss
 * curves, validation accuracy, and per-layer gradient norms per epoch on a log scale — where
 * vanishing or exploding gradients show as lines falling or climbing decades apart.
 */
import { layerLabels } from "./model.js";
import { describeModelFile, isModelFile } from "./model-file.js";
import type { RunConfig } from "./run-config.js";
import { escapeXml, lineChart } from "./svg-chart.js";
import { TASKS, describeFigures, type TestFigures } from "./task.js";
import type { EpochMetrics } from "./train.js";

export function renderReport(config: RunConfig, metrics: readonly EpochMetrics[], test: TestFigures | null): string {
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
  const labels = isModelFile(config.model) ? [] : layerLabels(config.model);
  const keys = [...new Set(metrics.flatMap((m) => Object.keys(m.gradNorms)))];
  const grads = lineChart(
    keys.map((k) => ({ name: (labels.length ? labels[Number(k.split(".")[0])] : undefined) ?? k, points: at((m) => m.gradNorms[k] ?? Number.NaN) })),
    { title: "Gradient norm per layer (mean of ~10 steps sampled per epoch)", xLabel: "epoch", yLabel: "‖∇‖₂ (log scale)", logY: true },
  );
  const o = config.options;
  const rows: [string, string][] = [
    ["data", `${config.data.source}: ${config.data.rows.train} train / ${config.data.rows.val} val / ${config.data.rows.test} test`],
    ["standardisation", describeStandardization(config.standardization)],
    ["model", isModelFile(config.model) ? `${describeModelFile(config.model)}: ${config.model.file}` : labels.join(", ")],
    ["optimizer", `${config.optimizer.type} ${JSON.stringify(config.optimizer.config)}, schedule ${o.lrSchedule}`],
    ["batch / epochs / workers / seed", `${o.batchSize} / ${o.epochs} / ${o.workers} / ${o.seed}`],
    ["epochs run", String(metrics.length)],
    ["test", test ? `${describeFigures(test)}, loss ${test.loss.toFixed(4)}` : "(not yet: the run is in progress or was interrupted)"],
  ];
  const table = rows.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(v)}</td></tr>`).join("\n");
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
</style>
</head>
<body>
<h1>weft run report</h1>
<table>
${table}
</table>
<figure>${loss}</figure>
<figure>${accuracy}</figure>
<figure>${grads}</figure>
</body>
</html>
`;
}

/** `mean 0.130660, std 0.308108`, or per feature: `per feature (3): mean 49.0, 5.02e+4, 0.495; std …`. */
function describeStandardization(st: RunConfig["standardization"]): string {
  const show = (v: number | number[]) => (typeof v === "number" ? v.toPrecision(6) : v.slice(0, 8).map((x) => x.toPrecision(3)).join(", ") + (v.length > 8 ? ", …" : ""));
  const head = typeof st.mean === "number" ? "" : `per feature (${st.mean.length}): `;
  return `${head}mean ${show(st.mean)}; std ${show(st.std)}`;
}
