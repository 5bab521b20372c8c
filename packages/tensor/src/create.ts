/** Tensor constructors, PyTorch-style. Random ones take an explicit seeded {@link Rng}. */
import { Tensor, shapeSize, formatShape, type DType, type FloatArray, type NestedArray } from "./tensor.js";
import type { Rng } from "./rng.js";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function alloc(n: number, dtype: DType = "float32"): FloatArray {
  return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

function inferShape(data: NestedArray | number): number[] {
  const shape: number[] = [];
  let cur: NestedArray | number = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as NestedArray | number;
  }
  return shape;
}

/**
 * A tensor from nested arrays (`tensor([[1, 2], [3, 4]])`), a flat typed array plus a shape
 * (`tensor(f32, [2, 2])`, which wraps without copying), or a number (scalar).
 */
export function tensor(data: NestedArray | number | FloatArray | ArrayLike<number>, shape?: readonly number[], options: TensorOptions = {}): Tensor {
  if (data instanceof Float32Array || data instanceof Float64Array) {
    const wanted = options.dtype ?? (data instanceof Float64Array ? "float64" : "float32");
    const arr = wanted === "float64" ? (data instanceof Float64Array ? data : Float64Array.from(data)) : data instanceof Float32Array ? data : Float32Array.from(data);
    return new Tensor(arr, shape ?? [arr.length], options.requiresGrad ?? false);
  }
  if (typeof data === "number") {
    const arr = alloc(1, options.dtype);
    arr[0] = data;
    return new Tensor(arr, shape ?? [], options.requiresGrad ?? false);
  }
  if (Array.isArray(data)) {
    const inferred = inferShape(data);
    const flat: unknown[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) for (const e of v) walk(e);
      else flat.push(v);
    };
    walk(data);
    if (flat.length !== shapeSize(inferred)) throw new Error(`tensor: nested arrays are ragged (inferred shape ${formatShape(inferred)} but ${flat.length} numbers)`);
    const arr = alloc(flat.length, options.dtype);
    for (let i = 0; i < flat.length; i++) {
      if (typeof flat[i] !== "number") throw new Error(`tensor: element ${i} is not a number: ${String(flat[i])}`);
      arr[i] = flat[i] as number;
    }
    return new Tensor(arr, shape ?? inferred, options.requiresGrad ?? false);
  }
  const arr = alloc(data.length, options.dtype);
  for (let i = 0; i < data.length; i++) arr[i] = data[i];
  return new Tensor(arr, shape ?? [arr.length], options.requiresGrad ?? false);
}

/** A tensor of `value` everywhere. */
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  const arr = alloc(shapeSize(shape), options.dtype);
  arr.fill(value);
  return new Tensor(arr, shape, options.requiresGrad ?? false);
}

export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** Standard-normal samples from `rng`. */
export function randn(shape: readonly number[], rng: Rng, options: TensorOptions = {}): Tensor {
  const arr = alloc(shapeSize(shape), options.dtype);
  rng.fillNormal(arr, 0, 1);
  return new Tensor(arr, shape, options.requiresGrad ?? false);
}

/** Uniform samples in [0, 1) from `rng`. */
export function rand(shape: readonly number[], rng: Rng, options: TensorOptions = {}): Tensor {
  const arr = alloc(shapeSize(shape), options.dtype);
  rng.fillUniform(arr, 0, 1);
  return new Tensor(arr, shape, options.requiresGrad ?? false);
}

/** start, start + step, … below end (`arange(5)` = 0…4), as torch.arange. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new Error("arange: step must be non-zero");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const arr = alloc(n, options.dtype);
  for (let i = 0; i < n; i++) arr[i] = start + i * step;
  return new Tensor(arr, [n], options.requiresGrad ?? false);
}
