/**
 * The elementwise activations on top of {@link WasmKernelsCore} (assembly/relu.ts,
 * activation.ts): ReLU, LeakyReLU, sigmoid, tanh and GELU, forward and backward —
 * {@link ActivationKernels}.
 */
import { copyIn } from "./core.js";
import { OptimKernels } from "./optim.js";

// Which operands each stage() call copies in (the rest are only written).
const READ_1_WRITE_1 = copyIn(1, 1);
const READ_3 = copyIn(3);

/** Each activation's forward (out = f(x)) and backward (slot += g·f′), at both levels. */
export class ActivationKernels extends OptimKernels {
  // ---- pointer level ----

  /** out[i] = relu(x[i]) for n float32 elements at byte addresses (out may be x). */
  reluForwardPtr(x: number, out: number, n: number): void {
    this.x.reluForward(x, out, n);
  }

  /** slot[i] += g[i] where x[i] > 0, for n float32 elements at byte addresses. */
  reluBackwardPtr(x: number, g: number, slot: number, n: number): void {
    this.x.reluBackward(x, g, slot, n);
  }

  // The other activations on byte addresses (n float32 elements; out may be x): the kernels of
  // assembly/activation.ts, the JS kernels' bits (see the array-level methods). `approximate`
  // for GELU: "none" (erf) or "tanh".
  leakyReluForwardPtr(x: number, out: number, n: number, slope: number): void {
    this.x.leakyReluForward(x, out, n, slope);
  }
  leakyReluBackwardPtr(x: number, g: number, slot: number, n: number, slope: number): void {
    this.x.leakyReluBackward(x, g, slot, n, slope);
  }
  sigmoidForwardPtr(x: number, out: number, n: number): void {
    this.x.sigmoidForward(x, out, n);
  }
  /** From the output y: slot += g·y·(1 − y). */
  sigmoidBackwardPtr(y: number, g: number, slot: number, n: number): void {
    this.x.sigmoidBackward(y, g, slot, n);
  }
  tanhForwardPtr(x: number, out: number, n: number): void {
    this.x.tanhForward(x, out, n);
  }
  /** From the output y: slot += g·(1 − y²). */
  tanhBackwardPtr(y: number, g: number, slot: number, n: number): void {
    this.x.tanhBackward(y, g, slot, n);
  }
  geluForwardPtr(x: number, out: number, n: number, approximate: "none" | "tanh"): void {
    this.x.geluForward(x, out, n, approximate === "tanh" ? 1 : 0);
  }
  geluBackwardPtr(x: number, g: number, slot: number, n: number, approximate: "none" | "tanh"): void {
    this.x.geluBackward(x, g, slot, n, approximate === "tanh" ? 1 : 0);
  }

  // ---- array level ----

  /** out = relu(x) on arrays of equal length, in place when in `memory`, else through scratch copies (see {@link reluForwardPtr}). */
  reluForward(x: Float32Array, out: Float32Array): void {
    const n = x.length;
    if (out.length !== n) throw new Error(`WasmKernels.reluForward: out has ${out.length} elements, x has ${n}`);
    if (n === 0) return;
    this.stage(READ_1_WRITE_1, 0, x, out);
    this.x.reluForward(this.ptrs[0], this.ptrs[1], n);
    this.unstage(out, 1);
  }

