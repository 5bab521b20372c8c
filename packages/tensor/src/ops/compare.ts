/**
 * Comparisons (`eq`, `ne`, `lt`, `le`, `gt`, `ge`) and the logical ops on masks. Results are
 * int32 tensors of 0/1 (PyTorch's bool tensors), usable as `where` conditions and `maskedFill`
 * masks; they carry no gradient. Operands broadcast, and may be float or int32 tensors or numbers.
 */
import { Tensor, shapeSize, type DType, type TensorData } from "../tensor.js";
import { allocFloat32, allocInt32 } from "../arena.js";
import { broadcastIndex, broadcastShapes } from "../shape.js";
import { requireInt } from "../dtype-check.js";
import { operand, resultDtype, type Operand } from "./promote.js";

/** A comparison operand: a tensor of any dtype, or a number. */
export type CompareOperand = Operand;
type Test = (x: number, y: number) => boolean;

/**
 * The operand's values as torch compares them: in the promoted dtype (promote.ts), so a number
 * against a float32 tensor is float32 (`x == 0.1` holds where x is float32(0.1)), and an int32
 * tensor against a float32 one is rounded to float32 as torch's promotion does.
 */
function values(op: string, v: CompareOperand, dtype: DType, arg: string): Tensor<TensorData> {
  const t = operand(v, dtype, op, arg);
  if (dtype !== "float32" || !(t.data instanceof Int32Array)) return t;
  const rounded = allocFloat32(t.size);
  for (let i = 0; i < rounded.length; i++) rounded[i] = t.data[i];
  return new Tensor(rounded, t.shape);
}

function compare(op: string, a: CompareOperand, b: CompareOperand, test: Test): Tensor<Int32Array> {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) throw new Error(`${op}: at least one operand must be a Tensor`);
  const dtype = resultDtype(a, b);
  const x = values(op, a, dtype, "input");
  const y = values(op, b, dtype, "other");
  const shape = broadcastShapes(x.shape, y.shape, op);
  const mapA = broadcastIndex(x.shape, shape);
  const mapB = broadcastIndex(y.shape, shape);
  const n = shapeSize(shape);
  const out = allocInt32(n);
  const ad = x.data, bd = y.data;
  for (let i = 0; i < n; i++) out[i] = test(ad[mapA ? mapA[i] : i], bd[mapB ? mapB[i] : i]) ? 1 : 0;
  return new Tensor(out, shape);
}

// Every comparison with NaN is false except `ne`, as IEEE 754 (and PyTorch) say.

/** `a == b` elementwise with broadcasting → int32 0/1 of the broadcast shape. */
export function eq(a: CompareOperand, b: CompareOperand): Tensor<Int32Array> {
  return compare("eq", a, b, (x, y) => x === y);
}

/** `a != b` elementwise with broadcasting → int32 0/1 of the broadcast shape. */
export function ne(a: CompareOperand, b: CompareOperand): Tensor<Int32Array> {
  return compare("ne", a, b, (x, y) => x !== y);
}

/** `a < b` elementwise with broadcasting → int32 0/1 of the broadcast shape. */
export function lt(a: CompareOperand, b: CompareOperand): Tensor<Int32Array> {
  return compare("lt", a, b, (x, y) => x < y);
}

/** `a <= b` elementwise with broadcasting → int32 0/1 of the broadcast shape. */
export function le(a: CompareOperand, b: CompareOperand): Tensor<Int32Array> {
  return compare("le", a, b, (x, y) => x <= y);
}

/** `a > b` elementwise with broadcasting → int32 0/1 of the broadcast shape. */
export function gt(a: CompareOperand, b: CompareOperand): Tensor<Int32Array> {
  return compare("gt", a, b, (x, y) => x > y);
}

/** `a >= b` elementwise with broadcasting → int32 0/1 of the broadcast shape. */
export function ge(a: CompareOperand, b: CompareOperand): Tensor<Int32Array> {
  return compare("ge", a, b, (x, y) => x >= y);
}

/** 1 where `mask` is 0, else 0 (any non-zero counts as true). `mask`: int32, any shape. */
export function logicalNot(mask: Tensor<Int32Array>): Tensor<Int32Array> {
  requireInt(mask, "logicalNot", "input");
  const out = allocInt32(mask.size);
  for (let i = 0; i < out.length; i++) out[i] = mask.data[i] === 0 ? 1 : 0;
  return new Tensor(out, mask.shape);
}

function logical(op: string, a: Tensor<Int32Array>, b: Tensor<Int32Array>, both: boolean): Tensor<Int32Array> {
  requireInt(a, op, "input");
  requireInt(b, op, "other");
  return compare(op, a, b, both ? (x, y) => x !== 0 && y !== 0 : (x, y) => x !== 0 || y !== 0);
}

/** 1 where both masks are non-zero (int32, broadcasting). */
export function logicalAnd(a: Tensor<Int32Array>, b: Tensor<Int32Array>): Tensor<Int32Array> {
  return logical("logicalAnd", a, b, true);
}

/** 1 where either mask is non-zero (int32, broadcasting). */
export function logicalOr(a: Tensor<Int32Array>, b: Tensor<Int32Array>): Tensor<Int32Array> {
  return logical("logicalOr", a, b, false);
}
