/**
 * The network a `weft train` run builds, as data (a `LayerSpec` list saved in config.json so
 * eval, predict and PyTorch can rebuild it): per hidden width `Linear → norm → activation →
 * dropout`, then `Linear → classes`. The default is PyTorch's
 * `nn.Sequential(Linear(784,256), BatchNorm1d(256), ReLU(), Linear(256,128), BatchNorm1d(128), ReLU(), Linear(128,10))`.
 */
import { Linear, init, type StateEntry } from "@weft/layers";
import { buildModel, type LayerSpec } from "@weft/parallel";
import { Rng } from "@weft/tensor";
import type { ActivationName, InitName, TrainOptions } from "./config.js";
import { RNG_KEYS } from "./rng-keys.js";
import { cnnSpec } from "./cnn.js";

const ACTIVATIONS: Record<ActivationName, LayerSpec> = {
  relu: { type: "ReLU" },
  gelu: { type: "GELU" },
  tanh: { type: "Tanh" },
  sigmoid: { type: "Sigmoid" },
  "leaky-relu": { type: "LeakyReLU", negativeSlope: 0.01 },
};

export function modelSpec(o: Pick<TrainOptions, "hidden" | "norm" | "activation" | "dropout"> & { arch?: TrainOptions["arch"] }, features: number, classes: number): LayerSpec[] {
  if (o.arch === "cnn") return cnnSpec(features, classes);
  const spec: LayerSpec[] = [];
  let width = features;
  for (const h of o.hidden) {
    spec.push({ type: "Linear", inFeatures: width, outFeatures: h });
    if (o.norm === "batch") spec.push({ type: "BatchNorm1d", numFeatures: h });
    if (o.norm === "layer") spec.push({ type: "LayerNorm", normalizedShape: h });
    spec.push({ ...ACTIVATIONS[o.activation] });
    if (o.dropout > 0) spec.push({ type: "Dropout", p: o.dropout });
    width = h;
  }
  spec.push({ type: "Linear", inFeatures: width, outFeatures: classes });
  return spec;
}

/**
 * The initial state for `--init he|xavier` (undefined for `default`: the engine then draws
 * PyTorch's default init from `Rng(seed)`). Weights as `torch.nn.init.kaiming_normal_` (fan in,
 * the gain of the run's activation; GELU counts as ReLU) or `xavier_uniform_` (gain 1, its
 * default); biases zero, as those recipes usually pair with.
 */
export function initialState(spec: readonly LayerSpec[], kind: InitName, activation: ActivationName, seed: number): Record<string, StateEntry> | undefined {
  if (kind === "default") return undefined;
  const model = buildModel(spec, { rng: new Rng(seed) });
  const rng = new Rng(seed).split(RNG_KEYS.init);
  const nonlinearity = activation === "tanh" ? "tanh" : activation === "sigmoid" ? "sigmoid" : activation === "leaky-relu" ? "leaky_relu" : "relu";
  for (const [, m] of model.namedModules()) {
    if (!(m instanceof Linear)) continue;
    if (kind === "he") init.kaimingNormal(m.weight, { nonlinearity, a: activation === "leaky-relu" ? 0.01 : 0 }, rng);
    else init.xavierUniform(m.weight, 1, rng);
    if (m.bias) init.zeros(m.bias);
  }
  return model.stateDict();
}

/** Names of the Linear weights (the `--l1` penalty's parameters). */
export function linearWeightNames(spec: readonly LayerSpec[]): string[] {
  return spec.flatMap((l, i) => (l.type === "Linear" ? [`${i}.weight`] : []));
}

/** A short label per layer index for reports: `0 Linear 784→256`. */
export function layerLabels(spec: readonly LayerSpec[]): string[] {
  return spec.map((l, i) => {
    if (l.type === "Linear") return `${i} Linear ${l.inFeatures}→${l.outFeatures}`;
    if (l.type === "BatchNorm1d") return `${i} BatchNorm1d ${l.numFeatures}`;
    if (l.type === "LayerNorm") return `${i} LayerNorm ${String(l.normalizedShape)}`;
    return `${i} ${l.type}`;
  });
}

/** `784-256-BN-ReLU-128-BN-ReLU-10`. */
export function describeModel(spec: readonly LayerSpec[]): string {
  const parts: string[] = [];
  for (const l of spec) {
    if (l.type === "Linear") {
      if (parts.length === 0) parts.push(String(l.inFeatures));
      parts.push(String(l.outFeatures));
    } else if (l.type === "BatchNorm1d") parts.push("BN");
    else if (l.type === "LayerNorm") parts.push("LN");
    else if (l.type === "Dropout") parts.push(`Dropout(${l.p})`);
    else parts.push(l.type);
  }
  return parts.join("-");
}
