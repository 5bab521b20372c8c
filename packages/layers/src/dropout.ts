/** Inverted dropout: zero with probability p, scale the rest by 1/(1−p); identity in eval. */
import { allocLike, allocUint8, defaultRng, fromOp, gradSlot, type Rng, type Tensor } from "@weft/tensor";
import { Module } from "./module.js";

export class Dropout extends Module {
  readonly p: number;
  /** The generator of the masks: set a per-worker one for data-parallel runs. */
  rng: Rng;

  constructor(p = 0.5, options: { rng?: Rng } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
    this.p = p;
    this.rng = options.rng ?? defaultRng();
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const n = x.size;
    const out = allocLike(x.data, n);
    const mask = allocUint8(n);
    const scale = this.p === 1 ? 0 : 1 / (1 - this.p);
    for (let i = 0; i < n; i++) {
      if (this.rng.uniform() >= this.p) {
        mask[i] = 1;
        out[i] = x.data[i] * scale;
      }
    }
    return fromOp(out, x.shape, [x], (g) => {
      const s = gradSlot(x);
      if (s) for (let i = 0; i < n; i++) if (mask[i]) s[i] += g[i] * scale;
    });
  }
}
