/**
 * The elementwise activations, a kernel family over {@link WasmKernelsCore} (assembly/relu.ts,
 * activation.ts): ReLU, LeakyReLU, sigmoid, tanh and GELU, forward and backward.
 */
import { copyIn } from "./core.js";
import type { GeluApproximation } from "../interface.js";
import type { WasmKernels } from "./kernels.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_1_WRITE_1 = copyIn(1, 1);
const READ_3 = copyIn(3);
const READ_1_WRITE_2 = copyIn(1, 2);
const READ_2_WRITE_1 = copyIn(2, 1);

/** Checks lengths and stages [x, out] of an elementwise forward; false when there is nothing to do. */
function unaryIn(k: WasmKernels, name: string, x: Float32Array, out: Float32Array): boolean {
  if (out.length !== x.length) throw new Error(`WasmKernels.${name}: out has ${out.length} elements, x has ${x.length}`);
  if (x.length === 0) return false;
  k.stage(READ_1_WRITE_1, 0, x, out);
  return true;
}
/** Checks lengths and stages [x, g, slot] of an elementwise backward; false when there is nothing to do. */
function binaryIn(k: WasmKernels, name: string, x: Float32Array, g: Float32Array, slot: Float32Array): boolean {
  const n = x.length;
  if (g.length !== n || slot.length !== n) throw new Error(`WasmKernels.${name}: x, g and slot must have equal lengths, got ${n}, ${g.length}, ${slot.length}`);
  if (n === 0) return false;
  k.stage(READ_3, 0, x, g, slot);
  return true;
}

