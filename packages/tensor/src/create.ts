/** Tensor constructors, PyTorch-style. Random ones take an explicit seeded {@link Rng}. */
import { Tensor, shapeSize, formatShape, type DType, type FloatArray, type TensorData, type NestedArray } from "./tensor.js";
import type { Rng } from "./rng.js";

export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

const DTYPES: readonly DType[] = ["float32", "float64", "int32"];

function alloc(n: number, dtype: DType = "float32", op = "tensor"): TensorData {
  if (!DTYPES.includes(dtype)) throw new Error(`${op}: unknown dtype ${JSON.stringify(dtype)} (expected ${DTYPES.join(", ")})`);
  return dtype === "float64" ? new Float64Array(n) : dtype === "int32" ? new Int32Array(n) : new Float32Array(n);
}

/** Writes `v` into `arr[i]`, refusing a non-integer (or out of range) value for int32 rather than truncating it silently. */
function put(arr: TensorData, i: number, v: number, op: string): void {
  if (arr instanceof Int32Array && !(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647)) {
    throw new Error(`${op}: dtype int32 needs integers, element ${i} is ${v} — round it first, or use a float dtype`);
  }
  arr[i] = v;
}

function make(arr: TensorData, shape: readonly number[], options: TensorOptions, op: string): Tensor<TensorData> {
  if (options.requiresGrad && arr instanceof Int32Array) throw new Error(`${op}: only float tensors can require gradients (dtype int32 was asked for)`);
  return new Tensor(arr, shape, options.requiresGrad ?? false);
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

/** Options of a constructor that makes an int32 tensor. */
export type IntTensorOptions = TensorOptions & { dtype: "int32" };
/** Options of a constructor that makes a float tensor (the default, float32). */
export type FloatTensorOptions = TensorOptions & { dtype?: "float32" | "float64" };

/**
 * A tensor from nested arrays (`tensor([[1, 2], [3, 4]])`), a flat typed array plus a shape
 * (`tensor(f32, [2, 2])`, which wraps without copying; an `Int32Array` gives an int32 tensor), or
 * a number (scalar). `{ dtype: "int32" }` makes an int tensor (indices, tokens, masks): its
 * values must be integers.
 */
export function tensor(data: Int32Array, shape?: readonly number[], options?: TensorOptions & { dtype?: "int32" }): Tensor<Int32Array>;
export function tensor(data: NestedArray | number | ArrayLike<number>, shape: readonly number[] | undefined, options: IntTensorOptions): Tensor<Int32Array>;
export function tensor(data: NestedArray | number | ArrayLike<number>, shape?: readonly number[], options?: FloatTensorOptions): Tensor;
export function tensor(data: NestedArray | number | ArrayLike<number>, shape?: readonly number[], options?: TensorOptions): Tensor<TensorData>;
export function tensor(data: NestedArray | number | ArrayLike<number>, shape?: readonly number[], options: TensorOptions = {}): Tensor<TensorData> {
  if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array) {
    const own = data instanceof Float64Array ? "float64" : data instanceof Int32Array ? "int32" : "float32";
    const wanted = options.dtype ?? own;
    if (wanted === own) return make(data, shape ?? [data.length], options, "tensor");
    const arr = alloc(data.length, wanted);
    for (let i = 0; i < data.length; i++) put(arr, i, data[i], "tensor");
    return make(arr, shape ?? [arr.length], options, "tensor");
  }
  if (typeof data === "number") {
    const arr = alloc(1, options.dtype);
    put(arr, 0, data, "tensor");
    return make(arr, shape ?? [], options, "tensor");
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
      put(arr, i, flat[i] as number, "tensor");
    }
    return make(arr, shape ?? inferred, options, "tensor");
  }
  const arr = alloc(data.length, options.dtype);
  for (let i = 0; i < data.length; i++) put(arr, i, data[i], "tensor");
  return make(arr, shape ?? [arr.length], options, "tensor");
}

/** A tensor of `value` everywhere. */
export function full(shape: readonly number[], value: number, options: IntTensorOptions): Tensor<Int32Array>;
export function full(shape: readonly number[], value: number, options?: FloatTensorOptions): Tensor;
export function full(shape: readonly number[], value: number, options?: TensorOptions): Tensor<TensorData>;
export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor<TensorData> {
  const arr = alloc(shapeSize(shape), options.dtype, "full");
  if (arr.length > 0) put(arr, 0, value, "full");
  arr.fill(value);
  return make(arr, shape, options, "full");
}

export function zeros(shape: readonly number[], options: IntTensorOptions): Tensor<Int32Array>;
export function zeros(shape: readonly number[], options?: FloatTensorOptions): Tensor;
export function zeros(shape: readonly number[], options?: TensorOptions): Tensor<TensorData>;
export function zeros(shape: readonly number[], options: TensorOptions = {}): Tensor<TensorData> {
  return full(shape, 0, options);
}

export function ones(shape: readonly number[], options: IntTensorOptions): Tensor<Int32Array>;
export function ones(shape: readonly number[], options?: FloatTensorOptions): Tensor;
export function ones(shape: readonly number[], options?: TensorOptions): Tensor<TensorData>;
export function ones(shape: readonly number[], options: TensorOptions = {}): Tensor<TensorData> {
  return full(shape, 1, options);
}

function floatOnly(dtype: DType | undefined, op: string): void {
  if (dtype === "int32") throw new Error(`${op}: draws float samples; dtype must be float32 or float64 (use randint for integers)`);
}

/** Standard-normal samples from `rng`. */
export function randn(shape: readonly number[], rng: Rng, options: FloatTensorOptions = {}): Tensor {
  floatOnly(options.dtype, "randn");
  const arr = alloc(shapeSize(shape), options.dtype, "randn") as FloatArray;
  rng.fillNormal(arr, 0, 1);
  return make(arr, shape, options, "randn") as Tensor;
}

/** Uniform samples in [0, 1) from `rng`. */
export function rand(shape: readonly number[], rng: Rng, options: FloatTensorOptions = {}): Tensor {
  floatOnly(options.dtype, "rand");
  const arr = alloc(shapeSize(shape), options.dtype, "rand") as FloatArray;
  rng.fillUniform(arr, 0, 1);
  return make(arr, shape, options, "rand") as Tensor;
}

/** Integers uniform in [low, high) from `rng` (an int32 tensor), as torch.randint. */
export function randint(low: number, high: number, shape: readonly number[], rng: Rng): Tensor<Int32Array> {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) throw new Error(`randint: needs integers low < high, got ${low} and ${high}`);
  const arr = new Int32Array(shapeSize(shape));
  for (let i = 0; i < arr.length; i++) arr[i] = low + rng.int(high - low);
  return new Tensor(arr, shape);
}

/** start, start + step, … below end (`arange(5)` = 0…4), as torch.arange. */
export function arange(start: number, end: number | undefined, step: number | undefined, options: IntTensorOptions): Tensor<Int32Array>;
export function arange(start: number, end?: number, step?: number, options?: FloatTensorOptions): Tensor;
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor<TensorData> {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0) throw new Error("arange: step must be non-zero");
  const n = Math.max(0, Math.ceil((end - start) / step));
  const arr = alloc(n, options.dtype, "arange");
  for (let i = 0; i < n; i++) put(arr, i, start + i * step, "arange");
  return make(arr, [n], options, "arange");
}
