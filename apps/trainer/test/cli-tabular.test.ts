// Tabular data as users bring it, end to end through the CLI on small CSVs written here: features
// on scales 1e4 apart (standardised per column), a named label column of strings, CRLF line ends
// and quoted fields, missing values, and regression.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { requireBuild, weftHere } from "./cli-helpers.js";

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

const SMALL_TAB = ["--splits", "400,100,100", "--hidden", "16", "--workers", "1", "--batch-size", "40", "--epochs", "8", "--lr", "0.01", "--norm", "none"];

function testLine(stdout: string): Record<string, any> {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

describe("per-feature standardisation of CSV features", () => {
  it("learns from columns on scales 1e4 apart, and records one mean and std per column", async () => {
    requireBuild();
    const csv = join(root, "loans-numeric.csv");
    writeFileSync(csv, ["label,age,income,debt_ratio", ...loans(600).map((r) => `${r.approved ? 1 : 0},${r.age},${r.income},${r.debt}`)].join("\n") + "\n");
    const out = join(root, "numeric");
    const r = await weftHere(["train", "--data", `csv:${csv}`, ...SMALL_TAB, "--out", out, "--json"]);
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
