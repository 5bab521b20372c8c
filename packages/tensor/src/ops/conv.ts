/**
 * conv1d and conv2d (PyTorch's F.conv1d / F.conv2d: cross-correlation over NCHW, stride,
 * padding including "same", dilation, groups) as im2col + the blocked gemm, backward under
 * forward: per sample and group, col = im2col(x) [C/g·kh·kw, oh·ow], y = W·col (+ bias);
 * dW += dy·colᵀ, dcol = Wᵀ·dy folded back by col2im, db += Σ dy. A 1×1, stride-1, unpadded
 * convolution reads x itself as col (no unfold). col is recomputed in backward rather than kept
 * from forward: keeping N of them multiplies the step's memory by the kernel area, and did not pay
 * (bench/dist/conv-micro.js, layer 2 at 64 rows, alternated runs: keeping every col made the
 * forward ≈ 1.6 ms slower, from the extra memory traffic, and the backward ≈ 1.7 ms faster).
 *
 * A 3×3, stride-1, padding-1 2-D convolution between at least {@link WINOGRAD_MIN_CHANNELS}
 * channels each way runs its forward and its dx as Winograd F(2×2, 3×3) instead (see
 * {@link winograd}): 16 multiplies per 2×2 outputs and channel pair instead of 36 — the standard
 * CNN's second convolution, where the two passes were more than half of the step's gemm work.
 * dW stays im2col + gemm.
 */
import { Tensor, fromOp, freshGradSlot, gradSlot, formatShape } from "../tensor.js";
import { allocEmptyLike } from "../arena.js";
import { gemm, kernels } from "../kernels/backend.js";
import type { ConvGeometry, FloatArray } from "../kernels/interface.js";
import { requireFloat } from "../dtype-check.js";
import { perAxis } from "./conv-args.js";

/** The options of F.conv1d / F.conv2d, camelCased: a number applies to every spatial axis. */
export interface ConvOptions {
  /** Stride (default 1). */
  stride?: number | readonly number[];
  /**
   * Zero padding on both sides of each axis (default 0), or `"valid"` (none) or `"same"` (the
   * output keeps the input's size; stride 1 only; an odd total puts the extra column at the end, as PyTorch).
   */
  padding?: number | readonly number[] | "same" | "valid";
  /** Spacing between kernel taps (default 1). */
  dilation?: number | readonly number[];
  /** Input and output channels split into this many groups (default 1; `groups = C` is depthwise). */
  groups?: number;
}

/** The validated geometry of one convolution call, with the batch and channel counts. */
interface Conv {
  n: number; cIn: number; cOut: number; groups: number;
  geom: ConvGeometry;
}

