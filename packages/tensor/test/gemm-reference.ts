/** The float64 triple-loop gemm that both gemm test files check against (the JS and the wasm kernel). */
export type FloatArray = Float32Array | Float64Array;

/** One gemm call: layouts, sizes, scalars, offsets and row strides (as kernels/js/gemm.ts takes them). */
export interface Case {
  transA: boolean; transB: boolean; m: number; n: number; k: number; alpha: number; beta: number;
  aOff: number; lda: number; bOff: number; ldb: number; cOff: number; ldc: number;
  bias: boolean; biasOff: number;
}

/** C after the call, in float64: alpha·op(A)·op(B) + beta·C (+ bias), elements outside C unchanged. */
export function reference(cs: Case, a: FloatArray, b: FloatArray, c: FloatArray, bias: FloatArray | null): Float64Array {
  const out = Float64Array.from(c);
  for (let i = 0; i < cs.m; i++) {
    for (let j = 0; j < cs.n; j++) {
      let s = 0;
      for (let p = 0; p < cs.k; p++) {
        const av = cs.transA ? a[cs.aOff + p * cs.lda + i] : a[cs.aOff + i * cs.lda + p];
        const bv = cs.transB ? b[cs.bOff + j * cs.ldb + p] : b[cs.bOff + p * cs.ldb + j];
        s += av * bv;
      }
      const at = cs.cOff + i * cs.ldc + j;
      let v = cs.alpha * s + (cs.beta === 0 ? 0 : cs.beta * c[at]);
      if (bias !== null) v += bias[cs.biasOff + j];
      out[at] = v;
    }
  }
  return out;
}
