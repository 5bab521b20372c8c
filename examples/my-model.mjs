// A model file for `weft train --model examples/my-model.mjs`: any Module tree, built by
// createModel(ctx). ctx.inputShape is one sample's shape — [1, 28, 28] for the embedded digits
// (images come NCHW, as PyTorch's Conv2d takes them), [features] for a CSV — and ctx.numClasses
// the number of labels. Residual blocks of Linear → BatchNorm1d → ReLU → Dropout; the trainer's
// workers turn every BatchNorm into SyncBatchNorm and give every Dropout its per-step generator.
import { Dropout, Linear, Module, ModuleList } from "@weft/layers";
import { BatchNorm1d } from "@weft/norm";
import { flatten } from "@weft/tensor";

class Block extends Module {
  constructor(d, rng) {
    super();
    this.fc = new Linear(d, d, { bias: false, rng });
    this.bn = new BatchNorm1d(d);
    this.drop = new Dropout(0.1, { rng });
  }
  forward(x) {
    return x.add(this.drop.forward(this.bn.forward(this.fc.forward(x)).relu()));
  }
}

class ResidualNet extends Module {
  constructor(features, hidden, classes, blocks, rng) {
    super();
    this.inp = new Linear(features, hidden, { rng });
    this.blocks = new ModuleList(Array.from({ length: blocks }, () => new Block(hidden, rng)));
    this.head = new Linear(hidden, classes, { rng });
  }
  forward(x) {
    let h = this.inp.forward(flatten(x, 1)).relu(); // [N, 1, 28, 28] → [N, 784]
    for (const b of this.blocks) h = b.forward(h);
    return this.head.forward(h); // [N, classes] logits for the default cross-entropy
  }
}

export function createModel(ctx) {
  const features = ctx.inputShape.reduce((a, b) => a * b, 1);
  return new ResidualNet(features, 256, ctx.numClasses, 2, ctx.rng);
}

// Optional: the batch's MEAN loss as a scalar Tensor. Without it: cross-entropy.
// export function loss(output, target) { return crossEntropyLoss(output, target, { labelSmoothing: 0.1 }); }
