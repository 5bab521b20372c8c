/**
 * Type promotion for the ops that mix tensors of any dtype with numbers (where, maximum, minimum,
 * clamp), as torch's: float64 beats float32 beats int32, and a fractional number makes an int
 * result float32 (torch's default float dtype). A number takes the result's dtype before it is
 * compared or stored — torch's "wrapped scalars" — so `maximum(x, 0.1)` on float32 compares with
 * float32(0.1), and an element equal to it is a tie.
 */
import { Tensor, type DType, type TensorData } from "../tensor.js";
import { allocFloat32, allocFloat64, allocInt32 } from "../arena.js";

/** A tensor operand of any dtype, or a number. */
export type Operand = Tensor<TensorData> | number;

/** The dtype of a result computed from `operands`. */
export function resultDtype(...operands: readonly Operand[]): DType {
  let float32 = false;
  for (const v of operands) {
    if (v instanceof Tensor) {
      if (v.dtype === "float64") return "float64";
      if (v.dtype === "float32") float32 = true;
    } else if (!(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647)) float32 = true; // no int64 here: a number int32 cannot hold is a float
  }
  return float32 ? "float32" : "int32";
}

/** `v` as a tensor; a number becomes a 0-d tensor of `dtype` (rounded to float32 there). Throws naming the op and argument. */
export function operand(v: Operand, dtype: DType, op: string, arg: string): Tensor<TensorData> {
  if (v instanceof Tensor) return v;
  if (typeof v !== "number") throw new Error(`${op}: argument "${arg}" must be a Tensor or a number, got ${Object.prototype.toString.call(v)}`);
  const data = allocDtype(dtype, 1);
  data[0] = v;
  return new Tensor(data, []);
}

/** n zeroed elements of `dtype`, from the active arena when there is one. */
export function allocDtype(dtype: DType, n: number): TensorData {
  return dtype === "float64" ? allocFloat64(n) : dtype === "float32" ? allocFloat32(n) : allocInt32(n);
}
