/**
 * Activation ops: thin autograd wrappers over this thread's kernels (`kernels()`: float32 under
 * the wasm backend on the SIMD kernels, everything else on the js ones). Each forward kernel
 * writes its whole output, so the outputs skip the arena's zero-fill (allocEmptyLike).
 */
import { Tensor, fromOp, freshGradSlot, gradSlot, isGradEnabled, SAVES_NOTHING } from "../tensor.js";
import { requireFloat } from "../dtype-check.js";
import { allocEmptyLike } from "../arena.js";
import { normalizeAxis, splitAxis } from "../shape.js";
import { kernels } from "../kernels/backend.js";

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  requireFloat(x, "relu", "input");
  const out = allocEmptyLike(x.data, x.size);
  kernels().reluForward(x.data, out);
  return fromOp(out, x.shape, [x], (g) => {
    const fresh = freshGradSlot(x), s = fresh ?? gradSlot(x);
    if (s) kernels().reluBackward(x.data, g, s, fresh !== null);
  });
}

/** x for x > 0, negativeSlope·x otherwise (PyTorch's default slope 0.01). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  requireFloat(x, "leakyRelu", "input");
  const out = allocEmptyLike(x.data, x.size);
  kernels().leakyReluForward(x.data, out, negativeSlope);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) kernels().leakyReluBackward(x.data, g, s, negativeSlope);
  });
}

/** 1 / (1 + e^−x), computed stably for large |x|. */
export function sigmoid(x: Tensor): Tensor {
  requireFloat(x, "sigmoid", "input");
  const out = allocEmptyLike(x.data, x.size);
  kernels().sigmoidForward(x.data, out);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) kernels().sigmoidBackward(out, g, s);
  }, SAVES_NOTHING, true);
}

export function tanh(x: Tensor): Tensor {
  requireFloat(x, "tanh", "input");
  const out = allocEmptyLike(x.data, x.size);
  kernels().tanhForward(x.data, out);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) kernels().tanhBackward(out, g, s);
  }, SAVES_NOTHING, true);
}

/**
 * GELU; `approximate: "none"` (default, exact via erf) or `"tanh"`, as torch.nn.functional.gelu.
 * When x requires grad, the forward also writes GELU′(x) (the same erf/tanh evaluation), and the
 * backward is g·GELU′: its transcendental work was 60% of the op's cost in the char-LM.
 */
export function gelu(x: Tensor, approximate: "none" | "tanh" = "none"): Tensor {
  requireFloat(x, "gelu", "input");
  if (approximate !== "none" && approximate !== "tanh") throw new Error(`gelu: approximate must be "none" or "tanh", got ${JSON.stringify(approximate)}`);
  const out = allocEmptyLike(x.data, x.size);
  if (!isGradEnabled() || !x.requiresGrad) {
    kernels().geluForward(x.data, out, approximate);
    return new Tensor(out, x.shape);
  }
  const deriv = allocEmptyLike(x.data, x.size);
  kernels().geluForward(x.data, out, approximate, deriv);
  return fromOp(out, x.shape, [x], (g) => {
    const fresh = freshGradSlot(x), s = fresh ?? gradSlot(x);
    if (s) kernels().mulAccumulate(g, deriv, s, fresh !== null);
  }, SAVES_NOTHING);
}

function softmaxOp(x: Tensor, axis: number, log: boolean): Tensor {
  requireFloat(x, log ? "logSoftmax" : "softmax", "input");
  const ax = normalizeAxis(axis, x.ndim, log ? "logSoftmax" : "softmax");
  const [outer, dim, inner] = splitAxis(x.shape, ax);
  const out = allocEmptyLike(x.data, x.size);
  kernels().softmaxForward(x.data, out, outer, dim, inner, log);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) kernels().softmaxBackward(out, g, s, outer, dim, inner, log);
  }, SAVES_NOTHING, true);
}

/** Softmax along `axis` (stable). */
export function softmax(x: Tensor, axis: number): Tensor {
  return softmaxOp(x, axis, false);
}

/** log(softmax(x)) along `axis`, by log-sum-exp (no overflow, no log 0). */
export function logSoftmax(x: Tensor, axis: number): Tensor {
  return softmaxOp(x, axis, true);
}
