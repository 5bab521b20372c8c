/**
 * LSTM and GRU, as torch.nn's: `numLayers` stacked layers, optionally bidirectional, over the
 * whole-sequence ops `lstm` / `gru` of @weft/tensor (fused cell kernels, one graph node a layer
 * and direction). Parameters `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`
 * (`_reverse` for the backward direction), in PyTorch's order and gate layout.
 */
import { Tensor, cat, defaultRng, formatShape, gru, lstm, narrow, reshape, stack, type Rng, type RnnResult } from "@weft/tensor";
import { Module, Parameter } from "./module.js";
import { Dropout } from "./dropout.js";
import { uniform } from "./init.js";

export interface RnnOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Input and output are `[B, T, ·]` (default false: `[T, B, ·]`, as PyTorch). The states are always `[layers·dirs, B, H]`. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** A second direction from the last step to the first; outputs concatenated (default false). */
  bidirectional?: boolean;
  /** Generator for the default init (default: the process-wide one). */
  rng?: Rng;
}

type Cell = "LSTM" | "GRU";

/** The weights of one layer and direction. */
interface Weights { wIh: Parameter; wHh: Parameter; bIh: Parameter | null; bHh: Parameter | null }
/** Their names (properties of the module, so that the state dict and a swap of a property both see them). */
interface WeightNames { wIh: string; wHh: string; bIh: string | null; bHh: string | null }

