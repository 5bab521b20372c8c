// BatchNorm1d over float32 x [n, C] (row-major, statistics per column), the loops of
// src/kernels/js/batch-norm.ts (BatchNorm1d's and SyncBatchNorm's loops) in float64 lanes, two
// columns at a time, operation for operation and row by row in the same order — so both
// backends give the same bits. Per-column vectors (mean, invstd, sums, …) are float64 arrays
// of C; they stay in L1 while the rows stream by.

/** Two float32 at ptr → f64x2. */
@inline function widen(ptr: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(ptr));
}

/** f64x2 → two float32 at ptr, rounded to nearest (as a Float32Array store rounds). */
@inline function narrow(ptr: usize, v: v128): void {
  v128.store64_lane(ptr, f32x4.demote_f64x2_zero(v), 0);
}

/** mean[c] = Σ_i x[i,c] / n, then var[c] = Σ_i (x[i,c] − mean[c])² / n (biased): two passes. */
export function batchNormMeanVar(x: usize, n: i32, C: i32, mean: usize, variance: usize): void {
  memory.fill(mean, 0, <usize>C << 3);
  memory.fill(variance, 0, <usize>C << 3);
  const count = <f64>n;
  for (let i = 0; i < n; i++) {
    const xr = x + (<usize>(i * C) << 2);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const m = mean + (<usize>c << 3);
      v128.store(m, f64x2.add(v128.load(m), widen(xr + (<usize>c << 2))));
    }
    for (; c < C; c++) {
      const m = mean + (<usize>c << 3);
      store<f64>(m, load<f64>(m) + <f64>load<f32>(xr + (<usize>c << 2)));
    }
  }
  for (let c = 0; c < C; c++) store<f64>(mean + (<usize>c << 3), load<f64>(mean + (<usize>c << 3)) / count);
  for (let i = 0; i < n; i++) {
    const xr = x + (<usize>(i * C) << 2);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const o = <usize>c << 3;
      const d = f64x2.sub(widen(xr + (<usize>c << 2)), v128.load(mean + o));
      v128.store(variance + o, f64x2.add(v128.load(variance + o), f64x2.mul(d, d)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 3;
      const d = <f64>load<f32>(xr + (<usize>c << 2)) - load<f64>(mean + o);
      store<f64>(variance + o, load<f64>(variance + o) + d * d);
    }
  }
  for (let c = 0; c < C; c++) store<f64>(variance + (<usize>c << 3), load<f64>(variance + (<usize>c << 3)) / count);
}

/** sum[c] += Σ_i x[i,c] and sumSq[c] += Σ_i x[i,c]², one pass (SyncBatchNorm's local sums). */
export function batchNormSums(x: usize, n: i32, C: i32, sum: usize, sumSq: usize): void {
  for (let i = 0; i < n; i++) {
    const xr = x + (<usize>(i * C) << 2);
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const o = <usize>c << 3;
      const v = widen(xr + (<usize>c << 2));
      v128.store(sum + o, f64x2.add(v128.load(sum + o), v));
      v128.store(sumSq + o, f64x2.add(v128.load(sumSq + o), f64x2.mul(v, v)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 3;
      const v = <f64>load<f32>(xr + (<usize>c << 2));
      store<f64>(sum + o, load<f64>(sum + o) + v);
      store<f64>(sumSq + o, load<f64>(sumSq + o) + v * v);
    }
  }
}

/** out[i,c] = (x[i,c] − mean[c])·scale[c] + shift[c] in float64, rounded to float32 once. */
export function batchNormForward(x: usize, n: i32, C: i32, mean: usize, scale: usize, shift: usize, out: usize): void {
  for (let i = 0; i < n; i++) {
    const row = <usize>(i * C) << 2;
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const o = <usize>c << 3, e = row + (<usize>c << 2);
      const y = f64x2.add(f64x2.mul(f64x2.sub(widen(x + e), v128.load(mean + o)), v128.load(scale + o)), v128.load(shift + o));
      narrow(out + e, y);
    }
    for (; c < C; c++) {
      const o = <usize>c << 3, e = row + (<usize>c << 2);
      store<f32>(out + e, <f32>((<f64>load<f32>(x + e) - load<f64>(mean + o)) * load<f64>(scale + o) + load<f64>(shift + o)));
    }
  }
}

/**
 * The backward's sums over the rows: sums[c] += Σ_i dy[i,c] and
 * sums[C + c] += Σ_i dy[i,c]·(x[i,c] − mean[c])·invstd[c] (Σdy and Σdy·x̂).
 */
export function batchNormBackwardSums(x: usize, g: usize, n: i32, C: i32, mean: usize, invstd: usize, sums: usize): void {
  const sumsXhat = sums + (<usize>C << 3);
  for (let i = 0; i < n; i++) {
    const row = <usize>(i * C) << 2;
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const o = <usize>c << 3, e = row + (<usize>c << 2);
      const dy = widen(g + e);
      v128.store(sums + o, f64x2.add(v128.load(sums + o), dy));
      const t = f64x2.mul(f64x2.mul(dy, f64x2.sub(widen(x + e), v128.load(mean + o))), v128.load(invstd + o));
      v128.store(sumsXhat + o, f64x2.add(v128.load(sumsXhat + o), t));
    }
    for (; c < C; c++) {
      const o = <usize>c << 3, e = row + (<usize>c << 2);
      const dy = <f64>load<f32>(g + e);
      store<f64>(sums + o, load<f64>(sums + o) + dy);
      store<f64>(sumsXhat + o, load<f64>(sumsXhat + o) + dy * (<f64>load<f32>(x + e) - load<f64>(mean + o)) * load<f64>(invstd + o));
    }
  }
}

/**
 * gx[i,c] += k[c]·(dy − meanDy[c] − (x − mean[c])·invstd[c]·meanDyXhat[c]) in float64, rounded
 * to float32 once: the closed-form dx (k = γ·invstd; meanDy, meanDyXhat the batch's Σ / count).
 */
export function batchNormBackwardDx(
  x: usize, g: usize, n: i32, C: i32, mean: usize, invstd: usize, k: usize, meanDy: usize, meanDyXhat: usize, gx: usize,
): void {
  for (let i = 0; i < n; i++) {
    const row = <usize>(i * C) << 2;
    let c = 0;
    for (; c + 2 <= C; c += 2) {
      const o = <usize>c << 3, e = row + (<usize>c << 2);
      const xhatTerm = f64x2.mul(f64x2.mul(f64x2.sub(widen(x + e), v128.load(mean + o)), v128.load(invstd + o)), v128.load(meanDyXhat + o));
      const d = f64x2.mul(v128.load(k + o), f64x2.sub(f64x2.sub(widen(g + e), v128.load(meanDy + o)), xhatTerm));
      narrow(gx + e, f64x2.add(widen(gx + e), d));
    }
    for (; c < C; c++) {
      const o = <usize>c << 3, e = row + (<usize>c << 2);
      const xhatTerm = (<f64>load<f32>(x + e) - load<f64>(mean + o)) * load<f64>(invstd + o) * load<f64>(meanDyXhat + o);
      const d = load<f64>(k + o) * (<f64>load<f32>(g + e) - load<f64>(meanDy + o) - xhatTerm);
      store<f32>(gx + e, <f32>(<f64>load<f32>(gx + e) + d));
    }
  }
}
