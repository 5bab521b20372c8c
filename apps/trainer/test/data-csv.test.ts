import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataError, loadCsv } from "../src/data/index.js";

const dir = mkdtempSync(join(tmpdir(), "weft-csv-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function write(text: string): string {
  const path = join(dir, `${files++}.csv`);
  writeFileSync(path, text);
  return path;
}

/** Runs `fn`, expects a DataError naming `file` (and `line` when given); returns its message. */
function failure(fn: () => unknown, file: string, line?: number): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    const e = err as DataError;
    expect(e.file).toBe(file);
    expect(e.message).toContain(file);
    if (line !== undefined) {
      expect(e.line).toBe(line);
      expect(e.message).toContain(`line ${line}:`);
    }
    return e.message;
  }
  throw new Error("expected a DataError");
}

describe("loadCsv", () => {
  it("loads a headerless file with the label in column 0", () => {
    const ds = loadCsv(write("1,0.5,-2\n0,3,4.25\n2,1e-3,7\n"));
    expect(ds.n).toBe(3);
    expect(ds.features).toBe(2);
    expect(ds.classes).toBe(3);
    expect(Array.from(ds.y)).toEqual([1, 0, 2]);
    expect(Array.from(ds.x)).toEqual([0.5, -2, 3, 4.25, 0.001, 7].map(Math.fround));
    expect(ds.shape).toBeUndefined();
  });

  it("auto-detects a header and finds the label column by name, anywhere", () => {
    const path = write("a,b,species\r\n0.1,0.2,1\r\n0.3,0.4,0\r\n");
    const ds = loadCsv(path, { labelColumn: "species" });
    expect(Array.from(ds.y)).toEqual([1, 0]);
    expect(Array.from(ds.x)).toEqual([0.1, 0.2, 0.3, 0.4].map(Math.fround));
    // The same by index, with the header detected automatically; and −1 for the last column.
    expect(loadCsv(path, { labelColumn: 2 }).x).toEqual(ds.x);
    expect(loadCsv(path, { labelColumn: -1 }).y).toEqual(ds.y);
  });

  it("header: true / false override the detection; quoted names and a BOM are fine", () => {
    const numericHeader = write('\uFEFF"label","1","2"\n3,4,5\n');
    const ds = loadCsv(numericHeader, { header: true });
    expect(ds.n).toBe(1);
    expect(Array.from(ds.x)).toEqual([4, 5]);
    expect(loadCsv(numericHeader, { header: true, labelColumn: "label" }).y[0]).toBe(3);
    const data = write("1,2\n0,3\n");
    expect(loadCsv(data, { header: false }).n).toBe(2);
  });

  it("skips blank lines but keeps counting them in line numbers", () => {
    const path = write("y,x\n\n1,2\n   \n0,3\n\n");
    const ds = loadCsv(path);
    expect(ds.n).toBe(2);
    expect(ds.x.length).toBe(2);
    expect(Array.from(ds.y)).toEqual([1, 0]);
    const bad = write("y,x\n\n1,2\n\n0,oops\n");
    failure(() => loadCsv(bad), bad, 5);
  });

  it("parses every number exactly as Number() does (fast path and fallback)", () => {
    const values = ["0.1", "-0.7", "123456.789", "1e-7", "+2.5", "0.30000000000000004", " 4 ", '"5.5"', ".5", "7."];
    const path = write(`y,${values.map((_, i) => `f${i}`).join(",")}\n0,${values.join(",")}\n`);
    const ds = loadCsv(path);
    expect(Array.from(ds.x)).toEqual(values.map((v) => Math.fround(Number(v.replaceAll('"', "")))));
  });

  it("classes = max label + 1, or as given", () => {
    const path = write("4,1\n0,2\n");
    expect(loadCsv(path).classes).toBe(5);
    expect(loadCsv(path, { classes: 10 }).classes).toBe(10);
    failure(() => loadCsv(path, { classes: 3 }), path, 1);
  });

  it("rejects a ragged row: expected C columns, got D (short and long)", () => {
    const short = write("y,a,b\n1,2,3\n0,1\n");
    expect(failure(() => loadCsv(short), short, 3)).toContain("expected 3 columns, got 2");
    const long = write("1,2,3\n0,1,2,3,4\n");
    expect(failure(() => loadCsv(long), long, 2)).toContain("expected 3 columns, got 5");
  });

  it("rejects NaN, Infinity, empty and non-numeric features, naming the column", () => {
    const nan = write("y,a,b\n1,2,3\n0,NaN,1\n");
    expect(failure(() => loadCsv(nan), nan, 3)).toMatch(/column "a" \(index 1\): "NaN" is not a finite number/);
    const inf = write("1,2,3\n0,1,Infinity\n");
    expect(failure(() => loadCsv(inf), inf, 2)).toMatch(/column index 2: "Infinity" is not a finite number/);
    const huge = write("1,2,3\n0,1,1e999\n");
    failure(() => loadCsv(huge), huge, 2);
    const empty = write("1,2,3\n0,,3\n");
    expect(failure(() => loadCsv(empty), empty, 2)).toContain("(empty)");
    const text = write("1,2,3\n0,abc,3\n");
    expect(failure(() => loadCsv(text), text, 2)).toContain('"abc"');
    const hex = write("1,2,3\n0,0x10,3\n");
    failure(() => loadCsv(hex), hex, 2);
  });

  it("rejects values beyond float32's range at load (they became Infinity and the run 'diverged'), naming line and column", () => {
    const big = write("y,a,b\n1,2,3\n0,1e39,1\n");
    expect(failure(() => loadCsv(big), big, 3)).toMatch(/line 3: column "a" \(index 1\): "1e39" is beyond float32's range \(±3\.4028235e\+38\): rescale the column/);
    const negative = write("1,2,3\n0,1,-3.5e38\n");
    expect(failure(() => loadCsv(negative), negative, 2)).toMatch(/column index 2: "-3.5e38" is beyond float32's range/);
    // The largest float32 itself, and values that round to it, load; tiny ones flush to 0 as in PyTorch.
    const edge = loadCsv(write("1,3.4028235e38,1e-50\n0,-3.4028234e38,0\n"));
    expect(Array.from(edge.x)).toEqual([3.4028234663852886e38, 0, -3.4028234663852886e38, 0]);
  });

  it("a first row of data with a NaN is an error, not a header", () => {
    const path = write("3,NaN,0.5\n1,2,3\n");
    failure(() => loadCsv(path), path, 1);
  });

  it("rejects non-integer, negative and non-numeric labels", () => {
    const frac = write("label,x\n1,2\n2.5,3\n");
    expect(failure(() => loadCsv(frac), frac, 3)).toMatch(/label "2.5" in column "label" \(index 0\) is not a non-negative integer/);
    const neg = write("1,2\n-1,3\n");
    expect(failure(() => loadCsv(neg), neg, 2)).toContain('label "-1"');
    const big = write("1,2\n100000,3\n");
    expect(failure(() => loadCsv(big), big, 2)).toMatch(/out of range/);
  });

  it("rejects a bad label column, an empty file, a header with no rows and a lone column", () => {
    const path = write("a,b\n1,2\n");
    expect(failure(() => loadCsv(path, { labelColumn: "c" }), path)).toContain('no column named "c"');
    expect(failure(() => loadCsv(path, { labelColumn: 2 }), path)).toContain("2 columns");
    expect(failure(() => loadCsv(path, { labelColumn: "a", header: false }), path)).toContain("header is false");
    const empty = write("");
    expect(failure(() => loadCsv(empty), empty)).toMatch(/empty/);
    const blank = write("\n \n");
    expect(failure(() => loadCsv(blank), blank)).toMatch(/empty/);
    const headerOnly = write("y,x\n");
    expect(failure(() => loadCsv(headerOnly), headerOnly)).toMatch(/no data rows/);
    const lone = write("1\n2\n");
    expect(failure(() => loadCsv(lone), lone, 1)).toMatch(/at least one feature column/);
    const missing = join(dir, "missing.csv");
    expect(failure(() => loadCsv(missing), missing)).toMatch(/cannot read/);
  });

  it("maps text class labels to indices in sorted name order (CRLF, quoted fields with commas and escaped quotes)", () => {
    const path = write('age,"income, yearly",note,label\r\n34,"52,000",1,denied\r\n51,81000,"2",approved\r\n29,"40000",3,"denied"\r\n');
    // "52,000" is not a number: the field with a comma inside is one field, and it is text.
    expect(failure(() => loadCsv(path), path, 2)).toMatch(/column "income, yearly" \(index 1\): "52,000" is not a finite number/);
    const ok = write('age,"income, yearly",label\r\n34,"52000",denied\r\n51,81000,approved\r\n29,"4e4","denied"\r\n"40","1e5","say ""yes"""\r\n');
    const ds = loadCsv(ok);
    expect(ds.classNames).toEqual(["approved", "denied", 'say "yes"']);
    expect(Array.from(ds.y)).toEqual([1, 0, 1, 2]);
    expect(ds.classes).toBe(3);
    expect(ds.featureNames).toEqual(["age", "income, yearly"]);
    expect(Array.from(ds.x)).toEqual([34, 52000, 51, 81000, 29, 40000, 40, 100000]);
    // A run's own names map the labels (eval on new data); an unknown name is an error with its line.
    expect(Array.from(loadCsv(ok, { classNames: ["denied", "approved", 'say "yes"'] }).y)).toEqual([0, 1, 0, 2]);
    expect(failure(() => loadCsv(ok, { classNames: ["approved", "denied"] }), ok, 5)).toContain(`label ${JSON.stringify('say "yes"')} in column "label" (index 2) is not one of the model's classes ("approved", "denied")`);
  });

  it("defaults the label column to the one named label, else the first", () => {
    const named = loadCsv(write("a,label,b\n1,0,2\n3,1,4\n"));
    expect(Array.from(named.y)).toEqual([0, 1]);
    expect(Array.from(named.x)).toEqual([1, 2, 3, 4]);
    const first = loadCsv(write("y,a,b\n1,5,6\n0,7,8\n"));
    expect(Array.from(first.y)).toEqual([1, 0]);
  });

  it("names a missing feature value by line and column, or stores NaN to impute; a missing label is always an error", () => {
    const path = write("label,a,b\n0,1,2\n1,,3\n0,NA,?\n");
    expect(failure(() => loadCsv(path), path, 3)).toMatch(/line 3: column "a" \(index 1\): \(empty\) is not a finite number \(a missing value: fill it in, or impute it: weft train --impute mean\)/);
    const ds = loadCsv(path, { missing: "nan" });
    expect(Array.from(ds.x)).toEqual([1, 2, Number.NaN, 3, Number.NaN, Number.NaN]);
    const text = write("label,a\n0,1\n1,abc\n");
    expect(failure(() => loadCsv(text, { missing: "nan" }), text, 3)).toContain('"abc" is not a finite number');
    const noLabel = write("label,a\n0,1\n,2\n");
    expect(failure(() => loadCsv(noLabel, { missing: "nan" }), noLabel, 3)).toMatch(/missing label \(empty\)/);
  });

  it("regression: one or several float target columns, by name or index", () => {
    const path = write('sqft,price,rooms,rent\n50,1.5e5,2,900.5\n"80",2.5e5,3,"1200"\n');
    const ds = loadCsv(path, { task: "regression", labelColumn: ["price", -1] });
    expect(ds.targetNames).toEqual(["price", "rent"]);
    expect(Array.from(ds.targets!)).toEqual([1.5e5, 900.5, 2.5e5, 1200]);
    expect(Array.from(ds.x)).toEqual([50, 2, 80, 3]);
    expect(ds.featureNames).toEqual(["sqft", "rooms"]);
    expect(ds.classes).toBe(0);
    const words = write("x,y\n1,high\n");
    expect(failure(() => loadCsv(words, { task: "regression", labelColumn: "y" }), words, 2)).toMatch(/target "high" in column "y" \(index 1\) is not a finite number/);
    expect(failure(() => loadCsv(path, { labelColumn: ["price", "rent"] }), path)).toMatch(/classification takes one label column/);
  });

  it("can allocate into shared memory", () => {
    const ds = loadCsv(write("1,2\n0,3\n"), { shared: true });
    expect(ds.x.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ds.y.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
