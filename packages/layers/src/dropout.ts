/** Inverted dropout (Dropout: elements; Dropout2d: whole channels): zero with probability p, scale the rest by 1/(1−p); identity in eval. */
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

/**
 * Channel dropout, as torch.nn.Dropout2d: each channel plane of x [N, C, H, W] (or [C, H, W]) is
 * zeroed as a whole with probability p, the rest scaled by 1/(1−p); identity in eval. One draw
 * per plane, in memory order.
 *
 * @example
 * const drop = new Dropout2d(0.25, { rng }); // x [N, 32, 14, 14] → same shape
 */
export class Dropout2d extends Module {
  readonly p: number;
  /** The generator of the masks: set a per-worker one for data-parallel runs. */
  rng: Rng;

  constructor(p = 0.5, options: { rng?: Rng } = {}) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout2d: p must be in [0, 1], got ${p}`);
    this.p = p;
    this.rng = options.rng ?? defaultRng();
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 3 && x.ndim !== 4) throw new Error(`Dropout2d: expected input [N, C, H, W] or [C, H, W], got shape [${x.shape.join(", ")}]`);
    if (!this.training || this.p === 0) return x;
    const plane = x.shape[x.ndim - 2] * x.shape[x.ndim - 1];
    const planes = plane === 0 ? 0 : x.size / plane;
    const out = allocLike(x.data, x.size);
    const keep = allocUint8(planes);
    const scale = this.p === 1 ? 0 : 1 / (1 - this.p);
    for (let q = 0; q < planes; q++) {
      if (this.rng.uniform() < this.p) continue;
      keep[q] = 1;
      for (let i = q * plane, e = i + plane; i < e; i++) out[i] = x.data[i] * scale;
    }
    return fromOp(out, x.shape, [x], (g) => {
      const s = gradSlot(x);
      if (!s) return;
      for (let q = 0; q < planes; q++) {
        if (keep[q]) for (let i = q * plane, e = i + plane; i < e; i++) s[i] += g[i] * scale;
      }
    });
  }
}
