/**
 * Per-layer gradient norms: ‖∂L/∂θ‖₂ over each layer's parameters (weight and bias together),
 * read from the engine's all-reduced gradient of the last step (the trainer averages ~10 such
 * samples per epoch). Plotted per epoch in the report,
 * they show vanishing (→ 0 in the early layers) or exploding gradients at a glance.
 */
import type { Module } from "@weft/layers";
import type { LayerSpec } from "@weft/parallel";

/** `{"0.Linear": 0.12, "1.BatchNorm1d": 0.03, …}` for the layers that have parameters. */
export function layerGradNorms(model: Module, params: Float32Array, grad: Float32Array, spec: readonly LayerSpec[]): Record<string, number> {
  const sums = new Map<string, number>();
  for (const [name, p] of model.namedParameters()) {
    if (p.data.buffer !== params.buffer) throw new Error(`gradient norms: parameter ${name} is not a view of the shared parameters`);
    const offset = (p.data.byteOffset - params.byteOffset) / 4;
    let s = 0;
    for (let i = offset; i < offset + p.size; i++) s += grad[i]! * grad[i]!;
    const index = name.split(".")[0]!;
    const key = `${index}.${spec[Number(index)]?.type ?? "?"}`;
    sums.set(key, (sums.get(key) ?? 0) + s);
  }
  return Object.fromEntries([...sums].map(([k, s]) => [k, Math.sqrt(s)]));
}