  /** slot += g where x > 0 on arrays of equal length, in place when in `memory`, else through scratch copies (see {@link reluBackwardPtr}). */
  reluBackward(x: Float32Array, g: Float32Array, slot: Float32Array): void {
    const n = x.length;
    if (g.length !== n || slot.length !== n) throw new Error(`WasmKernels.reluBackward: x, g and slot must have equal lengths, got ${n}, ${g.length}, ${slot.length}`);
    if (n === 0) return;
    this.stage(READ_3, 0, x, g, slot);
    this.x.reluBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], n);
    this.unstage(slot, 2);
  }

  /** out = leakyRelu(x, slope) on arrays of equal length (x > 0 ? x : x·slope, in float64 rounded once: the JS kernel's bits). */
  leakyReluForward(x: Float32Array, out: Float32Array, slope: number): void {
    if (!this.unaryIn("leakyReluForward", x, out)) return;
    this.x.leakyReluForward(this.ptrs[0], this.ptrs[1], x.length, slope);
    this.unstage(out, 1);
  }
  /** slot += x > 0 ? g : g·slope on arrays of equal length (the JS kernel's bits). */
  leakyReluBackward(x: Float32Array, g: Float32Array, slot: Float32Array, slope: number): void {
    if (!this.binaryIn("leakyReluBackward", x, g, slot)) return;
    this.x.leakyReluBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], x.length, slope);
    this.unstage(slot, 2);
  }
  /** out = sigmoid(x), the stable form (the JS kernel's bits). */
  sigmoidForward(x: Float32Array, out: Float32Array): void {
    if (!this.unaryIn("sigmoidForward", x, out)) return;
    this.x.sigmoidForward(this.ptrs[0], this.ptrs[1], x.length);
    this.unstage(out, 1);
  }
  /** slot += g·y·(1 − y) from the output y (the JS kernel's bits). */
  sigmoidBackward(y: Float32Array, g: Float32Array, slot: Float32Array): void {
    if (!this.binaryIn("sigmoidBackward", y, g, slot)) return;
    this.x.sigmoidBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], y.length);
    this.unstage(slot, 2);
  }
  /** out = tanh(x) (fdlibm's tanh, as V8's Math.tanh: the JS kernel's bits). */
  tanhForward(x: Float32Array, out: Float32Array): void {
    if (!this.unaryIn("tanhForward", x, out)) return;
    this.x.tanhForward(this.ptrs[0], this.ptrs[1], x.length);
    this.unstage(out, 1);
  }
  /** slot += g·(1 − y²) from the output y (the JS kernel's bits). */
  tanhBackward(y: Float32Array, g: Float32Array, slot: Float32Array): void {
    if (!this.binaryIn("tanhBackward", y, g, slot)) return;
    this.x.tanhBackward(this.ptrs[0], this.ptrs[1], this.ptrs[2], y.length);
    this.unstage(slot, 2);
  }
  /** out = gelu(x), exact (erf) or the tanh approximation (the JS kernel's bits). */
  geluForward(x: Float32Array, out: Float32Array, approximate: "none" | "tanh"): void {
    if (!this.unaryIn("geluForward", x, out)) return;
    this.geluForwardPtr(this.ptrs[0], this.ptrs[1], x.length, approximate);
    this.unstage(out, 1);
  }
  /** slot += g·gelu′(x) (the JS kernel's bits). */
  geluBackward(x: Float32Array, g: Float32Array, slot: Float32Array, approximate: "none" | "tanh"): void {
    if (!this.binaryIn("geluBackward", x, g, slot)) return;
    this.geluBackwardPtr(this.ptrs[0], this.ptrs[1], this.ptrs[2], x.length, approximate);
    this.unstage(slot, 2);
  }

  /** Checks lengths and stages [x, out] of an elementwise forward; false when there is nothing to do. */
  private unaryIn(name: string, x: Float32Array, out: Float32Array): boolean {
    if (out.length !== x.length) throw new Error(`WasmKernels.${name}: out has ${out.length} elements, x has ${x.length}`);
    if (x.length === 0) return false;
    this.stage(READ_1_WRITE_1, 0, x, out);
    return true;
  }
  /** Checks lengths and stages [x, g, slot] of an elementwise backward; false when there is nothing to do. */
  private binaryIn(name: string, x: Float32Array, g: Float32Array, slot: Float32Array): boolean {
    const n = x.length;
    if (g.length !== n || slot.length !== n) throw new Error(`WasmKernels.${name}: x, g and slot must have equal lengths, got ${n}, ${g.length}, ${slot.length}`);
    if (n === 0) return false;
    this.stage(READ_3, 0, x, g, slot);
    return true;
  }
}
