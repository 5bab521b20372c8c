// A custom Module whose children are plain properties: a residual MLP, x → inp → 2 × (h + fc2(relu(fc1(h))))
// → head, classifying 2-D points by which third of the circle they lie in. No registerModule anywhere:
// `this.fc1 = new Linear(…)` registers fc1, as torch.nn.Module's __setattr__ does, and a ModuleList
// holds the blocks (a plain array would not be registered — PyTorch's rule too).
//
//   node examples/residual-mlp.mjs
import { pathToFileURL } from "node:url";
import { Rng, randn } from "@weft/tensor";
import { Linear, Module, ModuleList, ReLU, crossEntropyLoss } from "@weft/layers";
import { Adam } from "@weft/optim";

/** h + fc2(relu(fc1(h))): h: [N, d] → [N, d]. */
export class Residual extends Module {
  constructor(d, rng) {
    super();
    this.fc1 = new Linear(d, d, { rng }); // registered as "fc1"
    this.act = new ReLU();
    this.fc2 = new Linear(d, d, { rng });
  }

  forward(h) {
    return h.add(this.fc2.forward(this.act.forward(this.fc1.forward(h))));
  }
}

/** x: [N, inFeatures] → logits [N, classes]. */
export class ResidualMLP extends Module {
  constructor(inFeatures, hidden, classes, { depth = 2, rng } = {}) {
    super();
    this.inp = new Linear(inFeatures, hidden, { rng });
    this.blocks = new ModuleList(Array.from({ length: depth }, () => new Residual(hidden, rng)));
    this.head = new Linear(hidden, classes, { rng });
  }

  forward(x) {
    let h = this.inp.forward(x);
    for (const block of this.blocks) h = block.forward(h);
    return this.head.forward(h.relu());
  }
}

/** `n` points from N(0, I) in 2-D; the label is the third of the circle each lies in (0, 1, 2). */
export function makeData(n, seed) {
  const x = randn([n, 2], new Rng(seed));
  const labels = Array.from({ length: n }, (_, i) => {
    const angle = Math.atan2(x.data[2 * i + 1], x.data[2 * i]) + Math.PI; // [0, 2π]
    return Math.min(2, Math.floor((angle / (2 * Math.PI)) * 3));
  });
  return { x, labels };
}

export const DEFAULTS = { seed: 0, hidden: 16, steps: 300, lr: 0.01, points: 128 };

/** Trains with Adam on full batches; returns the losses, the training accuracy and the model. */
export function train({ seed, hidden, steps, lr, points } = DEFAULTS) {
  const rng = new Rng(seed);
  const model = new ResidualMLP(2, hidden, 3, { rng });
  const { x, labels } = makeData(points, seed + 1);
  const opt = new Adam(model.parameters(), { lr });
  const losses = [];
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const loss = crossEntropyLoss(model.forward(x), labels);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  model.eval();
  const predicted = model.forward(x).argmax(1);
  const accuracy = labels.filter((c, i) => predicted[i] === c).length / labels.length;
  return { losses, accuracy, model };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { losses, accuracy, model } = train(DEFAULTS);
  console.log(Object.keys(model.stateDict()).join(", "));
  // inp.weight, inp.bias, blocks.0.fc1.weight, blocks.0.fc1.bias, blocks.0.fc2.weight, … head.bias
  for (const s of [0, 50, 100, 200, DEFAULTS.steps - 1]) console.log(`step ${String(s).padStart(3)}  loss ${losses[s].toFixed(4)}`);
  console.log(`training accuracy ${(accuracy * 100).toFixed(1)}%`);
  console.log(model.blocks[0].fc1.weight === model.stateDict()["blocks.0.fc1.weight"]); // true: the live tensor
}
