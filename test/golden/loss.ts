/** Runner for golden `loss` cases: the scalar loss and the gradient of the loss w.r.t. its input. */
import { bceLoss, bceWithLogitsLoss, crossEntropyLoss, mseLoss, type Reduction } from "@weft/layers";
import type { Tensor } from "@weft/tensor";
import { checkKeys, expectClose, toTensor, type GCase, type GTensor } from "./cases.js";

type LossFn = (input: Tensor, target: Tensor, attrs: { reduction?: Reduction; labelSmoothing?: number }) => Tensor;

export const LOSSES: Record<string, { attrs: string[]; run: LossFn }> = {
  mseLoss: { attrs: ["reduction"], run: (x, t, a) => mseLoss(x, t, a) },
  bceLoss: { attrs: ["reduction"], run: (x, t, a) => bceLoss(x, t, a) },
  bceWithLogitsLoss: { attrs: ["reduction"], run: (x, t, a) => bceWithLogitsLoss(x, t, a) },
  crossEntropyLoss: { attrs: ["reduction", "labelSmoothing"], run: (x, t, a) => crossEntropyLoss(x, t, a) },
};

export function runLossCase(c: GCase): void {
  const spec = LOSSES[c.loss as string];
  if (!spec) throw new Error(`unknown loss ${JSON.stringify(c.loss)} (known: ${Object.keys(LOSSES).join(", ")})`);
  const attrs = (c.attrs ?? {}) as Record<string, unknown>;
  checkKeys(`loss ${c.loss} attrs`, attrs, spec.attrs);
  const input = toTensor(c.input as GTensor, true);
  const out = spec.run(input, toTensor(c.target as GTensor), attrs);
  expectClose("output", out.shape, out.data, c.output as GTensor, c.tol);
  for (let i = 0; i < out.size; i++) if (!Number.isFinite(out.data[i])) throw new Error(`output element ${i} is ${out.data[i]}`);
  out.sum().backward();
  expectClose("inputGrad", input.grad!.shape, input.grad!.data, c.inputGrad as GTensor, c.tol);
}
