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
    const layers = this.layers;
    for (let i = 0; i < layers.length; i++) x = layers[i].forward(x); // indexed: no iterator garbage per step
    return x;
  }
}