/** Checks x, weight, bias and the options of an `axes`-D convolution (x [N, C, …spatial] or unbatched [C, …]); returns its geometry. */
function plan(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, axes: 1 | 2, o: ConvOptions): Conv {
  requireFloat(x, op, "input");
  requireFloat(weight, op, "weight");
  if (bias) requireFloat(bias, op, "bias");
  const dims = axes === 1 ? "[N, C, L]" : "[N, C, H, W]";
  if (x.ndim !== axes + 2 && x.ndim !== axes + 1) throw new Error(`${op}: expected input ${dims} (or unbatched, without N), got shape ${formatShape(x.shape)}`);
  if (weight.ndim !== axes + 2) throw new Error(`${op}: expected weight [outChannels, inChannels/groups, ${axes === 1 ? "k" : "kh, kw"}], got shape ${formatShape(weight.shape)}`);
  if (x.dtype !== weight.dtype || (bias && bias.dtype !== x.dtype)) {
    throw new Error(`${op}: input (${x.dtype}), weight (${weight.dtype})${bias ? ` and bias (${bias.dtype})` : ""} must have one dtype; convert with toDtype`);
  }
  const batched = x.ndim === axes + 2;
  const n = batched ? x.shape[0] : 1;
  const cIn = x.shape[batched ? 1 : 0];
  const spatial = x.shape.slice(batched ? 2 : 1);
  const cOut = weight.shape[0];
  const kernel = weight.shape.slice(2);
  const groups = o.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${op}: groups must be a positive integer, got ${groups}`);
  if (cIn % groups !== 0 || cOut % groups !== 0) throw new Error(`${op}: groups = ${groups} must divide both the input's ${cIn} channels and the weight's ${cOut} output channels`);
  if (weight.shape[1] * groups !== cIn) {
    throw new Error(`${op}: weight ${formatShape(weight.shape)} with groups = ${groups} expects ${weight.shape[1] * groups} input channels, but the input ${formatShape(x.shape)} has ${cIn}`);
  }
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== cOut)) throw new Error(`${op}: bias must have shape [${cOut}], got ${formatShape(bias.shape)}`);
  const stride = perAxis(op, "stride", o.stride ?? 1, axes, 1);
  const dilation = perAxis(op, "dilation", o.dilation ?? 1, axes, 1);
  const padding = o.padding ?? 0;
  let lead: number[];
  let out: number[];
  if (padding === "same") {
    if (stride.some((s) => s !== 1)) throw new Error(`${op}: padding "same" is not supported for strided convolutions (stride ${JSON.stringify(o.stride)})`);
    // Total d·(k − 1) per axis, the smaller half first (PyTorch's split for an odd total).
    lead = kernel.map((k, a) => Math.floor((dilation[a] * (k - 1)) / 2));
    out = spatial;
  } else {
    lead = padding === "valid" ? new Array<number>(axes).fill(0) : perAxis(op, "padding", padding, axes, 0);
    out = spatial.map((s, a) => Math.floor((s + 2 * lead[a] - dilation[a] * (kernel[a] - 1) - 1) / stride[a]) + 1);
  }
  if (out.some((v) => v < 1)) {
    throw new Error(`${op}: the input ${formatShape(x.shape)} is too small for the kernel ${formatShape(kernel)} with padding ${JSON.stringify(padding)} and dilation ${JSON.stringify(o.dilation ?? 1)} (output size ${formatShape(out)})`);
  }
  const at = (v: number[], d: number): number => (axes === 1 ? d : v[0]);
  const last = (v: number[]): number => v[axes - 1];
  return {
    n, cIn, cOut, groups,
    geom: {
      c: cIn / groups, h: at(spatial, 1), w: last(spatial), kh: at(kernel, 1), kw: last(kernel),
      sh: at(stride, 1), sw: last(stride), ph: at(lead, 0), pw: last(lead), dh: at(dilation, 1), dw: last(dilation),
      oh: at(out, 1), ow: last(out),
    },
  };
}

/** The convolution itself on flat NCHW data (1-D as h = 1), forward and backward. */
function convolve(x: Tensor, weight: Tensor, bias: Tensor | null | undefined, { n, cIn, cOut, groups, geom }: Conv, shape: number[]): Tensor {
  const xd = x.data, wd = weight.data;
  const cg = geom.c, og = cOut / groups;
  const k = cg * geom.kh * geom.kw, l = geom.oh * geom.ow, hw = geom.h * geom.w;
  // A 1×1, stride-1, unpadded convolution: x is its own im2col.
  const direct = geom.kh === 1 && geom.kw === 1 && geom.sh === 1 && geom.sw === 1 && geom.ph === 0 && geom.pw === 0;
  const wino = winogradApplies(geom, groups, cIn, cOut);
  const ks = kernels();
  const out = allocEmptyLike(xd, n * cOut * l); // every gemm writes its block (beta 0)
  const col = direct ? null : allocEmptyLike(xd, k * l); // im2col writes it whole, padding zeros included
  if (wino) winograd(xd, wd, false, n, cIn, cOut, geom.h, geom.w, out, false);
  else for (let s = 0; s < n; s++) {
    for (let g = 0; g < groups; g++) {
      const xOff = (s * cIn + g * cg) * hw, yOff = (s * cOut + g * og) * l;
      if (col) ks.im2col(xd, xOff, geom, col);
      gemm(false, false, og, l, k, 1, wd, g * og * k, k, col ?? xd, col ? 0 : xOff, l, 0, out, yOff, l);
    }
  }
  if (bias) addBias(out, bias.data, n, cOut, l);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return fromOp(out, shape, inputs, (gy) => {
    const sb = bias ? gradSlot(bias) : null;
    if (sb) biasGrad(gy, sb, n, cOut, l);
    // Winograd's dx writes the whole gradient: as its first producer it needs no zeroed slot.
    const fresh = wino ? freshGradSlot(x) : null;
    const sx = fresh ?? gradSlot(x), sw = gradSlot(weight);
    if (!sx && !sw) return;
    if (wino && sx) winograd(gy, wd, true, n, cOut, cIn, geom.h, geom.w, sx, fresh === null);
    const dcol = sx && !direct && !wino ? allocEmptyLike(xd, k * l) : null;
    for (let s = 0; s < n; s++) {
      for (let g = 0; g < groups; g++) {
        const xOff = (s * cIn + g * cg) * hw, yOff = (s * cOut + g * og) * l;
        if (sw) { // dW_g += dy_g · colᵀ
          if (col) ks.im2col(xd, xOff, geom, col);
          gemm(false, true, og, k, l, 1, gy, yOff, l, col ?? xd, col ? 0 : xOff, l, 1, sw, g * og * k, k);
        }
        if (sx && !wino) { // dcol = W_gᵀ · dy_g, folded back onto dx
          if (dcol) {
            gemm(true, false, k, l, og, 1, wd, g * og * k, k, gy, yOff, l, 0, dcol, 0, l);
            ks.col2im(dcol, geom, sx, xOff);
          } else {
            gemm(true, false, k, l, og, 1, wd, g * og * k, k, gy, yOff, l, 1, sx, xOff, l);
          }
        }
      }
    }
  });
}

/**
 * The fewest input and output channels for which {@link winograd} replaces im2col + gemm: below
 * that its 16 gemms are too thin (k = channels) to beat one gemm of 9× the depth — the standard
 * CNN's first convolution (1 → 32 channels) stays on im2col.
 */
export const WINOGRAD_MIN_CHANNELS = 16;

/** Whether a convolution takes the Winograd path: 2-D 3×3, stride 1, dilation 1, padding 1 (output = input size), no groups, enough channels. */
function winogradApplies(g: ConvGeometry, groups: number, cIn: number, cOut: number): boolean {
  return groups === 1 && g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1
    && g.ph === 1 && g.pw === 1 && g.oh === g.h && g.ow === g.w && cIn >= WINOGRAD_MIN_CHANNELS && cOut >= WINOGRAD_MIN_CHANNELS;
}

/**
 * Tiles per gemm (n of the 16 products): samples go through in chunks of about this many 2×2
 * tiles, so that V and M (16·channels·tiles floats each) stay near L2 — the transforms and B's
 * packing took 18% of the standard CNN's step at 1,024 tiles, 12% at 512 and 256 (profile shares).
 */
const WINOGRAD_TILES = 512;

/**
 * y = the 3×3, padding-1 convolution of src [n, ci, h, w] by weight [cOut, cIn, 3, 3] as
 * Winograd F(2×2, 3×3) (Lavin & Gray 2016): U = G·g·Gᵀ per channel pair, V = Bᵀ·d·B per 4×4
 * input tile, M_ξ = U_ξ·V_ξ as 16 gemms [co × ci]·[ci × tiles], y = Aᵀ·M·A per 2×2 output tile.
 * Forward: ci = cIn, co = cOut; `flip` gives dx's convolution of dy (ci = cOut, co = cIn, the
 * kernel rotated by 180°). `accumulate` adds into y. Per-sample arithmetic does not depend on
 * the chunking, so W workers compute each sample's bits alike.
 */
function winograd(src: FloatArray, weight: FloatArray, flip: boolean, n: number, ci: number, co: number, h: number, w: number, y: FloatArray, accumulate: boolean): void {
  const ks = kernels();
  const tiles = ((h + 1) >> 1) * ((w + 1) >> 1), hw = h * w;
  const u = allocEmptyLike(src, 16 * co * ci);
  if (flip) ks.winogradWeights(weight, ci, co, true, u);
  else ks.winogradWeights(weight, co, ci, false, u);
  const chunk = Math.max(1, Math.min(n, Math.floor(WINOGRAD_TILES / tiles)));
  const v = allocEmptyLike(src, 16 * ci * chunk * tiles), m = allocEmptyLike(src, 16 * co * chunk * tiles);
  for (let s0 = 0; s0 < n; s0 += chunk) {
    const nc = Math.min(chunk, n - s0), t = nc * tiles;
    ks.winogradInput(src.subarray(s0 * ci * hw, (s0 + nc) * ci * hw), nc, ci, h, w, v);
    for (let xi = 0; xi < 16; xi++) gemm(false, false, co, t, ci, 1, u, xi * co * ci, ci, v, xi * ci * t, t, 0, m, xi * co * t, t);
    ks.winogradOutput(m, nc, co, h, w, y.subarray(s0 * co * hw, (s0 + nc) * co * hw), accumulate);
  }
}

/** out[s, o, :] += bias[o]. */
function addBias(out: FloatArray, b: FloatArray, n: number, c: number, l: number): void {
  for (let s = 0, i = 0; s < n; s++) {
    for (let o = 0; o < c; o++) {
      const v = b[o];
      for (let j = 0; j < l; j++, i++) out[i] += v;
    }
  }
}

/** sb[o] += Σ_{s, j} gy[s, o, j], each plane summed first. */
function biasGrad(gy: FloatArray, sb: FloatArray, n: number, c: number, l: number): void {
  for (let s = 0, i = 0; s < n; s++) {
    for (let o = 0; o < c; o++) {
      let acc = 0;
      for (let j = 0; j < l; j++, i++) acc += gy[i];
      sb[o] += acc;
    }
  }
}

/**
 * 2-D convolution, as torch.nn.functional.conv2d: x [N, C, H, W] (or unbatched [C, H, W]),
 * weight [O, C/groups, kh, kw], bias [O] → [N, O, oh, ow] with
 * `oh = ⌊(H + 2·padding − dilation·(kh − 1) − 1)/stride⌋ + 1` (likewise ow). Gradients flow to
 * every input that requires them.
 *
 * @example
 * const y = conv2d(x, w, b, { padding: 1 }); // x [8, 3, 28, 28], w [16, 3, 3, 3] → y [8, 16, 28, 28]
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const c = plan("conv2d", x, weight, bias, 2, options);
  const spatial = [c.geom.oh, c.geom.ow];
  return convolve(x, weight, bias, c, x.ndim === 4 ? [c.n, c.cOut, ...spatial] : [c.cOut, ...spatial]);
}

/**
 * 1-D convolution, as torch.nn.functional.conv1d: x [N, C, L] (or unbatched [C, L]),
 * weight [O, C/groups, k], bias [O] → [N, O, ⌊(L + 2·padding − dilation·(k − 1) − 1)/stride⌋ + 1].
 *
 * @example
 * const y = conv1d(x, w, null, { stride: 2 }); // x [4, 6, 100], w [8, 6, 5] → y [4, 8, 48]
 */
export function conv1d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const c = plan("conv1d", x, weight, bias, 1, options);
  return convolve(x, weight, bias, c, x.ndim === 3 ? [c.n, c.cOut, c.geom.ow] : [c.cOut, c.geom.ow]);
}
