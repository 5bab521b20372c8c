/** Sequential: children named "0", "1", … applied in order, as torch.nn.Sequential. */
import type { Tensor } from "@weft/tensor";
import { Module } from "./module.js";

export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }

  forward(x: Tensor): Tensor {
    for (const m of this.layers) x = m.forward(x);
    return x;
  }
}