/** Each activation's forward (out = f(x)) and backward (slot += g·f′), at both levels. */
export const activationKernels = {
  // ---- pointer level ----

  /** out[i] = relu(x[i]) for n float32 elements at byte addresses (out may be x). */
  reluForwardPtr(this: WasmKernels, x: number, out: number, n: number): void {
    this.exports.reluForward(x, out, n);
  },

  /** slot[i] += g[i] where x[i] > 0, for n float32 elements at byte addresses. */
  reluBackwardPtr(this: WasmKernels, x: number, g: number, slot: number, n: number, assign = false): void {
    this.exports.reluBackward(x, g, slot, n, assign ? 1 : 0);
  },

  // The other activations on byte addresses (n float32 elements; out may be x): the kernels of
  // assembly/activation.ts, the JS kernels' bits (see the array-level methods). `approximate`
  // for GELU: "none" (erf) or "tanh".
  leakyReluForwardPtr(this: WasmKernels, x: number, out: number, n: number, slope: number): void {
    this.exports.leakyReluForward(x, out, n, slope);
  },
  leakyReluBackwardPtr(this: WasmKernels, x: number, g: number, slot: number, n: number, slope: number): void {
    this.exports.leakyReluBackward(x, g, slot, n, slope);
  },
  sigmoidForwardPtr(this: WasmKernels, x: number, out: number, n: number): void {
    this.exports.sigmoidForward(x, out, n);
  },
  /** From the output y: slot += g·y·(1 − y). */
  sigmoidBackwardPtr(this: WasmKernels, y: number, g: number, slot: number, n: number): void {
    this.exports.sigmoidBackward(y, g, slot, n);
  },
  tanhForwardPtr(this: WasmKernels, x: number, out: number, n: number): void {
    this.exports.tanhForward(x, out, n);
  },
  /** From the output y: slot += g·(1 − y²). */
  tanhBackwardPtr(this: WasmKernels, y: number, g: number, slot: number, n: number): void {
    this.exports.tanhBackward(y, g, slot, n);
  },
  geluForwardPtr(this: WasmKernels, x: number, out: number, n: number, approximate: GeluApproximation): void {
    this.exports.geluForward(x, out, n, approximate === "tanh" ? 1 : 0);
  },
  geluBackwardPtr(this: WasmKernels, x: number, g: number, slot: number, n: number, approximate: GeluApproximation): void {
    this.exports.geluBackward(x, g, slot, n, approximate === "tanh" ? 1 : 0);
  },
  /** out = gelu(x) and deriv = gelu′(x) in one pass: geluForwardPtr's bits and geluBackwardPtr's factor. */
  geluForwardDerivPtr(this: WasmKernels, x: number, out: number, deriv: number, n: number, approximate: GeluApproximation): void {
    this.exports.geluForwardDeriv(x, out, deriv, n, approximate === "tanh" ? 1 : 0);
  },
  /** slot[i] += a[i]·b[i] for n float32 elements at byte addresses. */
  mulAccumulatePtr(this: WasmKernels, a: number, b: number, slot: number, n: number, assign = false): void {
    this.exports.mulAccumulate(a, b, slot, n, assign ? 1 : 0);
  },

  // ---- array level ----

  /** out = relu(x) on arrays of equal length, in place when in `memory`, else through scratch copies (see {@link reluForwardPtr}). */
  reluForward(this: WasmKernels, x: Float32Array, out: Float32Array): void {
    const n = x.length;
    if (out.length !== n) throw new Error(`WasmKernels.reluForward: out has ${out.length} elements, x has ${n}`);
    if (n === 0) return;
    this.stage(READ_1_WRITE_1, 0, x, out);
    this.exports.reluForward(this.ptrs[0], this.ptrs[1], n);
    this.unstage(out, 1);
  },

  /**
   * slot += g where x > 0 on arrays of equal length (with `assign`: slot = x > 0 ? g + 0 : 0, slot
   * not read), in place when in `memory`, else through scratch copies (see {@link reluBackwardPtr}).
   */
  reluBackward(this: WasmKernels, x: Float32Array, g: Float32Array, slot: Float32Array, assign = false): void {
    const n = x.length;
    if (g.length !== n || slot.length !== n) throw new Error(`WasmKernels.reluBackward: x, g and slot must have equal lengths, got ${n}, ${g.length}, ${slot.length}`);
    if (n === 0) return;
    this.stage(assign ? READ_2_WRITE_1 : READ_3, 0, x, g, slot);
    this.exports.reluBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], n, assign ? 1 : 0);
    this.unstage(slot, 2);
  },

  /** out = leakyRelu(x, slope) on arrays of equal length (x > 0 ? x : x·slope, in float64 rounded once: the JS kernel's bits). */
  leakyReluForward(this: WasmKernels, x: Float32Array, out: Float32Array, slope: number): void {
    if (!unaryIn(this, "leakyReluForward", x, out)) return;
    this.exports.leakyReluForward(this.ptrs[0], this.ptrs[1], x.length, slope);
    this.unstage(out, 1);
  },
  /** slot += x > 0 ? g : g·slope on arrays of equal length (the JS kernel's bits). */
  leakyReluBackward(this: WasmKernels, x: Float32Array, g: Float32Array, slot: Float32Array, slope: number): void {
    if (!binaryIn(this, "leakyReluBackward", x, g, slot)) return;
    this.exports.leakyReluBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], x.length, slope);
    this.unstage(slot, 2);
  },
  /** out = sigmoid(x), the stable form (the JS kernel's bits). */
  sigmoidForward(this: WasmKernels, x: Float32Array, out: Float32Array): void {
    if (!unaryIn(this, "sigmoidForward", x, out)) return;
    this.exports.sigmoidForward(this.ptrs[0], this.ptrs[1], x.length);
    this.unstage(out, 1);
  },
  /** slot += g·y·(1 − y) from the output y (the JS kernel's bits). */
  sigmoidBackward(this: WasmKernels, y: Float32Array, g: Float32Array, slot: Float32Array): void {
    if (!binaryIn(this, "sigmoidBackward", y, g, slot)) return;
    this.exports.sigmoidBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], y.length);
    this.unstage(slot, 2);
  },
  /** out = tanh(x) (fdlibm's tanh, as V8's Math.tanh: the JS kernel's bits). */
  tanhForward(this: WasmKernels, x: Float32Array, out: Float32Array): void {
    if (!unaryIn(this, "tanhForward", x, out)) return;
    this.exports.tanhForward(this.ptrs[0], this.ptrs[1], x.length);
    this.unstage(out, 1);
  },
  /** slot += g·(1 − y²) from the output y (the JS kernel's bits). */
  tanhBackward(this: WasmKernels, y: Float32Array, g: Float32Array, slot: Float32Array): void {
    if (!binaryIn(this, "tanhBackward", y, g, slot)) return;
    this.exports.tanhBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], y.length);
    this.unstage(slot, 2);
  },
  /**
   * out = gelu(x), exact (erf) or the tanh approximation, within a few float32 ulps of the JS
   * kernel; with `deriv`, also deriv = gelu′(x), computed with the same erfc (or σ) — the bits
   * geluBackward would multiply g by.
   */
  geluForward(this: WasmKernels, x: Float32Array, out: Float32Array, approximate: GeluApproximation, deriv: Float32Array | null = null): void {
    if (deriv === null) {
      if (!unaryIn(this, "geluForward", x, out)) return;
      this.geluForwardPtr(this.ptrs[0], this.ptrs[1], x.length, approximate);
      this.unstage(out, 1);
      return;
    }
    const n = x.length;
    if (out.length !== n || deriv.length !== n) throw new Error(`WasmKernels.geluForward: x, out and deriv must have equal lengths, got ${n}, ${out.length}, ${deriv.length}`);
    if (n === 0) return;
    this.stage(READ_1_WRITE_2, 0, x, out, deriv);
    this.geluForwardDerivPtr(this.ptrs[0], this.ptrs[1], this.ptrs[2], n, approximate);
    this.unstage(out, 1);
    this.unstage(deriv, 2);
  },
  /** slot += g·gelu′(x), within a few float32 ulps of the JS kernel. */
  geluBackward(this: WasmKernels, x: Float32Array, g: Float32Array, slot: Float32Array, approximate: GeluApproximation): void {
    if (!binaryIn(this, "geluBackward", x, g, slot)) return;
    this.geluBackwardPtr(this.ptrs[0], this.ptrs[1], this.ptrs[2], x.length, approximate);
    this.unstage(slot, 2);
  },
  /** slot += a·b elementwise, in float32 (a product rounded, then the sum); `assign`: slot = a·b + 0. */
  mulAccumulate(this: WasmKernels, a: Float32Array, b: Float32Array, slot: Float32Array, assign = false): void {
    if (!binaryIn(this, "mulAccumulate", a, b, slot)) return;
    this.mulAccumulatePtr(this.ptrs[0], this.ptrs[1], this.ptrs[2], a.length, assign);
    this.unstage(slot, 2);
  },
};
