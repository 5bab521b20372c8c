/** Elementwise unary maths ops, each backward under its forward. */
import { Tensor, fromOp, gradSlot, SAVES_NOTHING } from "../tensor.js";
import { requireFloat } from "../dtype-check.js";
import { allocLike } from "../arena.js";

export function neg(x: Tensor): Tensor {
  requireFloat(x, "neg", "input");
  const out = allocLike(x.data, x.size);
  for (let i = 0; i < out.length; i++) out[i] = -x.data[i];
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < g.length; i++) s[i] -= g[i];
  }, SAVES_NOTHING);
}

export function exp(x: Tensor): Tensor {
  requireFloat(x, "exp", "input");
  const out = allocLike(x.data, x.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(x.data[i]);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < g.length; i++) s[i] += g[i] * out[i];
  }, SAVES_NOTHING, true);
}

/** Natural logarithm. */
export function log(x: Tensor): Tensor {
  requireFloat(x, "log", "input");
  const out = allocLike(x.data, x.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.log(x.data[i]);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < g.length; i++) s[i] += g[i] / x.data[i];
  });
}

export function sqrt(x: Tensor): Tensor {
  requireFloat(x, "sqrt", "input");
  const out = allocLike(x.data, x.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(x.data[i]);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < g.length; i++) s[i] += g[i] / (2 * out[i]);
  }, SAVES_NOTHING, true);
}

/** |x|; the gradient at 0 is 0 (sign(0) = 0), as PyTorch. */
export function abs(x: Tensor): Tensor {
  requireFloat(x, "abs", "input");
  const out = allocLike(x.data, x.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.abs(x.data[i]);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (s) for (let i = 0; i < g.length; i++) s[i] += g[i] * Math.sign(x.data[i]);
  });
}

/** x ** exponent for a number exponent. */
export function pow(x: Tensor, exponent: number): Tensor {
  requireFloat(x, "pow", "input");
  if (typeof exponent !== "number" || Number.isNaN(exponent)) throw new Error(`pow: exponent must be a number, got ${String(exponent)}`);
  const out = allocLike(x.data, x.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.pow(x.data[i], exponent);
  return fromOp(out, x.shape, [x], (g) => {
    const s = gradSlot(x);
    if (!s) return;
    if (exponent === 0) return;
    for (let i = 0; i < g.length; i++) s[i] += g[i] * exponent * Math.pow(x.data[i], exponent - 1);
  });
}
