import { readFileSync } from "node:fs";
import { allocDataset, DataError, type AllocOptions, type Dataset } from "./dataset.js";
import { parseDecimalText, parseSimpleDecimal } from "./decimal.js";
import { plural } from "../plural.js";

export interface CsvOptions extends AllocOptions {
  /**
   * The label column: a 0-based index (negative counts from the end: −1 is the last column)
   * or a header name (which implies a header); with `task: "regression"`, a list of them (the
   * targets, in that order). Default: the column named `label` when there is a header with one,
   * else column 0.
   */
  labelColumn?: number | string | readonly (number | string)[];
  /**
   * Whether the first row holds column names. `"auto"` (default): it does when none of its
   * fields is a number (`label,x1,x2` is a header; `3,0.5,NaN` is data with a bad value).
   */
  header?: boolean | "auto";
  /** Number of classes; labels must be below it. Default: the largest label + 1. */
  classes?: number;
  /**
   * `"classification"` (default): one label column of class indices (non-negative integers)
   * or class names (any other text: `approved`, `denied`), names mapped to indices in sorted
   * order. `"regression"`: the label columns are float targets, in {@link Dataset.targets}.
   */
  task?: "classification" | "regression";
  /** Map class-name labels with these names (a trained run's) instead of the file's own: a name not among them is an error. */
  classNames?: readonly string[];
  /**
   * A missing feature value (an empty field, `NA`, `N/A`, `NaN`, `nan`, `null`, `?`):
   * `"error"` (default) throws naming the line and column; `"nan"` stores NaN, for the caller
   * to impute (see `standardize`, which fills in the training mean).
   */
  missing?: "error" | "nan";
}

/** More classes than this is taken as a wrong label column, not a classification task. */
const MAX_CLASSES = 65_536;

/** Fields read as a missing value (pandas' most common `na_values`). */
export const MISSING: ReadonlySet<string> = new Set(["", "NA", "N/A", "NaN", "nan", "null", "?"]);

/**
 * Loads a comma-separated file of one label column and numeric feature columns:
 * `x: [rows, columns − 1]` in file order (the label column taken out). Labels are class
 * indices (classes 0..K−1; `classes` = the largest label + 1 unless given) or class names
 * (`approved`/`denied`: indices in sorted name order, the names in `classNames`); with
 * `task: "regression"`, one or more float target columns (`targets`). Blank lines are skipped;
 * `\r\n` line ends and a UTF-8 byte-order mark are accepted; fields may be double-quoted, with
 * commas and `""` (an escaped quote) inside, but may not span lines.
 *
 * Throws a {@link DataError} naming the file and the 1-based line: a ragged row (expected C
 * columns, got D), a feature that is not a finite number (NaN, Infinity, text, empty: a missing
 * value, unless `missing: "nan"`) or is beyond float32's range (1e39), a label that is not a
 * non-negative integer class (for a file of numeric labels) or is missing.
 *
 * Plain decimals (`0.5`, `-12`, `3`) are parsed from the bytes without building strings
 * (see decimal.ts); anything else goes through `Number` on the field's text. A 60,000 × 785
 * MNIST CSV (110 MB) loads in ≈ 1.7 s on a busy 2-vCPU machine, much of it faulting in the
 * 110 MB read and the 188 MB of `x`.
 *
 * @example
 * const iris = loadCsv("iris.csv", { labelColumn: "species" });   // classNames: setosa, versicolor, virginica
 * const houses = loadCsv("houses.csv", { task: "regression", labelColumn: ["price"] });
 */
