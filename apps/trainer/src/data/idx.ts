import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { allocDataset, DataError, type AllocOptions, type Dataset } from "./dataset.js";

/** IDX magic numbers (big-endian): 0x00 0x00, type 0x08 (unsigned byte), number of dimensions. */
export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

export interface IdxOptions extends AllocOptions {
  /** Number of classes; every label must be below it. Default 10 (MNIST, Fashion-MNIST). */
  classes?: number;
}

/** Pixel byte → [0, 1], as torchvision's `ToTensor` scales (v / 255). */
const SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Loads an MNIST-format pair of IDX files (http://yann.lecun.com/exdb/mnist/): images
 * `[n, rows, cols]` of unsigned bytes (magic 0x00000803), scaled to [0, 1], and labels `[n]`
 * (magic 0x00000801). Either file may be gzipped (`.gz` as downloaded; detected by the gzip
 * magic 1f 8b, not by the name). Returns `x: [n, rows·cols]`, `shape: [rows, cols]`.
 *
 * Throws a {@link DataError} naming the file and what was wrong: an empty file, a wrong
 * magic number (got vs expected, in hex), a truncated file or header (expected vs actual
 * bytes), trailing bytes, image and label counts that differ, a label ≥ `classes`.
 *
 * @example
 * const train = loadIdx("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
 */
export function loadIdx(imagesPath: string, labelsPath: string, options: IdxOptions = {}): Dataset {
  const classes = options.classes ?? 10;
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new RangeError(`loadIdx: classes must be an integer in [1, 256], got ${classes}`);
  }
  const images = readIdx(imagesPath, IDX_IMAGES_MAGIC, "images");
  const labels = readIdx(labelsPath, IDX_LABELS_MAGIC, "labels");
  const [n, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) {
    throw new DataError(
      `${labelsPath} has ${labels.dims[0]} labels but ${imagesPath} has ${n} images; ` +
        "the two files must hold the same number of records",
      labelsPath,
    );
  }
  if (n === 0) throw new DataError(`${imagesPath}: holds 0 images`, imagesPath);
  const features = rows * cols;
  const { x, y } = allocDataset(n, features, options.shared);
  const pixels = images.data;
  for (let i = 0; i < pixels.length; i++) x[i] = SCALE[pixels[i]!]!;
  const ys = labels.data;
  for (let i = 0; i < n; i++) {
    const label = ys[i]!;
    if (label >= classes) {
      throw new DataError(
        `${labelsPath}: label ${label} of record ${i} (0-based) is out of range: expected 0..${classes - 1}` +
          (options.classes === undefined ? " (set the number of classes if the data has more than 10)" : ""),
        labelsPath,
      );
    }
    y[i] = label;
  }
  return { x, y, n, features, classes, shape: [rows, cols], source: `idx:${imagesPath},${labelsPath}` };
}

interface IdxArray {
  dims: number[];
  /** The payload bytes, row-major over `dims`. */
  data: Uint8Array;
}

/** Reads one IDX file of unsigned bytes, checking its magic number and its length. */
function readIdx(path: string, magic: number, kind: "images" | "labels"): IdxArray {
  const what = `an IDX ${kind} file`;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataError(`${path}: cannot read ${what}: ${(err as Error).message}`, path);
  }
  if (bytes.length === 0) throw new DataError(`${path}: the file is empty (expected ${what})`, path);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new DataError(
        `${path}: gzip-compressed but cannot be decompressed (truncated or corrupt?): ${(err as Error).message}`,
        path,
      );
    }
    if (bytes.length === 0) throw new DataError(`${path}: decompresses to nothing (expected ${what})`, path);
  }
  const ndims = magic & 0xff;
  const header = 4 + 4 * ndims;
  if (bytes.length < 4) {
    throw new DataError(`${path}: truncated: expected at least a ${header}-byte header, got ${bytes.length} bytes`, path);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const got = view.getUint32(0);
  if (got !== magic) {
    const other = magic === IDX_IMAGES_MAGIC ? IDX_LABELS_MAGIC : IDX_IMAGES_MAGIC;
    const hint =
      got === other
        ? ` — this is an IDX ${kind === "images" ? "labels" : "images"} file: are the images and labels swapped?`
        : "";
    throw new DataError(
      `${path}: wrong magic number ${hex(got)}, expected ${hex(magic)} (${what}: unsigned bytes, ${ndims} dimension${ndims > 1 ? "s" : ""})${hint}`,
      path,
    );
  }
  if (bytes.length < header) {
    throw new DataError(`${path}: truncated: expected a ${header}-byte header, got ${bytes.length} bytes`, path);
  }
  const dims = Array.from({ length: ndims }, (_, d) => view.getUint32(4 + 4 * d));
  const expected = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    const layout = `${header}-byte header + ${dims.join(" × ")} bytes`;
    throw new DataError(
      bytes.length < expected
        ? `${path}: truncated: expected ${expected} bytes (${layout}), got ${bytes.length}`
        : `${path}: expected ${expected} bytes (${layout}), got ${bytes.length}: ${bytes.length - expected} trailing bytes`,
      path,
    );
  }
  return { dims, data: bytes.subarray(header) };
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, "0")}`;
}
