import { afterEach, describe, expect, it } from "vitest";
import { conv2d } from "../src/ops/index.js";
import { WINOGRAD_MIN_CHANNELS } from "../src/ops/conv.js";
import { setBackend, type Backend } from "../src/kernels/backend.js";
import * as js from "../src/kernels/js/winograd.js";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { gradcheck } from "../src/gradcheck.js";
import { Rng } from "../src/rng.js";
import { Tensor } from "../src/tensor.js";

// Winograd F(2×2, 3×3), which conv2d runs for 3×3 / stride 1 / padding 1 between at least
// WINOGRAD_MIN_CHANNELS channels (forward and dx; dW stays im2col): (1) the wasm transforms give
// the js kernels' bits; (2) conv2d's output, dx and dW against the definition summed directly in
// float64, at the golden files' float32 tolerance (rtol 1e-4, atol 1e-5), on both backends, at
// the standard CNN's shapes and at odd sizes (partial tiles) — dW (im2col + gemm, not Winograd)
// with 4·2⁻²⁴·Σ|x·dy| more, float32's own summation error over its N·H·W terms at a unit
// upstream gradient (measured 1.5e-5 on an element of 0.04 at 588 terms, either path);
// (3) float64 finite differences.

const BACKENDS: Backend[] = wasmSimdSupported() ? ["js", "wasm"] : ["js"];
afterEach(() => setBackend());
const rng = new Rng(23);
function randn(shape: number[], dtype: "float32" | "float64", scale = 1, requiresGrad = true): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  rng.fillNormal(data, 0, scale);
  return new Tensor(data, shape, requiresGrad);
}
const firstDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.prototype.findIndex.call(a, (v: number, i: number) => !Object.is(v, b[i]));

describe.runIf(wasmSimdSupported())("wasm Winograd transforms", () => {
  const k = new WasmKernels();
  it.each([[1, 16, 16, 5, 5], [2, 3, 4, 14, 14], [3, 2, 5, 7, 6], [1, 1, 1, 1, 1], [2, 2, 3, 1, 4], [2, 3, 2, 9, 11], [1, 2, 2, 8, 16], [1, 2, 3, 3, 20]])(
    "n %i, c %i → %i, %i×%i: weights (both ways), input and output (writing and adding) with the js kernels' bits", (n, ci, co, h, w) => {
      const tiles = ((h + 1) >> 1) * ((w + 1) >> 1), T = n * tiles;
      const wt = randn([co, ci, 3, 3], "float32", 1, false).data as Float32Array;
      for (const flip of [false, true]) {
        const a = new Float32Array(16 * co * ci).fill(NaN), b = a.slice();
        js.winogradWeights(wt, co, ci, flip, a);
        k.winogradWeights(wt, co, ci, flip, b);
        expect(firstDiff(b, a)).toBe(-1);
      }
      const x = randn([n, ci, h, w], "float32", 1, false).data as Float32Array;
      x[0] = -0;
      const va = new Float32Array(16 * ci * T).fill(NaN), vb = va.slice();
      js.winogradInput(x, n, ci, h, w, va);
      k.winogradInput(x, n, ci, h, w, vb);
      expect(firstDiff(vb, va)).toBe(-1);
      const m = randn([16 * co * T], "float32", 1, false).data as Float32Array;
      for (const accumulate of [false, true]) {
        const y0 = randn([n, co, h, w], "float32", 1, false).data as Float32Array;
        const ya = y0.slice(), yb = y0.slice();
        js.winogradOutput(m, n, co, h, w, ya, accumulate);
        k.winogradOutput(m, n, co, h, w, yb, accumulate);
        expect(firstDiff(yb, ya)).toBe(-1);
      }
    });
});

/** The 3×3, padding-1 convolution by its definition, in float64: out, and dx, dW for the upstream gradient up. */
function direct(x: Tensor, w: Tensor, up: ArrayLike<number>) {
  const [N, C, H, W] = x.shape, O = w.shape[0];
  const out = new Float64Array(N * O * H * W), gx = new Float64Array(x.size), gw = new Float64Array(w.size), gwAbs = new Float64Array(w.size);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
    const oi = ((n * O + o) * H + i) * W + j;
    let acc = 0;
    for (let c = 0; c < C; c++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
      const ih = i + a - 1, iw = j + b - 1;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const xi = ((n * C + c) * H + ih) * W + iw, wi = ((o * C + c) * 3 + a) * 3 + b;
      acc += w.data[wi] * x.data[xi];
      gx[xi] += w.data[wi] * up[oi];
      gw[wi] += x.data[xi] * up[oi];
      gwAbs[wi] += Math.abs(x.data[xi] * up[oi]);
    }
    out[oi] = acc;
  }
  return { out, gx, gw, gwAbs };
}
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, sumAbs?: ArrayLike<number>): void {
  let worst = -1, at = -1;
  for (let i = 0; i < want.length; i++) {
    const excess = Math.abs(got[i] - want[i]) - (1e-5 + 1e-4 * Math.abs(want[i]) + (sumAbs ? 4 * 2 ** -24 * sumAbs[i] : 0));
    if (!(excess <= 0) && (Number.isNaN(excess) || excess > worst)) { worst = excess; at = i; }
  }
  if (at >= 0) expect.fail(`${what}: element ${at} is ${got[at]}, want ${want[at]} (±1e-5 + 1e-4·|want|)`);
}

describe.each(BACKENDS)("conv2d on Winograd [%s]", (backend) => {
  it.each([
    ["the standard CNN's conv2 (32 → 64 on 14×14, batch 3)", [3, 32, 14, 14], 64],
    ["odd planes 7×9 (partial tiles), 16 → 20", [2, 16, 7, 9], 20],
    ["one row 1×5, 24 → 16", [2, 24, 1, 5], 16],
  ] as [string, number[], number][])("%s: output, dx and dW against the float64 definition at the golden tolerance", (_, xs, co) => {
    setBackend(backend);
    expect(Math.min(xs[1], co)).toBeGreaterThanOrEqual(WINOGRAD_MIN_CHANNELS);
    const x = randn(xs, "float32"), w = randn([co, xs[1], 3, 3], "float32", 1 / Math.sqrt(9 * xs[1]));
    const y = conv2d(x, w, null, { padding: 1 });
    const up = randn(y.shape, "float32", 1, false);
    y.backward(up);
    const want = direct(x, w, up.data);
    expectClose(y.data, want.out, "output");
    expectClose(x.grad!.data, want.gx, "dx");
    expectClose(w.grad!.data, want.gw, "dW", want.gwAbs);
  });

  it("float64 finite differences (16 → 16 on 3×4, with bias)", () => {
    setBackend(backend);
    gradcheck((x, w, b) => conv2d(x, w, b, { padding: 1 }), [randn([1, 16, 3, 4], "float64"), randn([16, 16, 3, 3], "float64", 0.3), randn([16], "float64")]);
  });
});
