/** Losses and L1 terms as plain data, so workers can rebuild them from a message. */
import { bceLoss, bceWithLogitsLoss, crossEntropyLoss, l1Penalty, mseLoss, type Module } from "@weft/layers";
import { Tensor, type TensorData } from "@weft/tensor";

export type LossType = "crossEntropyLoss" | "mseLoss" | "bceLoss" | "bceWithLogitsLoss";

export interface LossSpec {
  type: LossType;
  /** crossEntropyLoss only. */
  labelSmoothing?: number;
}

/** `lambda · Σ|p|` over the named parameters, added once to the batch's loss. */
export interface L1Spec {
  lambda: number;
  params: string[];
}

/**
 * Targets of a batch of `rows` samples: int32 class indices or float values, each sample's of
 * `sampleShape` (`[]` for one class a sample, `[T]` for one a token, `[width]` for dense rows).
 */
export type Targets =
  | { kind: "index"; data: Int32Array; rows: number; sampleShape: readonly number[] }
  | { kind: "dense"; data: Float32Array; rows: number; sampleShape: readonly number[] };

/** Elements of one sample's target. */
export const targetSize = (t: { sampleShape: readonly number[] }): number => t.sampleShape.reduce((a, b) => a * b, 1);

/** The targets as a Tensor `[rows, ...sampleShape]` (int32 or float32), over the same data. */
export function targetTensor(t: Targets): Tensor<Int32Array> | Tensor<Float32Array> {
  const shape = [t.rows, ...t.sampleShape];
  return t.kind === "index" ? new Tensor(t.data, shape) : new Tensor(t.data, shape);
}

/**
 * A loss of the model's output against a batch's targets (as a Tensor `[rows, ...]`), returning
 * the batch's MEAN loss as a scalar: the contract of a model file's `loss` export. The engine
 * weights each worker's share by its rows, which is exact for any loss that is a mean over rows.
 */
export type LossFn = (output: Tensor, target: Tensor<TensorData>) => Tensor;

const LOSS_OPTIONS: Record<LossType, string[]> = {
  crossEntropyLoss: ["labelSmoothing"],
  mseLoss: [],
  bceLoss: [],
  bceWithLogitsLoss: [],
};

/** Validates a loss spec, naming what is wrong. */
export function checkLossSpec(spec: LossSpec): void {
  const known = LOSS_OPTIONS[spec.type];
  if (!known) throw new Error(`loss: unknown type ${JSON.stringify(spec.type)} (known: ${Object.keys(LOSS_OPTIONS).join(", ")})`);
  for (const k of Object.keys(spec)) if (k !== "type" && !known.includes(k)) throw new Error(`loss ${spec.type}: unknown option ${JSON.stringify(k)}`);
}

/**
 * The summed (not averaged) loss of `output` against targets over every target element: shards
 * add up to the batch's sum. Class indices one per output row (`[N, C]` logits against `[N]`, or
 * `[N·T, C]` folded logits against `[N, T]` targets) or PyTorch's `[N, C, d…]` layout.
 */
export function lossSum(spec: LossSpec, output: Tensor, targets: Targets): Tensor {
  if (spec.type === "crossEntropyLoss") {
    if (targets.kind !== "index") throw new Error("crossEntropyLoss needs class-index (int32) targets");
    const rowsMatch = output.ndim === 2 && output.shape[0] === targets.data.length;
    return crossEntropyLoss(output, rowsMatch ? targets.data : targetTensor(targets), { reduction: "sum", labelSmoothing: spec.labelSmoothing });
  }
  if (targets.kind !== "dense") throw new Error(`${spec.type} needs float targets`);
  if (output.size !== targets.data.length) {
    throw new Error(`${spec.type}: the model's output ${JSON.stringify(output.shape)} has ${output.size} values but the targets ${JSON.stringify([targets.rows, ...targets.sampleShape])} have ${targets.data.length}`);
  }
  const shaped = new Tensor(targets.data, output.shape);
  switch (spec.type) {
    case "mseLoss":
      return mseLoss(output, shaped, { reduction: "sum" });
    case "bceLoss":
      return bceLoss(output, shaped, { reduction: "sum" });
    case "bceWithLogitsLoss":
      return bceWithLogitsLoss(output, shaped, { reduction: "sum" });
  }
}

/** The L1 term's tensor over the model's named parameters; unknown names are an error. */
export function l1Term(model: Module, spec: L1Spec): Tensor {
  const named = new Map(model.namedParameters());
  const params = spec.params.map((n) => {
    const p = named.get(n);
    if (!p) throw new Error(`l1: the model has no parameter ${JSON.stringify(n)} (it has: ${[...named.keys()].join(", ")})`);
    return p;
  });
  return l1Penalty(params, spec.lambda);
}
