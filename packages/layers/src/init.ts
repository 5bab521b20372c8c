/**
 * Weight initialisation, after torch.nn.init: in place, seeded (a generator is passed, or the
 * default one from `manualSeed`). Fans of a weight [out, in] are fanIn = in, fanOut = out.
 */
import { defaultRng, formatShape, type Rng, type Tensor } from "@weft/tensor";

export type Nonlinearity = "linear" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";
export type FanMode = "fanIn" | "fanOut";

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/** [fanIn, fanOut] of a weight of 2 or more dimensions (receptive field = product of the rest). */
export function fans(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new Error(`init: fan in and fan out need a tensor of at least 2 dimensions, got shape ${formatShape(t.shape)}`);
  let receptive = 1;
  for (let i = 2; i < t.ndim; i++) receptive *= t.shape[i];
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

function fillUniform(t: Tensor, bound: number, rng: Rng): Tensor {
  rng.fillUniform(t.data, -bound, bound);
  return t;
}

function fillNormal(t: Tensor, std: number, rng: Rng): Tensor {
  rng.fillNormal(t.data, 0, std);
  return t;
}

/** U(−a, a) with a = gain·√(6 / (fanIn + fanOut)) (Glorot & Bengio). */
export function xavierUniform(t: Tensor, gain = 1, rng: Rng = defaultRng()): Tensor {
  const [fi, fo] = fans(t);
  return fillUniform(t, gain * Math.sqrt(6 / (fi + fo)), rng);
}

/** N(0, std²) with std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, gain = 1, rng: Rng = defaultRng()): Tensor {
  const [fi, fo] = fans(t);
  return fillNormal(t, gain * Math.sqrt(2 / (fi + fo)), rng);
}

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU after this layer (torch's `a`). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const [fi, fo] = fans(t);
  const fan = (o.mode ?? "fanIn") === "fanIn" ? fi : fo;
  return calculateGain(o.nonlinearity ?? "leaky_relu", o.a ?? 0) / Math.sqrt(fan);
}

/** U(−b, b) with b = gain·√(3 / fan) (He et al.); torch's defaults: a = 0, fanIn, leaky_relu. */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}, rng: Rng = defaultRng()): Tensor {
  return fillUniform(t, Math.sqrt(3) * kaimingStd(t, options), rng);
}

/** N(0, std²) with std = gain / √fan (He et al.). */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}, rng: Rng = defaultRng()): Tensor {
  return fillNormal(t, kaimingStd(t, options), rng);
}

/** U(low, high). */
export function uniform(t: Tensor, low = 0, high = 1, rng: Rng = defaultRng()): Tensor {
  rng.fillUniform(t.data, low, high);
  return t;
}

export function zeros(t: Tensor): Tensor {
  t.data.fill(0);
  return t;
}

export function ones(t: Tensor): Tensor {
  t.data.fill(1);
  return t;
}
