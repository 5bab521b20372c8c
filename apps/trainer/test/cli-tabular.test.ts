// Tabular data as users bring it, end to end through the CLI on small CSVs written here: features
// on scales 1e4 apart (standardised per column), a named label column of strings, CRLF line ends
// and quoted fields, missing values, and regression.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readSafetensorsFile } from "@weft/tensor";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCsv, splitDataset, standardize } from "../src/data/index.js";
import { requireBuild, tinyCsv, weftHere } from "./cli-helpers.js";

const root = mkdtempSync(join(tmpdir(), "weft-tabular-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A seeded stream in [0, 1) (a 32-bit LCG: the data must not depend on the code under test). */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/**
 * Loan applications: age 18–80, income ≈ 5e4, a 0–1 debt ratio; approved when the debt ratio is
 * low and the income high enough. The ratio's scale is 1e-5 of the income's: one scalar mean/std
 * for every column would flatten it to nothing.
 */
function loans(n: number, seed = 1): { age: number; income: number; debt: number; approved: boolean }[] {
  const u = uniform(seed);
  return Array.from({ length: n }, () => {
    const age = Math.round(18 + 62 * u());
    const income = Math.round(2e4 + 6e4 * u());
    const debt = Number(u().toFixed(3));
    return { age, income, debt, approved: debt < 0.45 + (income - 5e4) / 2e5 };
  });
}

const SMALL_TAB = ["--splits", "400,100,100", "--hidden", "16", "--workers", "1", "--batch-size", "40", "--lr", "0.01", "--norm", "none"];
const EIGHT = [...SMALL_TAB, "--epochs", "8"];

function testLine(stdout: string): Record<string, any> {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

describe("per-feature standardisation of CSV features", () => {
  it("learns from columns on scales 1e4 apart, and records one mean and std per column", async () => {
    requireBuild();
    const csv = join(root, "loans-numeric.csv");
    writeFileSync(csv, ["label,age,income,debt_ratio", ...loans(600).map((r) => `${r.approved ? 1 : 0},${r.age},${r.income},${r.debt}`)].join("\n") + "\n");
    const out = join(root, "numeric");
    const r = await weftHere(["train", "--data", `csv:${csv}`, ...EIGHT, "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(testLine(r.stdout).accuracy).toBeGreaterThan(0.9);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    expect(config.standardization.mean).toHaveLength(3);
    expect(config.standardization.mean[1]).toBeGreaterThan(4e4);
    expect(config.standardization.mean[2]).toBeLessThan(1);
    expect(config.standardization.std[0]).toBeGreaterThan(10);
    // eval applies the saved per-column statistics: the run's own test line again.
    const ev = await weftHere(["eval", "--model", out, "--json"]);
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).accuracy).toBeCloseTo(testLine(r.stdout).accuracy, 10);
    // predict on raw rows (label column included, as in training): the labels it learnt.
    const pred = await weftHere(["predict", "--model", out, "--input", csv]);
    expect(pred.code, pred.stderr).toBe(0);
    const labels = readFileSync(csv, "utf8").trim().split("\n").slice(1).map((l) => Number(l.split(",")[0]));
    const got = pred.stdout.trim().split("\n").map(Number);
    expect(got.filter((c, i) => c === labels[i]).length / labels.length).toBeGreaterThan(0.9);
  });
});

/** The loans as users bring them: a header, CRLF line ends, quoted fields, the label as text in a named last column. */
function loanCsv(rows: ReturnType<typeof loans>, missing = false): string {
  const lines = ['"age","income","debt ratio","decision"'];
  rows.forEach((r, i) => {
    const income = missing && i % 37 === 5 ? "" : `"${r.income}"`;
    const debt = missing && i % 41 === 7 ? "NA" : String(r.debt);
    lines.push(`${r.age},${income},${debt},${r.approved ? '"approved"' : "denied"}`);
  });
  return `${lines.join("\r\n")}\r\n`;
}

describe("text class labels in a named column (a CRLF, quoted file)", () => {
  const csv = join(root, "loans.csv");
  const out = join(root, "loans");
  const data = loans(600, 2);
  beforeAll(() => writeFileSync(csv, loanCsv(data)));

  it("train maps the labels to classes, saves their names, and learns them", async () => {
    const r = await weftHere(["train", "--data", `csv:${csv}`, "--label-column", "decision", ...EIGHT, "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(testLine(r.stdout).accuracy).toBeGreaterThan(0.9);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    expect(config.data).toMatchObject({ classes: 2, classNames: ["approved", "denied"], featureNames: ["age", "income", "debt ratio"] });
    expect(config.options.labelColumn).toBe("decision");
    // model.safetensors carries what a PyTorch user needs, as JSON strings.
    const meta = readSafetensorsFile(join(out, "model.safetensors")).metadata;
    expect(meta.format).toBe("pt");
    expect(JSON.parse(meta.class_names!)).toEqual(["approved", "denied"]);
    expect(JSON.parse(meta.feature_names!)).toEqual(["age", "income", "debt ratio"]);
    expect(JSON.parse(meta.input_shape!)).toEqual([3]);
    expect(JSON.parse(meta.standardization!)).toEqual(config.standardization);
    expect(JSON.parse(meta.architecture!)).toEqual(config.model);
    expect(meta.task).toBe('"classification"');
  });

  it("predict prints the class names; an input CSV with a header is read by column name, in any order", async () => {
    const input = join(root, "applicants.csv");
    const fresh = loans(200, 3);
    writeFileSync(input, ['"debt ratio",age,extra,income', ...fresh.map((r) => `${r.debt},${r.age},x,"${r.income}"`)].join("\r\n") + "\r\n");
    const text = await weftHere(["predict", "--model", out, "--input", input]);
    expect(text.code, text.stderr).toBe(0);
    const names = text.stdout.trim().split("\n");
    expect(new Set(names)).toEqual(new Set(["approved", "denied"]));
    expect(names.filter((n, i) => (n === "approved") === fresh[i]!.approved).length / fresh.length).toBeGreaterThan(0.9);
    const json = await weftHere(["predict", "--model", out, "--input", input, "--json"]);
    const first = JSON.parse(json.stdout.split("\n")[0]!);
    expect(first).toMatchObject({ row: 0, label: names[0] });
    expect(first.class).toBe(names[0] === "approved" ? 0 : 1);
    // A header without one of the model's features is named.
    const partial = join(root, "partial.csv");
    writeFileSync(partial, "age,debt ratio\n40,0.2\n");
    const refused = await weftHere(["predict", "--model", out, "--input", partial]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/partial\.csv: line 1: no column named "income": the model takes the features "age", "income", "debt ratio"/);
    // The training file itself (its label column dropped by name) gives the same kind of answer.
    const own = await weftHere(["predict", "--model", out, "--input", csv]);
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout.trim().split("\n")).toHaveLength(600);
  });

  it("eval maps the labels with the run's names and reproduces the test line", async () => {
    const ev = await weftHere(["eval", "--model", out, "--json"]);
    expect(ev.code, ev.stderr).toBe(0);
    const test = JSON.parse(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").at(-1)!);
    expect(JSON.parse(ev.stdout).accuracy).toBe(test.accuracy);
  });

  it("--label-column by index (−1: the last) reads the same file the same way", async () => {
    const r = await weftHere(["train", "--data", `csv:${csv}`, "--label-column", "-1", ...SMALL_TAB, "--epochs", "1", "--out", join(root, "by-index"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(root, "by-index", "config.json"), "utf8")).data.classNames).toEqual(["approved", "denied"]);
  });
});

describe("missing values", () => {
  const csv = join(root, "loans-missing.csv");
  beforeAll(() => writeFileSync(csv, loanCsv(loans(600, 4), true)));

  it("are an error naming the line and the column, with what to do", async () => {
    const r = await weftHere(["train", "--data", `csv:${csv}`, "--label-column", "decision", ...EIGHT, "--out", join(root, "refused")]);
    expect(r.code).toBe(2);
    // Row 5 (line 7 of the file: the header is line 1) has no income.
    expect(r.stderr).toMatch(/loans-missing\.csv: line 7: column "income" \(index 1\): \(empty\) is not a finite number \(a missing value: fill it in, or impute it: weft train --impute mean\)/);
  });

  it("--impute mean fills in the training split's column means, and the run learns", async () => {
    const out = join(root, "imputed");
    const r = await weftHere(["train", "--data", `csv:${csv}`, "--label-column", "decision", "--impute", "mean", ...EIGHT, "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(testLine(r.stdout).accuracy).toBeGreaterThan(0.85);
    const pred = await weftHere(["predict", "--model", out, "--input", csv]);
    expect(pred.code, pred.stderr).toBe(0);
  });
});

describe("--task regression", () => {
  const csv = join(root, "houses.csv");
  const out = join(root, "houses");
  /** Two targets in very different units from three features: price ≈ 3,000·sqm + 20,000·rooms, rent ≈ 12·sqm − 0.5·age. */
  function houses(n: number, seed: number) {
    const u = uniform(seed);
    return Array.from({ length: n }, () => {
      const sqm = 30 + 170 * u();
      const rooms = 1 + Math.floor(5 * u());
      const age = 80 * u();
      return { sqm, rooms, age, price: 3000 * sqm + 20000 * rooms + 5000 * (u() - 0.5), rent: 12 * sqm - 0.5 * age + 10 * (u() - 0.5) };
    });
  }
  const data = houses(600, 5);
  let trained: Awaited<ReturnType<typeof weftHere>>;
  beforeAll(() => {
    writeFileSync(csv, ["sqm,price,rooms,age,rent", ...data.map((h) => [h.sqm.toFixed(2), h.price.toFixed(0), h.rooms, h.age.toFixed(1), h.rent.toFixed(2)].join(","))].join("\r\n") + "\r\n");
  });

  it("trains on MSE of standardised targets and reports rmse, mae and r2 in the targets' units", async () => {
    trained = await weftHere(["train", "--data", `csv:${csv}`, "--task", "regression", "--label-column", "price,rent", ...SMALL_TAB, "--epochs", "20", "--out", out, "--json"]);
    expect(trained.code, trained.stderr).toBe(0);
    const events = trained.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ event: "start", task: "regression", targetNames: ["price", "rent"] });
    const epochs = events.filter((e) => e.event === "epoch");
    expect(epochs).toHaveLength(20);
    for (const e of epochs) for (const k of ["rmse", "mae", "r2"]) expect(Number.isFinite(e[k]), k).toBe(true);
    expect(epochs[0]).not.toHaveProperty("valAccuracy");
    const test = events.at(-1);
    expect(test).toMatchObject({ event: "test", split: "test" });
    expect(test.r2).toBeGreaterThan(0.9);
    // In the targets' units: the price's spread is ~1.5e5, so an rmse of a few thousand is a price error, not a standardised one.
    expect(test.rmse).toBeGreaterThan(10);
    expect(test.mae).toBeLessThan(test.rmse + 1e-9);
    const config = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    expect(config.loss).toEqual({ type: "mseLoss" });
    expect(config.data).toMatchObject({ classes: 0, targetNames: ["price", "rent"], featureNames: ["sqm", "rooms", "age"] });
    expect(config.targetStandardization.mean[0]).toBeGreaterThan(1e5);
    expect(config.model.at(-1)).toMatchObject({ type: "Linear", outFeatures: 2 });
    const meta = readSafetensorsFile(join(out, "model.safetensors")).metadata;
    expect(JSON.parse(meta.target_names!)).toEqual(["price", "rent"]);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("Test split: predicted vs true rent");
    expect(html.match(/<svg[^>]*aria-label="Test split: predicted vs true price"[\s\S]*?<\/svg>/)![0].match(/<circle/g)).toHaveLength(100 + 2);
    expect(JSON.parse(meta.target_standardization!)).toEqual(config.targetStandardization);
  });

  it("eval reproduces the test figures", async () => {
    const ev = await weftHere(["eval", "--model", out, "--json"]);
    expect(ev.code, ev.stderr).toBe(0);
    const got = JSON.parse(ev.stdout);
    const test = testLine(trained.stdout);
    for (const k of ["rmse", "mae", "r2", "loss"]) expect(got[k] / test[k], k).toBeCloseTo(1, 4);
    const text = await weftHere(["eval", "--model", out, "--split", "val"]);
    expect(text.stdout).toMatch(/^val split of csv:.*houses\.csv \(100 rows\): rmse \S+, mae \S+, r² \S+, loss \d\.\d{4}\n$/);
  });

  it("predict prints the targets in their own units", async () => {
    const input = join(root, "new-houses.csv");
    const fresh = houses(50, 6);
    writeFileSync(input, ["rooms,age,sqm", ...fresh.map((h) => `${h.rooms},${h.age},${h.sqm}`)].join("\n") + "\n");
    const text = await weftHere(["predict", "--model", out, "--input", input]);
    expect(text.code, text.stderr).toBe(0);
    const rows = text.stdout.trim().split("\n").map((l) => l.split(",").map(Number));
    const priceErr = rows.reduce((s, [p], i) => s + Math.abs(p! - fresh[i]!.price), 0) / rows.length;
    expect(priceErr).toBeLessThan(0.1 * 1.5e5);
    const json = await weftHere(["predict", "--model", out, "--input", input, "--json"]);
    expect(Object.keys(JSON.parse(json.stdout.split("\n")[0]!).prediction)).toEqual(["price", "rent"]);
  });

  it("--resume continues a regression run bit for bit (its checkpoints hold rmse, mae, r2)", async () => {
    const args = ["train", "--data", `csv:${csv}`, "--task", "regression", "--label-column", "price,rent", ...SMALL_TAB];
    const [whole, part] = [join(root, "whole"), join(root, "part")];
    expect((await weftHere([...args, "--epochs", "3", "--out", whole, "--json"])).code).toBe(0);
    expect((await weftHere([...args, "--epochs", "2", "--out", part, "--json"])).code).toBe(0);
    const resumed = await weftHere(["train", "--resume", part, "--epochs", "3", "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readFileSync(join(part, "model.safetensors")).equals(readFileSync(join(whole, "model.safetensors")))).toBe(true);
  });

  it("text output: epoch lines with rmse, mae and r²", async () => {
    const r = await weftHere(["train", "--data", `csv:${csv}`, "--task", "regression", "--label-column", "rent", ...SMALL_TAB, "--epochs", "1", "--out", join(root, "rent")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/epoch 1\/1 {2}train loss \d\.\d{4} {2}val loss \d\.\d{4} {2}val rmse \S+ {2}mae \S+ {2}r² -?\d\.\d{4} /);
    expect(r.stdout).toMatch(/1 target \(rent\)/);
    expect(r.stdout).toMatch(/test rmse \S+, mae \S+, r² \S+ \(loss/);
  });
});

describe("a run saved before these options existed", () => {
  it("loads for eval, predict and --resume: no task, label column or impute in its options, one scalar mean/std", async () => {
    const csv = join(root, "old.csv");
    writeFileSync(csv, tinyCsv(240, 6));
    const out = join(root, "old-run");
    const args = ["--data", `csv:${csv}`, "--splits", "180,30,30", "--hidden", "8", "--workers", "1", "--batch-size", "30"];
    expect((await weftHere(["train", ...args, "--epochs", "1", "--out", out, "--json"])).code).toBe(0);
    // What such a run wrote: the CSV standardised with one scalar over every feature, no names.
    const { train } = splitDataset(loadCsv(csv), { seed: 0, counts: { train: 180, val: 30, test: 30 } });
    const scalar = standardize(train);
    const path = join(out, "config.json");
    const config = JSON.parse(readFileSync(path, "utf8"));
    for (const k of ["task", "labelColumn", "impute"]) delete config.options[k];
    delete config.data.featureNames;
    config.standardization = scalar;
    writeFileSync(path, JSON.stringify(config));
    const ev = await weftHere(["eval", "--model", out, "--json"]);
    expect(ev.code, ev.stderr).toBe(0);
    const pred = await weftHere(["predict", "--model", out, "--input", csv]);
    expect(pred.code, pred.stderr).toBe(0);
    expect(pred.stdout.trim().split("\n")).toHaveLength(240);
    const resumed = await weftHere(["train", "--resume", out, "--epochs", "2", "--json"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = JSON.parse(readFileSync(path, "utf8"));
    expect(after.standardization).toEqual(scalar);
    expect(after.options).toMatchObject({ task: "classification", labelColumn: "0", impute: "none" });
  });
});
