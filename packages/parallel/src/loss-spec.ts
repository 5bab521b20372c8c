/** Losses and L1 terms as plain data, so workers can rebuild them from a message. */
import { bceLoss, bceWithLogitsLoss, crossEntropyLoss, l1Penalty, mseLoss, type Module } from "@weft/layers";
import { Tensor } from "@weft/tensor";

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

/** Targets of a batch: class indices, or dense rows (`[rows, width]`). */
export type Targets = { kind: "index"; data: Int32Array } | { kind: "dense"; data: Float32Array; width: number };

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

/** The summed (not averaged) loss of `output` against targets: shards add up to the batch's sum. */
export function lossSum(spec: LossSpec, output: Tensor, targets: Targets): Tensor {
  const rows = output.shape[0];
  if (spec.type === "crossEntropyLoss") {
    if (targets.kind !== "index") throw new Error("crossEntropyLoss needs class-index targets");
    return crossEntropyLoss(output, targets.data, { reduction: "sum", labelSmoothing: spec.labelSmoothing });
  }
  if (targets.kind !== "dense") throw new Error(`${spec.type} needs dense targets`);
  const t = new Tensor(targets.data, [rows, targets.width]);
  const shaped = output.ndim === 2 ? t : new Tensor(targets.data, output.shape);
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
