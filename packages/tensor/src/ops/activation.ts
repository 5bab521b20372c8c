/**
 * Activation ops: thin autograd wrappers over the kernels in kernels/activation.ts, the
 * elementwise ones through kernels/backend.ts (float32 under the wasm backend: the wasm kernels).
 */
import { Tensor, fromOp, gradSlot } from "../tensor.js";
import { allocLike } from "../arena.js";
import { normalizeAxis, splitAxis } from "../shape.js";
import * as k from "../kernels/activation.js";
import * as b from "../kernels/backend.js";
import { reluBackward, reluForward } from "../kernels/backend.js";

/** max(x, 0) (float32 under the wasm backend: the SIMD kernel, see kernels/backend.ts). */
export function relu(x: Tensor): Tensor {
  const out = allocLike(x.data, x.size);
  reluForward(x.data, out);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) reluBackward(x.data, g, s);
  });
}

/** x for x > 0, negativeSlope·x otherwise (PyTorch's default slope 0.01). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const out = allocLike(x.data, x.size);
  b.leakyReluForward(x.data, out, negativeSlope);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) b.leakyReluBackward(x.data, g, s, negativeSlope);
  });
}

/** 1 / (1 + e^−x), computed stably for large |x|. */
export function sigmoid(x: Tensor): Tensor {
  const out = allocLike(x.data, x.size);
  b.sigmoidForward(x.data, out);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) b.sigmoidBackward(out, g, s);
  });
}

export function tanh(x: Tensor): Tensor {
  const out = allocLike(x.data, x.size);
  b.tanhForward(x.data, out);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) b.tanhBackward(out, g, s);
  });
}

/** GELU; `approximate: "none"` (default, exact via erf) or `"tanh"`, as torch.nn.functional.gelu. */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  if (approximate !== "none" && approximate !== "tanh") throw new Error(`gelu: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  const out = allocLike(x.data, x.size);
  b.geluForward(x.data, out, approximate);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) b.geluBackward(x.data, g, s, approximate);
  });
}

function softmaxOp(x: Tensor, axis: number, log: boolean): Tensor {
  const ax = normalizeAxis(axis, x.ndim, log ? "logSoftmax" : "softmax");
  const [outer, dim, inner] = splitAxis(x.shape, ax);
  const out = allocLike(x.data, x.size);
  b.softmaxForward(x.data, out, outer, dim, inner, log); // last axis, float32, wasm backend: the wasm kernel
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) b.softmaxBackward(out, g, s, outer, dim, inner, log);
  });
}

/** Softmax along `axis` (stable). */
export function softmax(x: Tensor, axis: number): Tensor {
  return softmaxOp(x, axis, false);
}

/** log(softmax(x)) along `axis`, by log-sum-exp (no overflow, no log 0). */
export function logSoftmax(x: Tensor, axis: number): Tensor {
  return softmaxOp(x, axis, true);
}
