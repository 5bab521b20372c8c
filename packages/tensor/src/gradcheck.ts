/**
 * Finite-difference gradient check in float64, like torch.autograd.gradcheck: compares the
 * autograd gradient of sum(fn(inputs) ⊙ u) (u a fixed random upstream) with central differences.
 */
import { Tensor, noGrad, type FloatArray, type TensorData } from "./tensor.js";
import { Rng } from "./rng.js";

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the random upstream gradient. */
  seed?: number;
}

function weightedSum(out: Tensor, upstream: FloatArray): number {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i] * upstream[i];
  return s;
}

/**
 * Checks `fn`'s gradients with respect to every input that requires grad. Float inputs are copied
 * to float64 first; int32 inputs (indices, masks) are passed through as they are, and are never
 * perturbed. Returns true, or throws naming the input, element, analytic and numeric values.
 *
 * @example
 * gradcheck((x, idx) => gather(x, 1, idx), [x, tensor([[0, 2]], [1, 2], { dtype: "int32" })]);
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options?: GradcheckOptions): true;
export function gradcheck<const I extends readonly Tensor<TensorData>[]>(fn: (...inputs: [...I]) => Tensor, inputs: I, options?: GradcheckOptions): true;
export function gradcheck(fn: (...inputs: never[]) => Tensor, inputs: readonly Tensor<TensorData>[], options: GradcheckOptions = {}): true {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const xs = inputs.map((t) => (t.data instanceof Int32Array ? t : new Tensor(Float64Array.from(t.data), t.shape, t.requiresGrad)));
  const call = (): Tensor => fn(...(xs as never[]));
  const out = call();
  if (out.dtype !== "float64") throw new Error("gradcheck: fn must compute in float64 when its inputs are float64 (it returned float32)");
  const rng = new Rng(options.seed ?? 0);
  const upstream = new Float64Array(out.size);
  rng.fillNormal(upstream, 0, 1);
  if (!out.requiresGrad) throw new Error("gradcheck: the output does not require grad — mark at least one input with requiresGrad");
  out.backward(new Tensor(upstream, out.shape));
  xs.forEach((x, which) => {
    if (!x.requiresGrad || x.data instanceof Int32Array) return;
    const analytic = x.grad ? x.grad.data : new Float64Array(x.size);
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i];
      x.data[i] = orig + eps;
      const plus = noGrad(() => weightedSum(call(), upstream));
      x.data[i] = orig - eps;
      const minus = noGrad(() => weightedSum(call(), upstream));
      x.data[i] = orig;
      const numeric = (plus - minus) / (2 * eps);
      if (!(Math.abs(analytic[i] - numeric) <= atol + rtol * Math.abs(numeric))) {
        throw new Error(`gradcheck: input ${which}, element ${i}: autograd gives ${analytic[i]}, finite differences give ${numeric}`);
      }
    }
  });
  return true;
}