export function loadCsv(path: string, options: CsvOptions = {}): Dataset {
  const { header = "auto", task = "classification", missing = "error" } = options;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataError(`${path}: cannot read the CSV file: ${(err as Error).message}`, path);
  }
  const pos = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // BOM
  const lines = new LineReader(bytes, pos);

  // The first non-blank line decides the column count and whether there is a header.
  if (!lines.next()) throw new DataError(`${path}: the file is empty (expected CSV rows)`, path);
  const firstFields = splitCsvLine(bytes.toString("utf8", lines.start, lines.end));
  const columns = firstFields.length;
  const wanted = options.labelColumn === undefined ? [] : Array.isArray(options.labelColumn) ? options.labelColumn : [options.labelColumn as number | string];
  const byName = wanted.some((w) => typeof w === "string");
  const hasHeader = byName || header === true || (header === "auto" && firstFields.every((f) => Number.isNaN(parseDecimalText(f))));
  if (byName && header === false) {
    throw new DataError(`${path}: labelColumn ${wanted.map((w) => JSON.stringify(w)).join(", ")} names a column, but header is false`, path);
  }
  const names = hasHeader ? firstFields.map((f) => f.trim()) : undefined;
  if (wanted.length === 0) wanted.push(names?.includes("label") ? "label" : 0);
  if (task === "classification" && wanted.length > 1) throw new DataError(`${path}: classification takes one label column, got ${wanted.length} (several are for regression)`, path);
  const labels = wanted.map((w) => resolveLabelColumn(path, w, columns, names));
  if (new Set(labels).size !== labels.length) throw new DataError(`${path}: a label column is given twice (${wanted.join(", ")})`, path);
  if (columns - labels.length < 1) {
    throw new DataError(`${path}: line ${lines.number}: expected ${labels.length === 1 ? "a label column" : `${labels.length} label columns`} and at least one feature column, got ${columns} column${columns === 1 ? "" : "s"}`, path, lines.number);
  }
  const features = columns - labels.length;
  const width = labels.length;
  const describe = (c: number) => (names ? `column "${names[c]}" (index ${c})` : `column index ${c}`);
  /** For each column: −1 a feature, else its place among the label columns. */
  const role = new Int32Array(columns).fill(-1);
  labels.forEach((c, k) => (role[c] = k));
  const regression = task === "regression";

  // Rows: at most the number of lines left, exact unless blank lines are skipped.
  let capacity = hasHeader ? 0 : 1;
  for (let i = bytes.indexOf(10, lines.end); i >= 0 && i + 1 < bytes.length; i = bytes.indexOf(10, i + 1)) capacity++;
  let { x, y } = allocDataset(capacity, features, options.shared);
  let targets = regression ? new Float32Array(capacity * width) : undefined;
  /** Each row's label text, while it may still be a class name. */
  const texts: string[] = [];
  let n = 0;
  let maxLabel = -1;
  let named = false;
  const classes = options.classes;
  if (classes !== undefined && !(Number.isInteger(classes) && classes >= 1 && classes <= MAX_CLASSES)) {
    throw new RangeError(`loadCsv: classes must be an integer in [1, ${MAX_CLASSES}], got ${classes}`);
  }
  const field = new FieldScanner(bytes);

  let more = hasHeader ? lines.next() : true;
  for (; more; more = lines.next()) {
    const line = lines.number;
    const end = lines.end;
    let start = lines.start;
    let out = n * features;
    for (let c = 0; ; c++) {
      field.scan(path, line, start, end);
      if (c >= columns) throw ragged(path, line, columns, c + countCommas(bytes, field.stop, end) + 1);
      let v = field.quoted ? Number.NaN : parseSimpleDecimal(bytes, field.s, field.e);
      if (Number.isNaN(v)) v = parseDecimalText(field.text());
      const k = role[c]!;
      if (k >= 0) {
        if (Number.isNaN(v) && MISSING.has(field.text().trim())) {
          throw new DataError(`${path}: line ${line}: ${describe(c)}: missing ${regression ? "target" : "label"} ${field.show()}: every row needs one (drop the row, or fill it in)`, path, line);
        }
        if (regression) {
          if (!Number.isFinite(v)) throw new DataError(`${path}: line ${line}: target ${field.show()} in ${describe(c)} is not a finite number (a regression target; for class names use classification)`, path, line);
          if (!Number.isFinite(Math.fround(v))) throw beyondFloat32(path, line, describe(c), field.show());
          targets![n * width + k] = v;
        } else {
          texts.push(field.text().trim());
          // Text that is no number is a class name (decided once every row is read); so is every label when the run's names are given.
          if (options.classNames || Number.isNaN(v)) named = true;
          else if (!named) {
            if (!(Number.isInteger(v) && v >= 0)) {
              throw new DataError(`${path}: line ${line}: label ${field.show()} in ${describe(c)} is not a non-negative integer class (or a class name)`, path, line);
            }
            const limit = classes ?? MAX_CLASSES;
            if (v >= limit) {
              throw new DataError(
                `${path}: line ${line}: label ${v} in ${describe(c)} is out of range: expected 0..${limit - 1}` +
                  (classes === undefined ? " (is the label column right?)" : ""),
                path,
                line,
              );
            }
            y[n] = v;
            if (v > maxLabel) maxLabel = v;
          }
        }
      } else {
        if (!Number.isFinite(v)) {
          const absent = Number.isNaN(v) && MISSING.has(field.text().trim());
          if (!(absent && missing === "nan")) {
            const hint = absent ? " (a missing value: fill it in, or impute it: weft train --impute mean)" : "";
            throw new DataError(`${path}: line ${line}: ${describe(c)}: ${field.show()} is not a finite number${hint}`, path, line);
          }
        } else if (!Number.isFinite(Math.fround(v))) throw beyondFloat32(path, line, describe(c), field.show());
        x[out++] = v;
      }
      if (field.stop >= end) {
        if (c + 1 !== columns) throw ragged(path, line, columns, c + 1);
        break;
      }
      start = field.stop + 1;
    }
    n++;
  }
  if (n === 0) throw new DataError(`${path}: no data rows after the header`, path);
  if (n < capacity) {
    // Blank lines were skipped: trim to the rows read (one copy).
    const exact = allocDataset(n, features, options.shared);
    exact.x.set(x.subarray(0, n * features));
    exact.y.set(y.subarray(0, n));
    ({ x, y } = exact);
    targets = targets?.slice(0, n * width);
  }
  const featureNames = names?.filter((_, c) => role[c]! < 0);
  const base = { x, y, n, features, source: `csv:${path}`, ...(featureNames ? { featureNames } : {}) };
  if (regression) {
    return { ...base, classes: 0, targets, targetNames: labels.map((c) => (names ? names[c]! : `column ${c}`)) };
  }
  if (!named) return { ...base, classes: classes ?? maxLabel + 1 };
  const classNames = options.classNames ? [...options.classNames] : [...new Set(texts)].sort();
  const index = new Map(classNames.map((name, i) => [name, i]));
  for (let row = 0; row < n; row++) {
    const k = index.get(texts[row]!);
    if (k === undefined) {
      const line = lineOfRow(lines, pos, hasHeader, row);
      const known = classNames.slice(0, 10).map((s) => JSON.stringify(s)).join(", ") + (classNames.length > 10 ? ", …" : "");
      throw new DataError(`${path}: line ${line}: label ${JSON.stringify(texts[row])} in ${describe(labels[0]!)} is not one of the model's classes (${known})`, path, line);
    }
    y[row] = k;
  }
  if (classNames.length > MAX_CLASSES) throw new DataError(`${path}: ${classNames.length} distinct labels in ${describe(labels[0]!)}: more than ${MAX_CLASSES} classes (is the label column right?)`, path);
  return { ...base, classes: classNames.length, classNames };
}

