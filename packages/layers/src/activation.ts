/** Activation modules: one call each into @weft/tensor. Shapes: any → same shape. */
import { gelu, leakyRelu, relu, sigmoid, softmax, tanh, type Tensor } from "@weft/tensor";
import { Module } from "./module.js";

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

export class GELU extends Module {
  readonly approximate: "none" | "tanh";
  constructor(options: { approximate?: "none" | "tanh" } = {}) {
    super();
    this.approximate = options.approximate ?? "none";
    if (this.approximate !== "none" && this.approximate !== "tanh") {
      throw new Error(`GELU: approximate must be "none" or "tanh", got ${JSON.stringify(this.approximate)}`);
    }
  }
  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }
}

/** Softmax along `dim` (PyTorch's name for the axis). */
export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}
