/**
 * Per-layer gradient norms: ‖∂L/∂θ‖₂ over each layer's parameters (weight and bias together),
 * read from the engine's all-reduced gradient of the last step (the trainer averages ~10 such
 * samples per epoch). Plotted per epoch in the report,
 * they show vanishing (→ 0 in the early layers) or exploding gradients at a glance.
 */
import type { Module } from "@weft/layers";
import type { LayerSpec } from "@weft/parallel";

/**
 * `{"0.Linear": 0.12, "1.BatchNorm1d": 0.03, …}` for the layers that have parameters: keyed by the
 * top-level child (its name and class; for a layer-spec list, the index and the spec's type), so
 * any module's blocks get one line each (`blocks.ModuleList`, `head.Linear`).
 */
export function layerGradNorms(model: Module, params: Float32Array, grad: Float32Array, spec: readonly LayerSpec[] | null): Record<string, number> {
  const sums = new Map<string, number>();
  const classes = new Map(model.namedChildren().map(([n, c]) => [n, c.constructor.name]));
  for (const [name, p] of model.namedParameters()) {
    if (p.data.buffer !== params.buffer) throw new Error(`gradient norms: parameter ${name} is not a view of the shared parameters`);
    const offset = (p.data.byteOffset - params.byteOffset) / 4;
    let s = 0;
    for (let i = offset; i < offset + p.size; i++) s += grad[i]! * grad[i]!;
    const index = name.split(".")[0]!;
    // A parameter of the root module itself (no child) is its own line.
    const key = name.includes(".") ? `${index}.${(spec ? spec[Number(index)]?.type : classes.get(index)) ?? "?"}` : name;
    sums.set(key, (sums.get(key) ?? 0) + s);
  }
  return Object.fromEntries([...sums].map(([k, s]) => [k, Math.sqrt(s)]));
}
