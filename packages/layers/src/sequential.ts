/** Sequential: children named "0", "1", … applied in order, as torch.nn.Sequential. */
import type { Tensor } from "@weft/tensor";
import { Module } from "./module.js";

export class Sequential extends Module {
  [index: number]: Module;
  // Non-enumerable (defined in the constructor): not a #private field, so a Proxy of the module
  // (bench:module's) still reads it; the property scan registers only Modules and Parameters anyway.
  declare private readonly count: number;

  constructor(...layers: Module[]) {
    super();
    Object.defineProperty(this, "count", { value: layers.length, enumerable: false });
    layers.forEach((m, i) => {
      this[i] = m; // a property, so `seq[i]` reads (and replaces) the layer, as in PyTorch
      this.registerModule(String(i), m);
    });
  }

  /**
   * The layers in order, as they are now: `seq[1] = other` (or convertSyncBatchNorm) replaces a
   * layer, and both forward and this list see the replacement.
   */
  get layers(): Module[] {
    return Array.from({ length: this.count }, (_, i) => this[i]);
  }

  forward(x: Tensor): Tensor {
    // The indexed properties: what is registered now, with no array made per call.
    for (let i = 0; i < this.count; i++) x = this[i].forward(x);
    return x;
  }
}
