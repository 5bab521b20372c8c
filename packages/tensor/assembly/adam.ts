// Adam / AdamW update over a flat range — torch 1.13's `_single_tensor_adam(w)` arithmetic, as
// packages/optim/src/adam-base.ts (updateSlot) writes it, operation for operation:
//
//   pi = p·decay                         (AdamW: decay = 1 − lr·wd; Adam: 1)
//   d  = sign·g (+ l2·pi)                (Adam's L2 penalty; sign = −1 when maximising)
//   m  = β1·m + (1 − β1)·d
//   v  = β2·v + ((1 − β2)·d)·d
//   v̂  = max(v̂max, v)                    (AMSGrad only)
//   p  = pi − stepSize·(m / (√v̂ / √(1 − β2^t) + eps))     (eps after the bias-corrected sqrt)
//
// Two precisions. The JS optimiser computes in JS doubles and stores float32; `adamExact` does
// exactly that in f64x2 lanes and gives identical bits. `adam` computes in float32x4 lanes and
// differs in the last bits (within the golden tolerances), but is ≈ 3× faster: a sqrt and two
// divisions per element make this loop bound by the divider, which does 4 float32 lanes in
// the time of 2 float64 lanes.
// Measured on the 235,146 parameters of the 784-256-128-10 MLP, state resident in wasm memory
// (scripts/bench-wasm.mjs, medians, 2-vCPU Zen dev machine): the JS loop 0.9–1.7 ms, adamExact
// 0.55–0.73 ms, adam 0.17–0.27 ms. Largest difference of `adam` from the JS optimiser over 5
// steps (test/wasm-adam.test.ts): |Δp| ≤ 3e-7 (a few float32 ulps of p); on the golden PyTorch
// cases its worst error is 0.002 of the tolerance.
//
// Pointers are byte addresses of float32 arrays of n elements; mx = 0 means no AMSGrad.
// Every element goes through the same arithmetic whether it falls in a vector or in the scalar
// tail, so the result does not depend on how a range is split between workers.

/** The update in float32 lanes (hyper-parameters already rounded to float32 by the caller). */
export function adam(
  n: i32, p: usize, g: usize, m1: usize, m2: usize, mx: usize,
  decay: f32, l2: f32, sign: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  stepSize: f32, bias2Sqrt: f32, eps: f32,
): void {
  const useL2 = l2 != 0, ams = mx != 0;
  const decayV = f32x4.splat(decay), l2V = f32x4.splat(l2), signV = f32x4.splat(sign);
  const b1V = f32x4.splat(beta1), c1V = f32x4.splat(oneMinusBeta1);
  const b2V = f32x4.splat(beta2), c2V = f32x4.splat(oneMinusBeta2);
  const stepV = f32x4.splat(stepSize), b2sV = f32x4.splat(bias2Sqrt), epsV = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const pi = f32x4.mul(v128.load(p + o), decayV);
    let d = f32x4.mul(signV, v128.load(g + o));
    if (useL2) d = f32x4.add(d, f32x4.mul(l2V, pi));
    const m = f32x4.add(f32x4.mul(b1V, v128.load(m1 + o)), f32x4.mul(c1V, d));
    const v = f32x4.add(f32x4.mul(b2V, v128.load(m2 + o)), f32x4.mul(f32x4.mul(c2V, d), d));
    v128.store(m1 + o, m);
    v128.store(m2 + o, v);
    let vHat = v;
    if (ams) {
      vHat = f32x4.max(v128.load(mx + o), v);
      v128.store(mx + o, vHat);
    }
    const denom = f32x4.add(f32x4.div(f32x4.sqrt(vHat), b2sV), epsV);
    v128.store(p + o, f32x4.sub(pi, f32x4.mul(stepV, f32x4.div(m, denom))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o) * decay;
    let d = sign * load<f32>(g + o);
    if (useL2) d += l2 * pi;
    const m = beta1 * load<f32>(m1 + o) + oneMinusBeta1 * d;
    const v = beta2 * load<f32>(m2 + o) + oneMinusBeta2 * d * d;
    store<f32>(m1 + o, m);
    store<f32>(m2 + o, v);
    let vHat = v;
    if (ams) {
      vHat = max<f32>(load<f32>(mx + o), v);
      store<f32>(mx + o, vHat);
    }
    const denom = sqrt<f32>(vHat) / bias2Sqrt + eps;
    store<f32>(p + o, pi - stepSize * (m / denom));
  }
}

/** The update in float64 lanes: bit-identical to @weft/optim's JS Adam/AdamW. */
export function adamExact(
  n: i32, p: usize, g: usize, m1: usize, m2: usize, mx: usize,
  decay: f64, l2: f64, sign: f64, beta1: f64, beta2: f64, stepSize: f64, bias2Sqrt: f64, eps: f64,
): void {
  const useL2 = l2 != 0, ams = mx != 0;
  const decayV = f64x2.splat(decay), l2V = f64x2.splat(l2), signV = f64x2.splat(sign);
  const b1V = f64x2.splat(beta1), c1V = f64x2.splat(1 - beta1);
  const b2V = f64x2.splat(beta2), c2V = f64x2.splat(1 - beta2);
  const stepV = f64x2.splat(stepSize), b2sV = f64x2.splat(bias2Sqrt), epsV = f64x2.splat(eps);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 2;
    const pi = f64x2.mul(widen(p + o), decayV);
    let d = f64x2.mul(signV, widen(g + o));
    if (useL2) d = f64x2.add(d, f64x2.mul(l2V, pi));
    const m = f64x2.add(f64x2.mul(b1V, widen(m1 + o)), f64x2.mul(c1V, d));
    const v = f64x2.add(f64x2.mul(b2V, widen(m2 + o)), f64x2.mul(f64x2.mul(c2V, d), d));
    narrow(m1 + o, m);
    narrow(m2 + o, v);
    let vHat = v;
    if (ams) {
      vHat = f64x2.max(widen(mx + o), v);
      narrow(mx + o, vHat);
    }
    const denom = f64x2.add(f64x2.div(f64x2.sqrt(vHat), b2sV), epsV);
    narrow(p + o, f64x2.sub(pi, f64x2.mul(stepV, f64x2.div(m, denom))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pi = <f64>load<f32>(p + o) * decay;
    let d = sign * <f64>load<f32>(g + o);
    if (useL2) d += l2 * pi;
    const m = beta1 * <f64>load<f32>(m1 + o) + (1 - beta1) * d;
    const v = beta2 * <f64>load<f32>(m2 + o) + (1 - beta2) * d * d;
    store<f32>(m1 + o, <f32>m);
    store<f32>(m2 + o, <f32>v);
    let vHat = v;
    if (ams) {
      vHat = max<f64>(<f64>load<f32>(mx + o), v);
      store<f32>(mx + o, <f32>vHat);
    }
    const denom = Math.sqrt(vHat) / bias2Sqrt + eps;
    store<f32>(p + o, <f32>(pi - stepSize * (m / denom)));
  }
}

/** Two float32 at ptr → f64x2. */
@inline function widen(ptr: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(ptr));
}

/** f64x2 → two float32 at ptr, rounded to nearest (as a Float32Array store rounds). */
@inline function narrow(ptr: usize, x: v128): void {
  v128.store64_lane(ptr, f32x4.demote_f64x2_zero(x), 0);
}
