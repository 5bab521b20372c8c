import { describe, expect, it } from "vitest";
import { gemm, type FloatArray } from "../src/kernels/js/gemm.js";
import { reference, type Case } from "./gemm-reference.js";

// Oracle: a naive triple loop in float64 reading the operands exactly as the doc comment
// of gemm defines them. Tolerance: float32 results are rounded once from a double sum, so
// |got − want| <= 1e-4 + 1e-4·|want| is loose for them; float64 must agree to 1e-12.

/** Deterministic values in [-1, 1) (LCG), so failures reproduce. */
function fill(arr: FloatArray, seed: number): FloatArray {
  let s = seed >>> 0;
  for (let i = 0; i < arr.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    arr[i] = s / 2 ** 31 - 1;
  }
  return arr;
}



/** Build operands for a case (with padding past the offsets and strides), run gemm, compare everything in C. */
function check(cs: Case, Arr: Float32ArrayConstructor | Float64ArrayConstructor, tol: number): void {
  const aRows = cs.transA ? cs.k : cs.m, bRows = cs.transB ? cs.n : cs.k;
  const a = fill(new Arr(cs.aOff + aRows * cs.lda + 3), 1);
  const b = fill(new Arr(cs.bOff + bRows * cs.ldb + 3), 2);
  const c = fill(new Arr(cs.cOff + cs.m * cs.ldc + 3), 3);
  const bias = cs.bias ? fill(new Arr(cs.biasOff + cs.n + 2), 4) : null;
  if (cs.beta === 0) c.fill(NaN, cs.cOff, cs.cOff + cs.m * cs.ldc); // beta = 0 must never read C
  const want = reference(cs, a, b, c, bias);
  const before = Float64Array.from(c);
  gemm(cs.transA, cs.transB, cs.m, cs.n, cs.k, cs.alpha, a, cs.aOff, cs.lda, b, cs.bOff, cs.ldb,
    cs.beta, c, cs.cOff, cs.ldc, bias, cs.biasOff);
  for (let idx = 0; idx < c.length; idx++) {
    const i = Math.floor((idx - cs.cOff) / cs.ldc), j = (idx - cs.cOff) - i * cs.ldc;
    const inside = idx >= cs.cOff && i < cs.m && j < cs.n;
    if (!inside) {
      // Padding between rows (ldc > n) and outside the matrix is left untouched, NaN included.
      if (!Object.is(c[idx], before[idx])) expect.fail(`gemm wrote outside C at ${idx}`);
      continue;
    }
    const got = c[idx], ref = want[idx];
    if (!(Math.abs(got - ref) <= tol + tol * Math.abs(ref))) {
      expect.fail(`C[${i}][${j}] = ${got}, want ${ref} (${JSON.stringify(cs)})`);
    }
  }
}

const layouts = [
  { transA: false, transB: false, name: "NN" },
  { transA: false, transB: true, name: "NT" },
  { transA: true, transB: false, name: "TN" },
  { transA: true, transB: true, name: "TT" },
];

// Odd sizes on purpose: smaller than, equal to and just past the micro-tile (3×4) and the
// cache blocks (MC = 96 rows, NC = 512 columns, KC = 256 deep), plus degenerate ones.
const shapes: [number, number, number][] = [
  [1, 1, 1], [2, 3, 1], [1, 7, 5], [7, 1, 5], [7, 13, 5], [3, 4, 8], [4, 5, 3],
  [67, 33, 129], [97, 5, 257], [5, 517, 9], [33, 17, 600], [2, 5, 300], [1, 9, 300],
];

function makeCase(transA: boolean, transB: boolean, [m, n, k]: [number, number, number], opts: Partial<Case> = {}): Case {
  const base: Case = {
    transA, transB, m, n, k, alpha: 1, beta: 0, aOff: 0, bOff: 0, cOff: 0, biasOff: 0, bias: false,
    lda: transA ? m : k, ldb: transB ? k : n, ldc: n,
  };
  return { ...base, ...opts };
}

