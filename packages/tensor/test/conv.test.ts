import { afterEach, describe, expect, it } from "vitest";
import { adaptiveAvgPool2d, avgPool2d, conv1d, conv2d, maxPool2d, type ConvOptions } from "../src/ops/index.js";
import { setBackend, type Backend } from "../src/kernels/backend.js";
import { wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { gradcheck } from "../src/gradcheck.js";
import { Rng } from "../src/rng.js";
import { Tensor } from "../src/tensor.js";

// conv1d/conv2d and the pooling ops: float64 finite differences (gradcheck) over every option,
// a direct-summation oracle for the cases the golden files do not hold ("same" padding with an
// even kernel, unbatched input), and the errors. The golden conv.json cases check them against
// PyTorch on both backends (test/golden.test.ts).

const BACKENDS: Backend[] = wasmSimdSupported() ? ["js", "wasm"] : ["js"];
afterEach(() => setBackend());

const rng = new Rng(14);
function randn(shape: number[], dtype: "float32" | "float64" = "float64"): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  rng.fillNormal(data, 0, 1);
  return new Tensor(data, shape, true);
}

/** The definition, summed directly: out[n,o,i,j] = b[o] + Σ w[o,c,ki,kj]·x[n, g·Cg + c, i·s − p + ki·d, j·s − p + kj·d]. */
function directConv2d(x: Tensor, w: Tensor, b: Tensor | null, s: number[], pLead: number[], d: number[], groups: number, oh: number, ow: number): Float64Array {
  const [N, C, H, W] = x.shape, [O, Cg, KH, KW] = w.shape;
  const og = O / groups;
  const out = new Float64Array(N * O * oh * ow);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let acc = b ? b.data[o] : 0;
    const g = Math.floor(o / og);
    for (let c = 0; c < Cg; c++) for (let ki = 0; ki < KH; ki++) for (let kj = 0; kj < KW; kj++) {
      const ih = i * s[0] - pLead[0] + ki * d[0], iw = j * s[1] - pLead[1] + kj * d[1];
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      acc += w.data[((o * Cg + c) * KH + ki) * KW + kj] * x.data[((n * C + g * Cg + c) * H + ih) * W + iw];
    }
    out[((n * O + o) * oh + i) * ow + j] = acc;
  }
  return out;
}

