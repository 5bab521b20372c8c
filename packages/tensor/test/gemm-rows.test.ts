import { describe, expect, it } from "vitest";
import { gemm as jsGemm } from "../src/kernels/js/gemm.js";
import { wasmGemm, wasmRelaxedSimd, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { Rng } from "../src/rng.js";

// Every element of C has the same bits whatever the call's m and n: a row computed in a 1-row
// call, in a 5-row call or in the whole product is the same number. The data-parallel engine's
// promise (W workers ≡ one worker) rests on it: a shard's row count must not change how its rows
// round — with relaxed SIMD's fused multiply-add too (this file also runs in the "relaxed-simd"
// project; Node 24 enables relaxed SIMD by default). Exact comparison (Object.is), no tolerance.
type Gemm = typeof jsGemm;
const backends: { name: string; gemm: Gemm; run: boolean }[] = [
  { name: "js", gemm: jsGemm, run: true },
  { name: `wasm${wasmSimdSupported() && wasmRelaxedSimd() ? " (relaxed SIMD)" : ""}`, gemm: wasmGemm, run: wasmSimdSupported() },
];
const layouts = [[false, false], [false, true], [true, false], [true, true]] as const;
// k = 600 runs in three k slices (the later ones accumulate onto C); M, N cut the 4×8 tile and
// the js kernel's 3×4 tile unevenly.
const M = 21, N = 19, K = 600;
// [first, count] of rows and of columns: 1 (the one-row/one-column shapes), narrow panels (n ≤ 4),
// partial tiles, and the whole.
const rowCuts: [number, number][] = [[0, 1], [3, 1], [5, 2], [7, 3], [2, 5], [4, 13], [0, M]];
const colCuts: [number, number][] = [[0, 1], [6, 1], [1, 2], [3, 3], [9, 4], [2, 5], [8, 11], [0, N]];

describe.each(backends.filter((b) => b.run))("gemm rounds each element alike whatever m and n ($name)", ({ gemm }) => {
  it.each(layouts.flatMap(([tA, tB]) => [[tA, tB, 0], [tA, tB, 0.5]] as [boolean, boolean, number][]))(
    "transA %s, transB %s, beta %s, with bias", (transA, transB, beta) => {
      const rng = new Rng(11);
      const normal = (len: number) => { const v = new Float32Array(len); rng.fillNormal(v); return v; };
      const a = normal(M * K), b = normal(N * K), c0 = normal(M * N), bias = normal(N);
      const lda = transA ? M : K, ldb = transB ? K : N;
      const whole = c0.slice();
      gemm(transA, transB, M, N, K, 0.75, a, 0, lda, b, 0, ldb, beta, whole, 0, N, bias, 0);
      const differing: string[] = [];
      for (const [i0, m] of rowCuts) {
        for (const [j0, n] of colCuts) {
          const c = c0.slice();
          // Rows i0.. of op(A) and columns j0.. of op(B), as offsets into the same storage.
          gemm(transA, transB, m, n, K, 0.75, a, transA ? i0 : i0 * K, lda, b, transB ? j0 * K : j0, ldb, beta, c, i0 * N + j0, N, bias, j0);
          for (let i = i0; i < i0 + m; i++) {
            for (let j = j0; j < j0 + n; j++) if (!Object.is(c[i * N + j], whole[i * N + j])) differing.push(`m=${m} n=${n}: C[${i}][${j}]`);
          }
        }
      }
      expect(differing).toEqual([]);
    });
});