describe.each(layouts)("gemm $name", ({ transA, transB }) => {
  describe.each([
    { Arr: Float32Array, tol: 1e-4, type: "float32" },
    { Arr: Float64Array, tol: 1e-12, type: "float64" },
  ])("$type", ({ Arr, tol }) => {
    it.each(shapes)("plain C = A·B at %i×%i×%i", (m, n, k) => {
      check(makeCase(transA, transB, [m, n, k]), Arr, tol);
    });

    it.each(shapes)("alpha, beta, bias at %i×%i×%i", (m, n, k) => {
      check(makeCase(transA, transB, [m, n, k], { alpha: -0.75, beta: 0.5, bias: true }), Arr, tol);
    });

    it.each([[1, 1, 1], [7, 13, 5], [67, 33, 129]] as [number, number, number][])(
      "offsets and strides larger than a row at %i×%i×%i", (m, n, k) => {
        const ld = (cols: number): number => cols + 5;
        check(makeCase(transA, transB, [m, n, k], {
          alpha: 1.5, beta: -2, bias: true, aOff: 3, bOff: 11, cOff: 7, biasOff: 2,
          lda: ld(transA ? m : k), ldb: ld(transB ? k : n), ldc: ld(n),
        }), Arr, tol);
      });
  });
});

describe("gemm edge cases", () => {
  it("m = 0 or n = 0 touches nothing", () => {
    const c = new Float32Array([1, 2, 3]);
    gemm(false, false, 0, 3, 2, 1, new Float32Array(6), 0, 2, new Float32Array(6), 0, 3, 0, c, 0, 3);
    gemm(false, false, 1, 0, 2, 1, new Float32Array(2), 0, 2, new Float32Array(0), 0, 0, 0, c, 0, 0);
    expect(Array.from(c)).toEqual([1, 2, 3]);
  });

  it("k = 0 gives beta·C + bias (and beta = 0 ignores NaN in C)", () => {
    const c = new Float64Array([NaN, NaN, 4, 8]);
    const bias = new Float64Array([0, 1, 2]);
    gemm(false, false, 1, 2, 0, 1, new Float64Array(0), 0, 0, new Float64Array(0), 0, 2, 0, c, 0, 2, bias, 1);
    gemm(true, true, 1, 2, 0, 1, new Float64Array(0), 0, 1, new Float64Array(0), 0, 0, 0.5, c, 2, 2);
    expect(Array.from(c)).toEqual([1, 2, 2, 4]);
  });

  it("alpha = 0 does not read A or B (NaN there is ignored, as in BLAS)", () => {
    const a = new Float32Array([NaN, NaN]), b = new Float32Array([NaN, NaN]);
    const c = new Float32Array([3, 5]);
    gemm(false, false, 1, 2, 1, 0, a, 0, 1, b, 0, 2, 2, c, 0, 2);
    expect(Array.from(c)).toEqual([6, 10]);
  });

  it("the three Linear layouts at the standard workload shapes", () => {
    // forward Y = X·Wᵀ + b, dW = dYᵀ·X, dX = dY·W for X[128×784], W[256×784]: one k slice
    // is not a multiple of anything, and n = 784 spans two column blocks.
    const N = 16, I = 784, O = 40; // N, O cut down to keep the float64 oracle quick
    check(makeCase(false, true, [N, O, I], { bias: true }), Float32Array, 1e-4);
    check(makeCase(true, false, [O, I, N], { beta: 1 }), Float32Array, 1e-4);
    check(makeCase(false, false, [N, I, O]), Float32Array, 1e-4);
  });

  it("mixing float32 and float64 calls keeps both correct (the packed panels are shared scratch)", () => {
    check(makeCase(false, false, [67, 33, 129]), Float64Array, 1e-12);
    check(makeCase(true, true, [67, 33, 129], { beta: 1 }), Float32Array, 1e-4);
    check(makeCase(false, true, [7, 13, 5]), Float64Array, 1e-12);
  });
});
