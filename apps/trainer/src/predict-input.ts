/**
 * Unlabelled inputs for `weft predict`, raw (unstandardised) as the training data was on disk:
 *
 * - an IDX images file (magic 0x00000803, optionally gzipped; pixels scaled to [0, 1] as the
 *   IDX loader does), e.g. t10k-images-idx3-ubyte.gz;
 * - a CSV of feature columns, one row per input (a header row of names is skipped); a CSV
 *   with one column more is read as the training format, label in column 0 (it is ignored).
 *
 * The data loaders in data/ read labelled files only, hence this small reader; errors are
 * DataErrors naming the file and the line, like theirs.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { beyondFloat32 } from "./data/csv.js";
import { DataError, IDX_IMAGES_MAGIC } from "./data/index.js";

export interface PredictInput {
  x: Float32Array;
  rows: number;
}

export function readPredictInput(path: string, features: number): PredictInput {
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
  return readCsvRows(path, bytes.toString("utf8"), features);
}

function readIdxImages(path: string, b: Buffer, features: number): PredictInput {
  const magic = b.readUInt32BE(0);
  if (magic !== IDX_IMAGES_MAGIC) throw new DataError(`${path}: IDX magic number 0x${magic.toString(16).padStart(8, "0")}: expected 0x00000803 (images of unsigned bytes, 3 dimensions)`, path);
  if (b.length < 16) throw new DataError(`${path}: truncated: expected a 16-byte header, got ${b.length} bytes`, path);
  const [n, h, w] = [b.readUInt32BE(4), b.readUInt32BE(8), b.readUInt32BE(12)];
  if (h * w !== features) throw new DataError(`${path}: images of ${h}×${w} = ${h * w} pixels, but the model takes ${features} features`, path);
  if (b.length !== 16 + n * h * w) throw new DataError(`${path}: expected ${16 + n * h * w} bytes (16-byte header + ${n} × ${h} × ${w}), got ${b.length}`, path);
  const x = new Float32Array(n * features);
  for (let i = 0; i < x.length; i++) x[i] = b[16 + i]! / 255;
  return { x, rows: n };
}

const NUMBER = /^\s*"?\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*"?\s*$/;

function readCsvRows(path: string, text: string, features: number): PredictInput {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const values: number[] = [];
  let columns = -1;
  let rows = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const fields = line.split(",");
    if (columns < 0) {
      if (fields.length !== features && fields.length !== features + 1) {
        throw new DataError(`${path}: line ${i + 1}: expected ${features} feature columns (or ${features + 1} with a label first), got ${fields.length}`, path, i + 1);
      }
      columns = fields.length;
      if (fields.every((f) => !NUMBER.test(f))) continue; // a header row
    }
    if (fields.length !== columns) throw new DataError(`${path}: line ${i + 1}: ragged row: expected ${columns} columns, got ${fields.length}`, path, i + 1);
    for (let c = columns - features; c < columns; c++) {
      const f = fields[c]!;
      const v = NUMBER.test(f) ? Number(f.replace(/"/g, "")) : Number.NaN;
      if (!Number.isFinite(v)) throw new DataError(`${path}: line ${i + 1}: column ${c}: ${JSON.stringify(f.length > 40 ? `${f.slice(0, 40)}…` : f)} is not a finite number`, path, i + 1);
      if (!Number.isFinite(Math.fround(v))) throw beyondFloat32(path, i + 1, `column ${c}`, JSON.stringify(f));
      values.push(v);
    }
    rows++;
  }
  if (rows === 0) throw new DataError(`${path}: no data rows`, path);
  return { x: Float32Array.from(values), rows };
}