/** What LSTM and GRU share: the parameters, their init, the stacking of layers and directions. */
abstract class RnnBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly bidirectional: boolean;
  /** Between layers (p = the `dropout` option). */
  readonly interLayerDropout: Dropout;
  private declare readonly weightNames: WeightNames[];

  constructor(cell: Cell, inputSize: number, hiddenSize: number, options: RnnOptions) {
    super();
    for (const [k, v] of [["inputSize", inputSize], ["hiddenSize", hiddenSize], ["numLayers", options.numLayers ?? 1]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${cell}: ${k} must be a positive integer, got ${v}`);
    }
    this.inputSize = inputSize;
    this.hiddenSize = hiddenSize;
    this.numLayers = options.numLayers ?? 1;
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.bidirectional = options.bidirectional ?? false;
    this.interLayerDropout = new Dropout(options.dropout ?? 0, { rng: options.rng });
    const rng = options.rng ?? defaultRng();
    const G = (cell === "LSTM" ? 4 : 3) * hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    const names: WeightNames[] = [];
    const param = (name: string, shape: number[]): string => {
      const p = new Parameter(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
      uniform(p, -bound, bound, rng); // PyTorch: every weight and bias ~ U(−1/√H, 1/√H)
      (this as unknown as Record<string, Parameter>)[name] = p; // registered as a property, in this order
      return name;
    };
    for (let l = 0; l < this.numLayers; l++) {
      const inF = l === 0 ? inputSize : hiddenSize * this.directions;
      for (const sfx of this.bidirectional ? ["", "_reverse"] : [""]) {
        const wIh = param(`weight_ih_l${l}${sfx}`, [G, inF]);
        const wHh = param(`weight_hh_l${l}${sfx}`, [G, hiddenSize]);
        const bIh = this.bias ? param(`bias_ih_l${l}${sfx}`, [G]) : null;
        const bHh = this.bias ? param(`bias_hh_l${l}${sfx}`, [G]) : null;
        names.push({ wIh, wHh, bIh, bHh });
      }
    }
    Object.defineProperty(this, "weightNames", { value: names, enumerable: false });
  }

  /** The weights of layer/direction k (k = layer·dirs + direction), read from the properties now. */
  private weightsAt(k: number): Weights {
    const n = this.weightNames[k], own = this as unknown as Record<string, Parameter>;
    return { wIh: own[n.wIh], wHh: own[n.wHh], bIh: n.bIh === null ? null : own[n.bIh], bHh: n.bHh === null ? null : own[n.bHh] };
  }

  get directions(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Checks x and an initial state `[layers·dirs, B, H]`; returns B. */
  protected check(cell: Cell, x: Tensor, states: (Tensor | null | undefined)[]): number {
    if (x.ndim !== 3 || x.shape[2] !== this.inputSize) {
      throw new Error(`${cell}: input must be ${this.batchFirst ? "[B, T, inputSize]" : "[T, B, inputSize]"} with inputSize ${this.inputSize}, got ${formatShape(x.shape)}`);
    }
    const B = this.batchFirst ? x.shape[0] : x.shape[1];
    const want = [this.numLayers * this.directions, B, this.hiddenSize];
    for (const s of states) {
      if (s && (s.ndim !== 3 || s.shape.some((d, i) => d !== want[i]))) {
        throw new Error(`${cell}: an initial state must be [numLayers·directions, B, hiddenSize] = ${formatShape(want)}, got ${formatShape(s.shape)}`);
      }
    }
    return B;
  }

  /**
   * Runs every layer and direction: `step(x, k, weights)` runs layer/direction k (= l·dirs + d)
   * with `reverse` = d === 1. Returns the last layer's output and each k's result.
   */
  protected stackLayers<R extends RnnResult>(x: Tensor, step: (x: Tensor, k: number, w: Weights, reverse: boolean) => R): { output: Tensor; results: R[] } {
    const results: R[] = [];
    let input = x;
    for (let l = 0; l < this.numLayers; l++) {
      if (l > 0) input = this.interLayerDropout.forward(input);
      const outs: Tensor[] = [];
      for (let d = 0; d < this.directions; d++) {
        const k = l * this.directions + d;
        const r = step(input, k, this.weightsAt(k), d === 1);
        results.push(r);
        outs.push(r.output);
      }
      input = outs.length === 1 ? outs[0] : cat(outs, 2);
    }
    return { output: input, results };
  }
}

/** State k (`[B, H]`) of a `[layers·dirs, B, H]` initial state, or null. */
const stateAt = (s: Tensor | null | undefined, k: number, B: number, H: number): Tensor | null => (s ? reshape(narrow(s, 0, k, 1), [B, H]) : null);

/**
 * Long short-term memory over `x [B, T, inputSize]` (batchFirst; else `[T, B, inputSize]`): gate
 * rows `i, f, g, o`, `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')`.
 *
 * `forward(x)` returns the output `[B, T, dirs·H]` (so an LSTM stands in a Sequential);
 * `forwardWithState(x, [h0, c0])` returns it with the final states, PyTorch's `(output, (h_n, c_n))`.
 *
 * @example
 * const lstm = new LSTM(8, 16, { batchFirst: true, numLayers: 2 });
 * const { output, h, c } = lstm.forwardWithState(x); // x [B, T, 8] → output [B, T, 16], h, c [2, B, 16]
 */
export class LSTM extends RnnBase {
  constructor(inputSize: number, hiddenSize: number, options: RnnOptions = {}) {
    super("LSTM", inputSize, hiddenSize, options);
  }

  /** x `[B, T, inputSize]` (or `[T, B, inputSize]`) → output `[B, T, dirs·hiddenSize]` (or `[T, B, …]`). */
  forward(x: Tensor, hx?: [Tensor | null, Tensor | null] | null): Tensor {
    return this.forwardWithState(x, hx).output;
  }

  /** The output and the final `h`, `c` (`[numLayers·dirs, B, hiddenSize]`), from `hx = [h0, c0]` (default zeros). */
  forwardWithState(x: Tensor, hx?: [Tensor | null, Tensor | null] | null): { output: Tensor; h: Tensor; c: Tensor } {
    const [h0, c0] = hx ?? [null, null];
    const B = this.check("LSTM", x, [h0, c0]);
    const H = this.hiddenSize;
    const { output, results } = this.stackLayers(x, (input, k, w, reverse) =>
      lstm(input, stateAt(h0, k, B, H), stateAt(c0, k, B, H), w.wIh, w.wHh, w.bIh, w.bHh, { batchFirst: this.batchFirst, reverse }),
    );
    return { output, h: stack(results.map((r) => r.h)), c: stack(results.map((r) => r.c)) };
  }
}

/**
 * Gated recurrent unit over `x [B, T, inputSize]` (batchFirst; else `[T, B, inputSize]`): gate rows
 * `r, z, n`, `n = tanh(W_in x + b_in + r·(W_hn h + b_hn))`, `h' = (1 − z)·n + z·h`.
 *
 * `forward(x)` returns the output `[B, T, dirs·H]`; `forwardWithState(x, h0)` returns it with the
 * final `h`, PyTorch's `(output, h_n)`.
 *
 * @example
 * const gru = new GRU(8, 16, { batchFirst: true, bidirectional: true });
 * const y = gru.forward(x); // x [B, T, 8] → [B, T, 32]
 */
export class GRU extends RnnBase {
  constructor(inputSize: number, hiddenSize: number, options: RnnOptions = {}) {
    super("GRU", inputSize, hiddenSize, options);
  }

  /** x `[B, T, inputSize]` (or `[T, B, inputSize]`) → output `[B, T, dirs·hiddenSize]` (or `[T, B, …]`). */
  forward(x: Tensor, h0?: Tensor | null): Tensor {
    return this.forwardWithState(x, h0).output;
  }

  /** The output and the final `h` (`[numLayers·dirs, B, hiddenSize]`), from `h0` (default zeros). */
  forwardWithState(x: Tensor, h0?: Tensor | null): { output: Tensor; h: Tensor } {
    const B = this.check("GRU", x, [h0]);
    const H = this.hiddenSize;
    const { output, results } = this.stackLayers(x, (input, k, w, reverse) =>
      gru(input, stateAt(h0, k, B, H), w.wIh, w.wHh, w.bIh, w.bHh, { batchFirst: this.batchFirst, reverse }),
    );
    return { output, h: stack(results.map((r) => r.h)) };
  }
}
