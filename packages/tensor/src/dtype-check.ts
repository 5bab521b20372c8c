/** The dtype checks every op makes on its arguments, with errors that name the op and the argument. */
import type { Tensor, TensorData } from "./tensor.js";

/** Throws unless `t` is a float tensor: `add: argument "input" must be a float tensor, got int32 …`. */
export function requireFloat(t: Tensor<TensorData>, op: string, arg: string): asserts t is Tensor {
  if (t.data instanceof Int32Array) {
    throw new Error(`${op}: argument "${arg}" must be a float tensor (float32 or float64), got int32 of shape [${t.shape.join(", ")}] — convert it with .float()`);
  }
}

/** Throws unless `t` is an int32 tensor (indices, tokens, masks, conditions). */
export function requireInt(t: Tensor<TensorData>, op: string, arg: string): asserts t is Tensor<Int32Array> {
  if (!(t.data instanceof Int32Array)) {
    throw new Error(`${op}: argument "${arg}" must be an int32 tensor (indices or a 0/1 mask), got ${t.dtype} of shape [${t.shape.join(", ")}] — build it from an Int32Array or with { dtype: "int32" }, or convert with .int()`);
  }
}