/** The 1-based line of data row `row` (for an error message: walks the lines again). */
function lineOfRow(lines: LineReader, pos: number, hasHeader: boolean, row: number): number {
  lines.rewind(pos);
  for (let i = hasHeader ? -1 : 0; i <= row; i++) lines.next();
  return lines.number;
}

/**
 * One field of a line at a time: `[s, e)` its content (quotes stripped), `stop` the comma after
 * it or the line's end. A field that starts with `"` runs to the matching `"` (`""` inside is
 * one quote, and commas are text).
 */
class FieldScanner {
  s = 0;
  e = 0;
  stop = 0;
  quoted = false;
  #escaped = false;
  constructor(private readonly b: Buffer) {}

  scan(path: string, line: number, start: number, end: number): void {
    const b = this.b;
    let i = start;
    while (i < end && b[i] === 32) i++;
    this.quoted = i < end && b[i] === 34;
    this.#escaped = false;
    if (!this.quoted) {
      let stop = start;
      while (stop < end && b[stop] !== 44) stop++;
      [this.s, this.e, this.stop] = [start, stop, stop];
      return;
    }
    let j = i + 1;
    for (;;) {
      while (j < end && b[j] !== 34) j++;
      if (j >= end) throw new DataError(`${path}: line ${line}: a quoted field has no closing quote (a field may not span lines)`, path, line);
      if (b[j + 1] === 34 && j + 1 < end) {
        this.#escaped = true;
        j += 2;
        continue;
      }
      break;
    }
    [this.s, this.e] = [i + 1, j];
    let stop = j + 1;
    while (stop < end && b[stop] !== 44) stop++;
    this.stop = stop;
  }

