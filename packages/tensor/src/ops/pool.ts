/**
 * 2-D pooling over the last two dims of x [N, C, H, W] (or [C, H, W]), as PyTorch's
 * F.max_pool2d, F.avg_pool2d and F.adaptive_avg_pool2d, on the pooling kernels (kernels/js/pool.ts;
 * the wasm backend's for float32). Max pooling keeps each window's winner (an index per output)
 * for its backward; average pooling's backward re-derives each window's divisor.
 */
import { Tensor, fromOp, freshGradSlot, gradSlot, formatShape, SAVES_NOTHING } from "../tensor.js";
import { allocEmptyInt32, allocEmptyLike } from "../arena.js";
import { kernels } from "../kernels/backend.js";
import type { PoolGeometry } from "../kernels/interface.js";
import { requireFloat } from "../dtype-check.js";
import { perAxis } from "./conv-args.js";

/** The options of F.max_pool2d / F.avg_pool2d, camelCased: a number applies to both axes. */
export interface Pool2dOptions {
  /** Window stride (default: the kernel size). */
  stride?: number | readonly number[];
  /** Implicit padding on both sides (default 0): at most half the kernel size. Max pooling pads with −∞, average pooling with zeros. */
  padding?: number | readonly number[];
  /** Round the output size up instead of down (default false); a window may not start in the right padding. */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count the zero padding in each window's divisor (default true). */
  countIncludePad?: boolean;
}

/** Planes (product of the leading dims), H and W of x [N, C, H, W] or [C, H, W]. */
function planesOf(op: string, x: Tensor): { planes: number; h: number; w: number } {
  requireFloat(x, op, "input");
  if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`${op}: expected input [N, C, H, W] (or unbatched [C, H, W]), got shape ${formatShape(x.shape)}`);
  const h = x.shape[x.ndim - 2], w = x.shape[x.ndim - 1];
  return { planes: x.size === 0 ? 0 : x.size / (h * w), h, w };
}

/** PyTorch's pooling output size along one axis: ⌊(n + 2p − k)/s⌋ + 1, or with ceilMode ⌈…⌉ + 1 less a window starting in the right padding. */
function outSize(n: number, k: number, s: number, p: number, ceil: boolean): number {
  const span = n + 2 * p - k;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

/** The validated window geometry of a max or average pooling call. */
function poolPlan(op: string, x: Tensor, kernelSize: number | readonly number[], o: Pool2dOptions): { planes: number; g: PoolGeometry } {
  const { planes, h, w } = planesOf(op, x);
  const [kh, kw] = perAxis(op, "kernelSize", kernelSize, 2, 1);
  const [sh, sw] = o.stride === undefined || (Array.isArray(o.stride) && o.stride.length === 0) ? [kh, kw] : perAxis(op, "stride", o.stride, 2, 1);
  const [ph, pw] = perAxis(op, "padding", o.padding ?? 0, 2, 0);
  if (2 * ph > kh || 2 * pw > kw) throw new Error(`${op}: padding ${JSON.stringify([ph, pw])} must be at most half the kernel size ${JSON.stringify([kh, kw])}`);
  const ceil = o.ceilMode ?? false;
  const oh = outSize(h, kh, sh, ph, ceil), ow = outSize(w, kw, sw, pw, ceil);
  if (oh < 1 || ow < 1) throw new Error(`${op}: the input ${formatShape(x.shape)} is too small for the kernel ${JSON.stringify([kh, kw])} with padding ${JSON.stringify([ph, pw])} (output ${oh}×${ow})`);
  return { planes, g: { h, w, kh, kw, sh, sw, ph, pw, oh, ow } };
}

const outShape = (x: Tensor, oh: number, ow: number): number[] => [...x.shape.slice(0, -2), oh, ow];

/**
 * Max pooling, as F.max_pool2d: x [N, C, H, W] → [N, C, oh, ow], each output the maximum of its
 * window (padding never wins); the gradient goes to that element.
 *
 * @example
 * const y = maxPool2d(x, 2); // [8, 16, 28, 28] → [8, 16, 14, 14]
 */
export function maxPool2d(x: Tensor, kernelSize: number | readonly number[], options: Pool2dOptions = {}): Tensor {
  const { planes, g } = poolPlan("maxPool2d", x, kernelSize, options);
  const n = planes * g.oh * g.ow;
  const out = allocEmptyLike(x.data, n); // the kernels write every output
  const argmax = allocEmptyInt32(n);
  kernels().maxPool2dForward(x.data, planes, g, out, argmax);
  return fromOp(out, outShape(x, g.oh, g.ow), [x], (gy) => {
    const fresh = freshGradSlot(x), sx = fresh ?? gradSlot(x);
    if (sx) kernels().maxPool2dBackward(gy, argmax, planes, g, sx, fresh !== null);
  }, SAVES_NOTHING);
}

/**
 * Average pooling, as F.avg_pool2d: x [N, C, H, W] → [N, C, oh, ow]; each window's in-bounds sum
 * divided by its size within the padded input (`countIncludePad`, the default) or by its
 * in-bounds count.
 *
 * @example
 * const y = avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false });
 */
export function avgPool2d(x: Tensor, kernelSize: number | readonly number[], options: AvgPool2dOptions = {}): Tensor {
  const { planes, g } = poolPlan("avgPool2d", x, kernelSize, options);
  const cip = options.countIncludePad ?? true;
  const out = allocEmptyLike(x.data, planes * g.oh * g.ow);
  kernels().avgPool2dForward(x.data, planes, g, cip, out);
  return fromOp(out, outShape(x, g.oh, g.ow), [x], (gy) => {
    const sx = gradSlot(x);
    if (sx) kernels().avgPool2dBackward(gy, planes, g, cip, sx);
  }, SAVES_NOTHING);
}

/**
 * Adaptive average pooling, as F.adaptive_avg_pool2d: x [N, C, H, W] → [N, C, oh, ow]; cell i
 * averages rows ⌊i·H/oh⌋ … ⌈(i+1)·H/oh⌉ − 1 (columns alike; cells overlap when oh does not
 * divide H). `outputSize`: a number for both, or `[oh, ow]` where null keeps that input size.
 *
 * @example
 * const y = adaptiveAvgPool2d(x, 1); // global average pooling: [8, 64, 7, 7] → [8, 64, 1, 1]
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const { planes, h, w } = planesOf("adaptiveAvgPool2d", x);
  const given = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize.map((v, a) => v ?? [h, w][a]);
  const [oh, ow] = perAxis("adaptiveAvgPool2d", "outputSize", given, 2, 1);
  if (h === 0 || w === 0) throw new Error(`adaptiveAvgPool2d: the input ${formatShape(x.shape)} has an empty spatial dim`);
  const out = allocEmptyLike(x.data, planes * oh * ow);
  kernels().adaptiveAvgPool2dForward(x.data, planes, h, w, oh, ow, out);
  return fromOp(out, outShape(x, oh, ow), [x], (gy) => {
    const sx = gradSlot(x);
    if (sx) kernels().adaptiveAvgPool2dBackward(gy, planes, h, w, oh, ow, sx);
  }, SAVES_NOTHING);
}
