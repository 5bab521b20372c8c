/** Test helpers: float64 inputs for gradcheck, closeness checks. */
import { Rng, Tensor, randn } from "@weft/tensor";

/**
 * A float64 input drawn from N(0, 1) that requires grad, nudged off the kinks of relu/leakyRelu
 * (|x| < 1e-2 → ±0.1), where a central difference with eps 1e-6 would straddle the kink.
 */
export function input64(rng: Rng, shape: number[], requiresGrad = true): Tensor {
  const t = randn(shape, rng, { dtype: "float64", requiresGrad });
  for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]) < 1e-2) t.data[i] = t.data[i] < 0 ? -0.1 : 0.1;
  return t;
}

/** Uniform float64 values in [low, high). */
export function uniform64(rng: Rng, shape: number[], low: number, high: number, requiresGrad = false): Tensor {
  const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
  rng.fillUniform(data, low, high);
  return new Tensor(data, shape, requiresGrad);
}

/** Rows of class probabilities (each row sums to 1), float64. */
export function probabilities64(rng: Rng, rows: number, classes: number): Tensor {
  const t = uniform64(rng, [rows, classes], 0.05, 1);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < classes; c++) s += t.data[r * classes + c];
    for (let c = 0; c < classes; c++) t.data[r * classes + c] /= s;
  }
  return t;
}

/** Throws unless every element of `actual` is within atol + rtol·|expected| of `expected`. */
export function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-6, atol = 1e-7): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} elements, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]))) {
      throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

/** Sample mean and (biased) variance. */
export function moments(a: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - mean) ** 2;
  return { mean, variance: v / a.length };
}

/** [min, max] of an array (Math.min(...a) overflows the stack on large arrays). */
export function extent(a: ArrayLike<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < min) min = a[i];
    if (a[i] > max) max = a[i];
  }
  return [min, max];
}

/** Bitwise equality of two float arrays (fast on large arrays, unlike a deep toEqual). */
export function sameBits(a: Float32Array | Float64Array, b: Float32Array | Float64Array): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
