/** L1 regularisation: λ·Σ|p| over the given parameters, as a term added to the loss. */
import { abs, add, mul, sum, type Tensor } from "@weft/tensor";

/** λ·Σ_p Σ|p| (a scalar tensor in the graph; its gradient is λ·sign(p)). */
export function l1Penalty(params: Iterable<Tensor>, lambda: number): Tensor {
  let total: Tensor | null = null;
  for (const p of params) {
    const s = sum(abs(p));
    total = total ? add(total, s) : s;
  }
  if (total === null) throw new Error("l1Penalty: no parameters given");
  return mul(total, lambda);
}