describe.each(BACKENDS)("convolution and pooling [%s]", (b) => {
  const use = (): void => setBackend(b);

  it.each<[string, number[], number[], ConvOptions, boolean]>([
    ["3×3 padding 1", [2, 3, 5, 5], [4, 3, 3, 3], { padding: 1 }, true],
    ["stride 2, padding [1, 0]", [2, 2, 6, 5], [3, 2, 3, 2], { stride: 2, padding: [1, 0] }, true],
    ["dilation 2", [1, 2, 6, 6], [2, 2, 2, 3], { dilation: [2, 1], padding: 1 }, false],
    ["groups 2", [2, 4, 4, 4], [6, 2, 3, 3], { groups: 2, padding: 1 }, true],
    ["depthwise", [2, 3, 4, 4], [3, 1, 3, 3], { groups: 3 }, true],
    ["1×1 (no unfold)", [2, 3, 3, 4], [2, 3, 1, 1], {}, true],
    ["same, even kernel", [1, 2, 5, 4], [2, 2, 2, 4], { padding: "same" }, true],
  ])("conv2d gradcheck: %s", (_name, xs, ws, o, bias) => {
    use();
    const inputs = [randn(xs), randn(ws), ...(bias ? [randn([ws[0]])] : [])];
    gradcheck((x, w, bb) => conv2d(x, w, bb ?? null, o), inputs);
  });

  it.each<[string, number[], number[], ConvOptions]>([
    ["padding 1", [2, 3, 7], [4, 3, 3], { padding: 1 }],
    ["stride 2, dilation 2", [2, 2, 9], [3, 2, 3], { stride: 2, dilation: 2 }],
    ["groups 2, same", [1, 4, 6], [2, 2, 4], { groups: 2, padding: "same" }],
  ])("conv1d gradcheck: %s", (_name, xs, ws, o) => {
    use();
    gradcheck((x, w, bb) => conv1d(x, w, bb, o), [randn(xs), randn(ws), randn([ws[0]])]);
  });

  it("conv2d 'same' with an even kernel pads the extra row and column at the end, as PyTorch", () => {
    use();
    const x = randn([2, 3, 5, 6]), w = randn([4, 3, 2, 4]), bias = randn([4]);
    const y = conv2d(x, w, bias, { padding: "same" });
    expect(y.shape).toEqual([2, 4, 5, 6]);
    // total padding d·(k − 1) = 1 and 3: leading 0 and 1.
    const ref = directConv2d(x, w, bias, [1, 1], [0, 1], [1, 1], 1, 5, 6);
    ref.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 10));
  });

  it("conv2d takes unbatched input [C, H, W] and float32", () => {
    use();
    const x = randn([3, 5, 5], "float32"), w = randn([2, 3, 3, 3], "float32");
    const y = conv2d(x, w, null, { stride: 2 });
    expect(y.shape).toEqual([2, 2, 2]);
    expect(y.dtype).toBe("float32");
    const ref = directConv2d(new Tensor(x.data, [1, 3, 5, 5]), w, null, [2, 2], [0, 0], [1, 1], 1, 2, 2);
    ref.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 4));
  });

  it("pooling gradchecks (max: inputs without ties)", () => {
    use();
    // A permutation of spaced values: no two candidates within 1e-3, so finite differences do not cross a tie.
    const distinct = (shape: number[]): Tensor => {
      const n = shape.reduce((a, d) => a * d, 1);
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rng.uniform() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      return new Tensor(Float64Array.from(order, (v) => v * 0.01 - 1), shape, true);
    };
    gradcheck((x) => maxPool2d(x, 2), [distinct([2, 2, 4, 5])]);
    gradcheck((x) => maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true }), [distinct([1, 2, 6, 5])]);
    gradcheck((x) => maxPool2d(x, [2, 3], { stride: [1, 2] }), [distinct([2, 4, 5])]);
    for (const countIncludePad of [true, false]) {
      gradcheck((x) => avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad }), [randn([2, 2, 6, 5])]);
      gradcheck((x) => avgPool2d(x, [2, 3], { stride: [2, 1], padding: [1, 0], countIncludePad }), [randn([1, 2, 5, 5])]);
    }
    gradcheck((x) => adaptiveAvgPool2d(x, [3, 4]), [randn([2, 2, 5, 7])]);
    gradcheck((x) => adaptiveAvgPool2d(x, [null, 2]), [randn([2, 3, 5])]);
  });

  it("ceil-mode sizes: a window may not start in the right padding", () => {
    use();
    // H = 5, k = 2, s = 2, p = 1: ⌈(5 + 2 − 2)/2⌉ + 1 = 4, and window 3 starts at 5 = H: dropped → 3.
    expect(maxPool2d(randn([1, 1, 5, 5]), 2, { padding: 1, ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
    // H = 6, k = 3, s = 2, p = 0: ⌈3/2⌉ + 1 = 3 (floor: 2).
    expect(avgPool2d(randn([1, 1, 6, 6]), 3, { stride: 2, ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
    expect(avgPool2d(randn([1, 1, 6, 6]), 3, { stride: 2 }).shape).toEqual([1, 1, 2, 2]);
  });
});

describe("convolution and pooling errors", () => {
  const x = randn([2, 4, 6, 6]);
  it("names the op, the argument and the fix", () => {
    expect(() => conv2d(randn([4, 6]), randn([2, 4, 3, 3]))).toThrow(/conv2d: expected input \[N, C, H, W\]/);
    expect(() => conv2d(x, randn([2, 3, 3, 3]))).toThrow(/expects 3 input channels, but the input \[2, 4, 6, 6\] has 4/);
    expect(() => conv2d(x, randn([3, 2, 3, 3]), null, { groups: 2 })).toThrow(/groups = 2 must divide/);
    expect(() => conv2d(x, randn([2, 4, 3, 3]), randn([3]))).toThrow(/bias must have shape \[2\]/);
    expect(() => conv2d(x, randn([2, 4, 3, 3]), null, { stride: 2, padding: "same" })).toThrow(/"same" is not supported for strided/);
    expect(() => conv2d(x, randn([2, 4, 7, 7]))).toThrow(/too small for the kernel/);
    expect(() => conv2d(x, randn([2, 4, 3, 3]), null, { stride: [1, 0] })).toThrow(/stride must be a positive integer or a list of 2/);
    expect(() => conv2d(x, randn([2, 4, 3, 3], "float32"))).toThrow(/must have one dtype/);
    expect(() => conv1d(x, randn([2, 4, 3]))).toThrow(/conv1d: expected input \[N, C, L\]/);
    expect(() => maxPool2d(x, 2, { padding: 2 })).toThrow(/at most half the kernel size/);
    expect(() => avgPool2d(randn([6]), 2)).toThrow(/avgPool2d: expected input \[N, C, H, W\]/);
    expect(() => adaptiveAvgPool2d(x, [0, 2])).toThrow(/outputSize must be a positive integer/);
  });
});