  text(): string {
    const t = this.b.toString("utf8", this.s, this.e);
    return this.#escaped ? t.replaceAll('""', '"') : t;
  }

  /** The field for an error message: `"abc"`, or `(empty)`. */
  show(): string {
    const text = this.text();
    return text.trim() === "" ? "(empty)" : JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text);
  }
}

/**
 * Splits one CSV line into its fields (quotes stripped, `""` → `"`, commas inside quotes kept):
 * for headers and the few lines read as text.
 */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let j = i;
    while (line[j] === " ") j++;
    if (line[j] === '"') {
      let text = "";
      let k = j + 1;
      for (;;) {
        const q = line.indexOf('"', k);
        if (q < 0) {
          text += line.slice(k);
          k = line.length;
          break;
        }
        text += line.slice(k, q);
        if (line[q + 1] === '"') {
          text += '"';
          k = q + 2;
          continue;
        }
        k = q + 1;
        break;
      }
      out.push(text);
      const comma = line.indexOf(",", k);
      if (comma < 0) return out;
      i = comma + 1;
    } else {
      const comma = line.indexOf(",", i);
      out.push(line.slice(i, comma < 0 ? undefined : comma));
      if (comma < 0) return out;
      i = comma + 1;
    }
  }
}

/** Walks the non-blank lines of a buffer: `[start, end)` without the line end, 1-based `number`. */
class LineReader {
  start = 0;
  end = 0;
  number = 0;
  #next: number;
  #lineNo = 0;
  constructor(
    private readonly bytes: Uint8Array,
    from: number,
  ) {
    this.#next = from;
  }
  rewind(from: number): void {
    this.#next = from;
    this.#lineNo = 0;
  }

  /** Advances to the next non-blank line; false at the end of the file. */
  next(): boolean {
    const b = this.bytes;
    while (this.#next < b.length) {
      const start = this.#next;
      let nl = b.indexOf(10, start);
      if (nl < 0) nl = b.length;
      this.#next = nl + 1;
      this.#lineNo++;
      let end = nl;
      if (end > start && b[end - 1] === 13) end--;
      let i = start;
      while (i < end && (b[i] === 32 || b[i] === 9)) i++;
      if (i === end) continue; // blank
      this.start = start;
      this.end = end;
      this.number = this.#lineNo;
      return true;
    }
    return false;
  }
}

function resolveLabelColumn(path: string, labelColumn: number | string, columns: number, names?: string[]): number {
  if (typeof labelColumn === "string") {
    const index = names!.indexOf(labelColumn);
    if (index < 0) {
      const shown = names!.slice(0, 10).map((s) => `"${s}"`).join(", ") + (names!.length > 10 ? ", …" : "");
      throw new DataError(`${path}: no column named "${labelColumn}" in the header (columns: ${shown})`, path, 1);
    }
    return index;
  }
  if (!Number.isInteger(labelColumn) || labelColumn >= columns || labelColumn < -columns) {
    throw new DataError(
      `${path}: labelColumn ${labelColumn} is out of range: the file has ${plural(columns, "column")} (0..${columns - 1}, or −1 for the last)`,
      path,
    );
  }
  return labelColumn < 0 ? columns + labelColumn : labelColumn;
}

/**
 * A finite float64 that is ±Infinity as the float32 the features are stored in (|v| above
 * 3.4028235e38, rounding included): caught here, or it would reach the model as Infinity.
 */
export function beyondFloat32(path: string, line: number, column: string, shown: string): DataError {
  return new DataError(`${path}: line ${line}: ${column}: ${shown} is beyond float32's range (±3.4028235e+38): rescale the column`, path, line);
}

function ragged(path: string, line: number, expected: number, got: number): DataError {
  return new DataError(`${path}: line ${line}: ragged row: expected ${plural(expected, "column")}, got ${got}`, path, line);
}

function countCommas(b: Uint8Array, from: number, end: number): number {
  let k = 0;
  for (let i = from; i < end; i++) if (b[i] === 44) k++;
  return k;
}

