// Batch vs mini-batch vs stochastic gradient descent on one problem: fitting y = w·x + b to
// noisy samples of y = 3x − 2 (seeded), with Linear(1, 1), mseLoss and SGD. The three differ only
// in how many samples each step sees: all of them (batch: one exact step per epoch), 32
// (mini-batch: 8 noisy steps per epoch), or one (stochastic: 256 very noisy steps per epoch).
//
//   node examples/gradient-descent-variants.mjs
import { pathToFileURL } from "node:url";
import { Rng, Tensor, noGrad } from "@weft/tensor";
import { Linear, mseLoss } from "@weft/layers";
import { SGD } from "@weft/optim";

export const TRUE_W = 3;
export const TRUE_B = -2;

/** n samples x ~ U(−1, 1), y = 3x − 2 + ε with ε ~ N(0, noise²); x and y as [n, 1] tensors. */
export function makeData({ n = 256, noise = 0.1, seed = 0 } = {}) {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  rng.fillUniform(x, -1, 1);
  for (let i = 0; i < n; i++) y[i] = TRUE_W * x[i] + TRUE_B + noise * rng.normal();
  return { x: new Tensor(x, [n, 1]), y: new Tensor(y, [n, 1]) };
}

/** Rows `order[from..to)` of a [n, 1] tensor, as a new [k, 1] tensor. */
function rows(t, order, from, to) {
  const out = new Float32Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = t.data[order[i]];
  return new Tensor(out, [to - from, 1]);
}

/**
 * Trains Linear(1, 1) (initialised from `seed`) by SGD with the given batch size, shuffling
 * each epoch. Returns the full-data loss after each epoch, the number of steps, and w, b.
 */
export function train(data, { batchSize, lr, epochs, seed = 1 }) {
  const n = data.x.shape[0];
  const model = new Linear(1, 1, { rng: new Rng(seed) });
  const opt = new SGD(model.parameters(), { lr });
  const shuffle = new Rng(seed).split(1);
  const losses = [];
  let steps = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffle.permutation(n);
    for (let from = 0; from < n; from += batchSize) {
      const to = Math.min(n, from + batchSize);
      opt.zeroGrad();
      mseLoss(model.forward(rows(data.x, order, from, to)), rows(data.y, order, from, to)).backward();
      opt.step();
      steps++;
    }
    losses.push(noGrad(() => mseLoss(model.forward(data.x), data.y).item()));
  }
  return { losses, steps, w: model.weight.data[0], b: model.bias.data[0] };
}

/**
 * The three variants on the same data, from the same initial weights, for the same number of
 * epochs. The learning rates shrink with the batch size: a noisier gradient needs a smaller step
 * to settle (each is below the stability limit 2/λ_max = 1 of this problem's loss).
 */
export const VARIANTS = [
  { name: "batch", batchSize: 256, lr: 0.5 },
  { name: "mini-batch", batchSize: 32, lr: 0.1 },
  { name: "stochastic", batchSize: 1, lr: 0.01 },
];

export function compareVariants({ epochs = 30, seed = 0 } = {}) {
  const data = makeData({ seed });
  return VARIANTS.map((v) => ({ ...v, ...train(data, { batchSize: v.batchSize, lr: v.lr, epochs, seed: seed + 1 }) }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = compareVariants();
  const cell = (s) => String(s).padStart(26);
  console.log(`Fitting y = w·x + b to 256 noisy samples of y = ${TRUE_W}x − ${-TRUE_B}; full-data MSE after each epoch:`);
  console.log(`epoch${results.map((r) => cell(`${r.name} (B=${r.batchSize}, η=${r.lr})`)).join("")}`);
  for (let e = 0; e < results[0].losses.length; e++) {
    console.log(`${String(e + 1).padStart(5)}${results.map((r) => cell(r.losses[e].toFixed(6))).join("")}`);
  }
  console.log(`steps${results.map((r) => cell(r.steps)).join("")}`);
  console.log(`    w${results.map((r) => cell(r.w.toFixed(4))).join("")}`);
  console.log(`    b${results.map((r) => cell(r.b.toFixed(4))).join("")}`);
}
