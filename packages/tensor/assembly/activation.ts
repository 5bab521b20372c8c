// Sigmoid, tanh, leaky ReLU and GELU, forward and backward, over n float32 elements at byte
// pointers; the contract of src/kernels/activation.ts (forward writes `out`, backward
// accumulates into `slot`). Each element is computed in float64 with the JS loop's operations in
// its order (exp, expm1, tanh and erf are fdlibm's, V8's algorithms) and rounded to float32 once,
// so the results are the JS kernels' bits. Scalar loops: the transcendental functions branch,
// and erf's series is bound by its (exact, hence unavoidable) divisions — an f64x2 series with
// masked lanes, tried, ran ~3× slower under Node 20's V8 than this; so did interleaving two.
import { erf, fdlibmExp, fdlibmTanh } from "./fdlibm";

const SQRT1_2: f64 = 0.7071067811865476; // Math.SQRT1_2
const INV_SQRT_2PI: f64 = 0.3989422804014327;
const SQRT_2_OVER_PI: f64 = 0.7978845608028654;
const GELU_C: f64 = 0.044715;

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f64 { return <f64>load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function st(p: usize, i: i32, v: f64): void { store<f32>(p + (<usize>i << 2), <f32>v); }

export function leakyReluForward(x: usize, out: usize, n: i32, slope: f64): void {
  for (let i = 0; i < n; i++) {
    const v = ld(x, i);
    st(out, i, v > 0 ? v : v * slope);
  }
}
export function leakyReluBackward(x: usize, g: usize, slot: usize, n: i32, slope: f64): void {
  for (let i = 0; i < n; i++) {
    const gi = ld(g, i);
    st(slot, i, ld(slot, i) + (ld(x, i) > 0 ? gi : gi * slope));
  }
}

export function sigmoidForward(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const v = ld(x, i);
    if (v >= 0) st(out, i, 1 / (1 + fdlibmExp(-v)));
    else {
      const e = fdlibmExp(v);
      st(out, i, e / (1 + e));
    }
  }
}
export function sigmoidBackward(y: usize, g: usize, slot: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const yi = ld(y, i);
    st(slot, i, ld(slot, i) + ld(g, i) * yi * (1 - yi));
  }
}

export function tanhForward(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) st(out, i, fdlibmTanh(ld(x, i)));
}
export function tanhBackward(y: usize, g: usize, slot: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const yi = ld(y, i);
    st(slot, i, ld(slot, i) + ld(g, i) * (1 - yi * yi));
  }
}

/** GELU; `approximate` 0: exact, x·Φ(x) via erf; 1: PyTorch's tanh approximation. */
export function geluForward(x: usize, out: usize, n: i32, approximate: i32): void {
  if (approximate != 0) {
    for (let i = 0; i < n; i++) {
      const v = ld(x, i);
      st(out, i, 0.5 * v * (1 + fdlibmTanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v))));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = ld(x, i);
      st(out, i, 0.5 * v * (1 + erf(v * SQRT1_2)));
    }
  }
}
export function geluBackward(x: usize, g: usize, slot: usize, n: i32, approximate: i32): void {
  if (approximate != 0) {
    for (let i = 0; i < n; i++) {
      const v = ld(x, i);
      const t = fdlibmTanh(SQRT_2_OVER_PI * (v + GELU_C * v * v * v));
      const dt = (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_C * v * v);
      st(slot, i, ld(slot, i) + ld(g, i) * (0.5 * (1 + t) + 0.5 * v * dt));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = ld(x, i);
      const cdf = 0.5 * (1 + erf(v * SQRT1_2));
      st(slot, i, ld(slot, i) + ld(g, i) * (cdf + v * INV_SQRT_2PI * fdlibmExp(-0.5 * v * v)));
    }
  }
}
