/**
 * The convolutional family of layer specs: Conv1d, Conv2d, BatchNorm2d, the 2-D poolings,
 * Flatten, Unflatten (flat rows [N, 784] → images [N, 1, 28, 28]), Dropout2d — the golden `train` format's names and options (camelCase of PyTorch's),
 * so a spec list holds a CNN over samples of shape [C, H, W].
 */
import { AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, Dropout2d, Flatten, MaxPool2d, Unflatten } from "@weft/layers";
import { BatchNorm2d } from "@weft/norm";
import type { MlpLayerSpec } from "./mlp.js";
import type { LayerBuilders } from "./types.js";

type PerAxis = number | number[];

interface ConvSpecOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: PerAxis;
  stride?: PerAxis;
  padding?: PerAxis | "same" | "valid";
  dilation?: PerAxis;
  groups?: number;
  bias?: boolean;
}

interface PoolSpecOptions {
  kernelSize: PerAxis;
  stride?: PerAxis;
  padding?: PerAxis;
  ceilMode?: boolean;
}

export type ConvLayerSpec =
  | ({ type: "Conv1d" } & ConvSpecOptions)
  | ({ type: "Conv2d" } & ConvSpecOptions)
  | { type: "BatchNorm2d"; numFeatures: number; eps?: number; momentum?: number | null; affine?: boolean; trackRunningStats?: boolean }
  | ({ type: "MaxPool2d" } & PoolSpecOptions)
  | ({ type: "AvgPool2d"; countIncludePad?: boolean } & PoolSpecOptions)
  | { type: "AdaptiveAvgPool2d"; outputSize: number | (number | null)[] }
  | { type: "Flatten"; startDim?: number; endDim?: number }
  | { type: "Unflatten"; dim: number; unflattenedSize: number[] }
  | { type: "Dropout2d"; p?: number };

const CONV_OPTIONS = ["inChannels", "outChannels", "kernelSize", "stride", "padding", "dilation", "groups", "bias"] as const;
const POOL_OPTIONS = ["kernelSize", "stride", "padding", "ceilMode"] as const;

export const CONV_LAYERS: LayerBuilders<ConvLayerSpec> = {
  Conv1d: { options: CONV_OPTIONS, build: ({ type: _t, inChannels, outChannels, kernelSize, ...o }, rng) => new Conv1d(inChannels, outChannels, kernelSize, { ...o, rng }) },
  Conv2d: { options: CONV_OPTIONS, build: ({ type: _t, inChannels, outChannels, kernelSize, ...o }, rng) => new Conv2d(inChannels, outChannels, kernelSize, { ...o, rng }) },
  BatchNorm2d: {
    options: ["numFeatures", "eps", "momentum", "affine", "trackRunningStats"],
    build: ({ type: _t, numFeatures, ...o }) => new BatchNorm2d(numFeatures, o),
  },
  MaxPool2d: { options: POOL_OPTIONS, build: ({ type: _t, kernelSize, ...o }) => new MaxPool2d(kernelSize, o) },
  AvgPool2d: { options: [...POOL_OPTIONS, "countIncludePad"], build: ({ type: _t, kernelSize, ...o }) => new AvgPool2d(kernelSize, o) },
  AdaptiveAvgPool2d: { options: ["outputSize"], build: (l) => new AdaptiveAvgPool2d(l.outputSize) },
  Flatten: { options: ["startDim", "endDim"], build: (l) => new Flatten(l.startDim ?? 1, l.endDim ?? -1) },
  Unflatten: { options: ["dim", "unflattenedSize"], build: (l) => new Unflatten(l.dim, l.unflattenedSize) },
  Dropout2d: { options: ["p"], build: (l, rng) => new Dropout2d(l.p ?? 0.5, { rng }) },
};

/**
 * Floats of a conv-family layer's parameters, from its spec alone (0 for the layers without any,
 * and for a spec too malformed to count: building it then names what is wrong).
 */
export function convParameterCount(l: ConvLayerSpec): number {
  const count = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  if (l.type === "Conv1d" || l.type === "Conv2d") {
    const ks = l.kernelSize;
    const k = typeof ks === "number" ? ks ** (l.type === "Conv1d" ? 1 : 2) : Array.isArray(ks) ? ks.reduce((a, b) => a * count(b), 1) : 0;
    return (count(l.outChannels) * count(l.inChannels) * k) / Math.max(1, count(l.groups ?? 1)) + (l.bias ?? true ? count(l.outChannels) : 0);
  }
  if (l.type === "BatchNorm2d") return l.affine ?? true ? 2 * count(l.numFeatures) : 0;
  return 0;
}

type ConvOrMlpSpec = ConvLayerSpec | MlpLayerSpec;

/**
 * The standard CNN of issue 14 over `[N, 1, side, side]` images (side a multiple of 4):
 * Conv2d(1,32,3,p1, no bias) → BatchNorm2d → ReLU → MaxPool2d(2) → Conv2d(32,64,3,p1, no bias) →
 * BatchNorm2d → ReLU → MaxPool2d(2) → Flatten → Linear(64·(side/4)², 128) → ReLU →
 * Linear(128, classes) — `weft train --arch cnn`'s network and `bench:train --arch cnn`'s workload.
 */
export function standardCnn(side: number, classes: number): ConvOrMlpSpec[] {
  return [
    { type: "Conv2d", inChannels: 1, outChannels: 32, kernelSize: 3, padding: 1, bias: false },
    { type: "BatchNorm2d", numFeatures: 32 },
    { type: "ReLU" },
    { type: "MaxPool2d", kernelSize: 2 },
    { type: "Conv2d", inChannels: 32, outChannels: 64, kernelSize: 3, padding: 1, bias: false },
    { type: "BatchNorm2d", numFeatures: 64 },
    { type: "ReLU" },
    { type: "MaxPool2d", kernelSize: 2 },
    { type: "Flatten" },
    { type: "Linear", inFeatures: 64 * (side / 4) ** 2, outFeatures: 128 },
    { type: "ReLU" },
    { type: "Linear", inFeatures: 128, outFeatures: classes },
  ];
}
