// Gradient descent on f(x) = x² from x = 5, by autograd: with η = 0.1 each step is
// x ← x − η·2x = 0.8·x, so 5 → 4 → 3.2 → 2.56 → 2.048 …; with η > 1 the factor 1 − 2η has
// |1 − 2η| > 1 and the iterates diverge (η = 1.1: x ← −1.2·x).
//
//   node examples/gradient-descent-1d.mjs
import { pathToFileURL } from "node:url";
import { noGrad, tensor } from "@weft/tensor";

/**
 * Runs `steps` steps of gradient descent on f(x) = x² from `x0` with learning rate `lr`.
 * Returns the trajectory [x0, x1, …, x_steps].
 */
export function descend(x0, lr, steps) {
  // float64 so the table prints the exact decimals (float32 would give 3.2000000476837 …)
  const x = tensor([x0], undefined, { dtype: "float64", requiresGrad: true });
  const trajectory = [x.item()];
  for (let k = 0; k < steps; k++) {
    const f = x.mul(x).sum(); // f(x) = x², recorded for autograd
    f.backward(); // x.grad = df/dx = 2x
    // The update is not part of the model's graph: compute it with recording off, then write in place.
    const next = noGrad(() => x.sub(x.grad.mul(lr)));
    x.data.set(next.data);
    x.zeroGrad(); // gradients accumulate until zeroed
    trajectory.push(x.item());
  }
  return trajectory;
}

function printTable(lr, steps) {
  const xs = descend(5, lr, steps);
  console.log(`η = ${lr}`);
  const row = (...cells) => cells.map((c, i) => (i === 0 ? c.padStart(4) : c.padEnd(16))).join("  ").trimEnd();
  const fmt = (v) => String(+v.toPrecision(10));
  console.log(row("step", "x", "f(x) = x²", "f'(x) = 2x"));
  xs.forEach((x, k) => console.log(row(String(k), fmt(x), fmt(x * x), fmt(2 * x))));
  console.log();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(0.1, 10);
  console.log("η > 1 overshoots the minimum by more each step: |x| grows by |1 − 2η| = 1.2 per step.");
  printTable(1.1, 10);
}
