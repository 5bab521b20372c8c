// XOR with a 2-2-1 sigmoid network, trained twice from the same initial weights:
//   (a) by hand-written backprop — plain arrays and the chain rule written out, and
//   (b) by autograd — Linear + Sigmoid + mseLoss + SGD from @weft/layers and @weft/optim.
// Both minimise the mean squared error over the four cases by full-batch gradient descent, so
// (up to float32 vs float64 rounding) they take the same steps and reach ≈ [0, 1, 1, 0].
//
//   node examples/xor.mjs
import { pathToFileURL } from "node:url";
import { Rng, tensor } from "@weft/tensor";
import { Linear, Sequential, Sigmoid, mseLoss } from "@weft/layers";
import { SGD } from "@weft/optim";

export const INPUTS = [[0, 0], [0, 1], [1, 0], [1, 1]];
export const TARGETS = [0, 1, 1, 0];

/** Default settings: chosen so that both trainers converge from this seed in well under a second. */
export const DEFAULTS = { seed: 2, lr: 2, epochs: 3000 };

/** The 2-2-1 network, with PyTorch's default init drawn from a generator seeded with `seed`. */
export function makeNet(seed) {
  const rng = new Rng(seed);
  return new Sequential(new Linear(2, 2, { rng }), new Sigmoid(), new Linear(2, 1, { rng }), new Sigmoid());
}

/** The initial weights of {@link makeNet} as plain arrays: W1 [2][2] (out × in), b1 [2], W2 [2], b2. */
export function initialWeights(seed) {
  const [l1, , l2] = makeNet(seed).layers;
  return {
    W1: [Array.from(l1.weight.data.subarray(0, 2)), Array.from(l1.weight.data.subarray(2, 4))],
    b1: Array.from(l1.bias.data),
    W2: Array.from(l2.weight.data),
    b2: l2.bias.data[0],
  };
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

/**
 * (a) Hand-written backprop. Forward: h = σ(W1·x + b1), y = σ(W2·h + b2); loss = mean (y − t)².
 * Returns the final predictions, the loss per epoch and the weights.
 */
export function trainByHand({ seed, lr, epochs } = DEFAULTS) {
  const { W1, b1, W2 } = initialWeights(seed);
  let { b2 } = initialWeights(seed);
  const n = INPUTS.length;
  const losses = [];
  const forward = (x) => {
    const h = [0, 1].map((j) => sigmoid(W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j]));
    return { h, y: sigmoid(W2[0] * h[0] + W2[1] * h[1] + b2) };
  };
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gW1 = [[0, 0], [0, 0]];
    const gb1 = [0, 0];
    const gW2 = [0, 0];
    let gb2 = 0;
    let loss = 0;
    for (let s = 0; s < n; s++) {
      const x = INPUTS[s];
      const { h, y } = forward(x);
      loss += (y - TARGETS[s]) ** 2 / n;
      // chain rule, from the loss back to each weight
      const dy = (2 * (y - TARGETS[s])) / n; // ∂loss/∂y
      const dz2 = dy * y * (1 - y); // σ'(z) = σ(z)(1 − σ(z))
      for (let j = 0; j < 2; j++) {
        gW2[j] += dz2 * h[j];
        const dz1 = dz2 * W2[j] * h[j] * (1 - h[j]); // through W2 (before it is updated) and σ
        gW1[j][0] += dz1 * x[0];
        gW1[j][1] += dz1 * x[1];
        gb1[j] += dz1;
      }
      gb2 += dz2;
    }
    losses.push(loss);
    for (let j = 0; j < 2; j++) {
      W2[j] -= lr * gW2[j];
      b1[j] -= lr * gb1[j];
      W1[j][0] -= lr * gW1[j][0];
      W1[j][1] -= lr * gW1[j][1];
    }
    b2 -= lr * gb2;
  }
  return { predictions: INPUTS.map((x) => forward(x).y), losses, weights: { W1, b1, W2, b2 } };
}

/** (b) Autograd: the same network as a Sequential, mseLoss, SGD. */
export function trainByAutograd({ seed, lr, epochs } = DEFAULTS) {
  const net = makeNet(seed);
  const x = tensor(INPUTS);
  const t = tensor(TARGETS.map((v) => [v]));
  const opt = new SGD(net.parameters(), { lr });
  const losses = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    opt.zeroGrad();
    const loss = mseLoss(net.forward(x), t);
    losses.push(loss.item());
    loss.backward();
    opt.step();
  }
  return { predictions: Array.from(net.forward(x).data), losses, net };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const fmt = (ys) => `[${ys.map((y) => y.toFixed(4)).join(", ")}]`;
  for (const [name, train] of [["hand-written backprop", trainByHand], ["autograd + SGD", trainByAutograd]]) {
    const started = performance.now();
    const { predictions, losses } = train(DEFAULTS);
    const ms = performance.now() - started;
    console.log(`${name} (seed ${DEFAULTS.seed}, lr ${DEFAULTS.lr}, ${DEFAULTS.epochs} epochs, ${ms.toFixed(0)} ms)`);
    for (const e of [0, 250, 500, 750, 1000, 2000, DEFAULTS.epochs - 1]) console.log(`  epoch ${String(e).padStart(4)}  loss ${losses[e].toFixed(6)}`);
    console.log(`  predictions for ${JSON.stringify(INPUTS)}: ${fmt(predictions)} (targets ${JSON.stringify(TARGETS)})`);
  }
}
