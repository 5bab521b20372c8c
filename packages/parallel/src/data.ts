/** Datasets as the engine takes them: x of any sample shape (float32 or int32 tokens), targets of any shape. */

/**
 * A dataset for {@link DataParallel.setData}: `x` holds `rows` samples of `sampleShape` (flat rows:
 * `features`), float32 or int32 (token ids); `y` holds each sample's target: int32 class indices
 * (one a sample, or `targetShape` of them, e.g. one a token) or float values (`targetWidth` or
 * `targetShape` of them).
 */
export interface DataSet {
  x: Float32Array | Int32Array;
  /** Values of one flat sample (`[features]`); or give `sampleShape`. */
  features?: number;
  /** One sample's shape: `[1, 28, 28]` for images, `[T]` for token windows. */
  sampleShape?: readonly number[];
  y: Int32Array | Float32Array;
  /** Width of a dense (float) target row; same as `targetShape: [targetWidth]`. */
  targetWidth?: number;
  /** One sample's target shape: `[]` (the default for class indices), `[T]` per token, `[width]`… */
  targetShape?: readonly number[];
}

/** A dataset's parts, checked. */
export interface DataShape {
  rows: number;
  sampleShape: number[];
  xKind: "float32" | "int32";
  targetKind: "index" | "dense";
  targetShape: number[];
  /** Values of one sample's x and target. */
  sampleSize: number;
  targetSize: number;
}

const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function checkShape(what: string, name: string, s: readonly number[]): number[] {
  if (!Array.isArray(s) || !s.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${what}: ${name} must be a list of non-negative integers, got ${JSON.stringify(s)}`);
  return [...s];
}

/** Rows, sample and target shapes of a dataset; throws naming `what` when its parts do not agree. */
export function describeData(what: string, data: DataSet): DataShape {
  if (!(data.x instanceof Float32Array || data.x instanceof Int32Array)) throw new Error(`${what}: x must be a Float32Array (or an Int32Array of token ids)`);
  let sampleShape: number[];
  if (data.sampleShape !== undefined) sampleShape = checkShape(what, "sampleShape", data.sampleShape);
  else if (Number.isInteger(data.features) && data.features! > 0) sampleShape = [data.features!];
  else throw new Error(`${what}: give features (values of a flat row) or sampleShape (one sample's shape, e.g. [1, 28, 28])`);
  if (data.features !== undefined && data.sampleShape !== undefined && product(sampleShape) !== data.features) {
    throw new Error(`${what}: features ${data.features} disagrees with sampleShape ${JSON.stringify(sampleShape)}`);
  }
  const sampleSize = product(sampleShape);
  const rows = sampleSize === 0 ? 0 : data.x.length / sampleSize;
  if (!Number.isInteger(rows)) {
    throw new Error(`${what}: x has ${data.x.length} values, not a multiple of ${data.sampleShape ? `a sample's ${sampleSize} (${JSON.stringify(sampleShape)})` : `${sampleSize} features`}`);
  }
  let targetShape: number[];
  let targetKind: "index" | "dense";
  if (data.targetShape !== undefined) {
    targetShape = checkShape(what, "targetShape", data.targetShape);
    targetKind = data.y instanceof Int32Array && data.targetWidth === undefined ? "index" : "dense";
  } else if (data.targetWidth !== undefined) {
    if (!Number.isInteger(data.targetWidth) || data.targetWidth < 1) throw new Error(`${what}: targetWidth must be a positive integer, got ${data.targetWidth}`);
    targetShape = [data.targetWidth];
    targetKind = "dense";
  } else {
    if (!(data.y instanceof Int32Array)) throw new Error(`${what}: class-index targets must be an Int32Array (or give targetWidth or targetShape for float targets)`);
    targetShape = [];
    targetKind = "index";
  }
  const targetSize = product(targetShape);
  if (data.y.length !== rows * targetSize) {
    const per = targetSize === 1 ? "" : ` of ${targetSize} values`;
    throw new Error(`${what}: ${rows} rows of x but ${data.y.length / targetSize} rows of targets${per}`);
  }
  return { rows, sampleShape, xKind: data.x instanceof Int32Array ? "int32" : "float32", targetKind, targetShape, sampleSize, targetSize };
}
