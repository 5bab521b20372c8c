/**
 * Unlabelled inputs for `weft predict`, raw (unstandardised) as the training data was on disk:
 *
 * - an IDX images file (magic 0x00000803, optionally gzipped; pixels scaled to [0, 1] as the
 *   IDX loader does), e.g. t10k-images-idx3-ubyte.gz;
 * - a CSV of feature columns, one row per input: with a header, its columns are picked by the
 *   training header's names (any order, extra columns ignored); without, a CSV with the label
 *   column(s) too is read in the training layout (the labels are ignored). Quoted fields and
 *   CRLF line ends are fine; missing values are imputed when the run was (--impute mean).
 *
 * The data loaders in data/ read labelled files only, hence this small reader; errors are
 * DataErrors naming the file and the line, like theirs.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { labelColumns } from "./config.js";
import { MISSING, beyondFloat32, splitCsvLine } from "./data/csv.js";
import { DataError, IDX_IMAGES_MAGIC } from "./data/index.js";
import { plural } from "./plural.js";

export interface PredictInput {
  x: Float32Array;
  rows: number;
}

export function readPredictInput(path: string, features: number, layout: CsvLayout): PredictInput {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DataError(`${path}: cannot read the input file: ${(e as Error).message}`, path);
  }
  if (bytes.length === 0) throw new DataError(`${path}: the file is empty (expected IDX images or CSV rows)`, path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(`${path}: gzip-compressed but cannot be decompressed: ${(e as Error).message}`, path);
    }
  }
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 8) return readIdxImages(path, bytes, features);
  return readCsvRows(path, bytes.toString("utf8"), features, layout);
}

function readIdxImages(path: string, b: Buffer, features: number): PredictInput {
  const magic = b.readUInt32BE(0);
  if (magic !== IDX_IMAGES_MAGIC) throw new DataError(`${path}: IDX magic number 0x${magic.toString(16).padStart(8, "0")}: expected 0x00000803 (images of unsigned bytes, 3 dimensions)`, path);
  if (b.length < 16) throw new DataError(`${path}: truncated: expected a 16-byte header, got ${b.length} bytes`, path);
  const [n, h, w] = [b.readUInt32BE(4), b.readUInt32BE(8), b.readUInt32BE(12)];
  if (h * w !== features) throw new DataError(`${path}: images of ${h}×${w} = ${h * w} pixels, but the model takes ${plural(features, "feature")}`, path);
  if (b.length !== 16 + n * h * w) throw new DataError(`${path}: expected ${16 + n * h * w} bytes (16-byte header + ${n} × ${h} × ${w}), got ${b.length}`, path);
  const x = new Float32Array(n * features);
  for (let i = 0; i < x.length; i++) x[i] = b[16 + i]! / 255;
  return { x, rows: n };
}

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** How the training CSV was laid out: what predict needs to pick the feature columns of a CSV row. */
export interface CsvLayout {
  /** The header's feature names, when the training file had a header. */
  featureNames?: readonly string[];
  /** The run's --label-column (null: the column named `label`, else the first). */
  labelColumn: string | null;
  /** Missing values (empty, NA, …) are NaN, for the standardisation to impute (the run's --impute mean). */
  missing: boolean;
}

function readCsvRows(path: string, text: string, features: number, layout: CsvLayout): PredictInput {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const values: number[] = [];
  let columns = -1;
  let pick: number[] = [];
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const fields = splitCsvLine(line);
    if (columns < 0) {
      columns = fields.length;
      const header = fields.every((f) => !NUMBER.test(f));
      pick = featureColumns(path, i + 1, header ? fields.map((f) => f.trim()) : null, columns, features, layout);
      if (header) continue;
    }
    if (fields.length !== columns) throw new DataError(`${path}: line ${i + 1}: ragged row: expected ${plural(columns, "column")}, got ${fields.length}`, path, i + 1);
    for (const c of pick) {
      const f = fields[c]!;
      let v = NUMBER.test(f) ? Number(f) : Number.NaN;
      if (!Number.isFinite(v)) {
        const absent = MISSING.has(f.trim());
        if (!(absent && layout.missing)) {
          const hint = absent ? " (a missing value: this run was trained without --impute mean, so fill it in)" : "";
          throw new DataError(`${path}: line ${i + 1}: column ${c}: ${JSON.stringify(f.length > 40 ? `${f.slice(0, 40)}…` : f)} is not a finite number${hint}`, path, i + 1);
        }
        v = Number.NaN;
      } else if (!Number.isFinite(Math.fround(v))) throw beyondFloat32(path, i + 1, `column ${c}`, JSON.stringify(f));
      values.push(v);
    }
    rows++;
  }
  if (rows === 0) throw new DataError(`${path}: no data rows`, path);
  return { x: Float32Array.from(values), rows };
}

/**
 * The columns of an input CSV that hold the model's features, in the model's order: by name when
 * both files have headers; else all columns when there are as many as features, or the training
 * layout (the label columns dropped) when the label columns are there too.
 */
function featureColumns(path: string, line: number, names: string[] | null, columns: number, features: number, layout: CsvLayout): number[] {
  if (names && layout.featureNames) {
    return layout.featureNames.map((n) => {
      const c = names.indexOf(n);
      if (c < 0) throw new DataError(`${path}: line ${line}: no column named ${JSON.stringify(n)}: the model takes the features ${layout.featureNames!.map((f) => JSON.stringify(f)).join(", ")}`, path, line);
      return c;
    });
  }
  const all = Array.from({ length: columns }, (_, c) => c);
  if (columns === features) return all;
  const spec = layout.labelColumn === null ? [names?.includes("label") ? "label" : 0] : labelColumns(layout.labelColumn);
  const drop = spec.map((l) => (typeof l === "number" ? (l < 0 ? columns + l : l) : (names?.indexOf(l) ?? -1)));
  if (columns !== features + spec.length || drop.some((c) => c < 0 || c >= columns)) {
    throw new DataError(`${path}: line ${line}: expected ${plural(features, "feature column")} (or ${features + spec.length} with the label column${spec.length === 1 ? "" : "s"} as in training), got ${columns}`, path, line);
  }
  return all.filter((c) => !drop.includes(c));
}
