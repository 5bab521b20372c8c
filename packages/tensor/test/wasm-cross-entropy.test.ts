import { describe, expect, it } from "vitest";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { kernelsPrivateBase64, kernelsSharedBase64 } from "../src/kernels/wasm/binary.generated.js";
import { crossEntropy, crossEntropyProbs } from "../src/kernels/js/cross-entropy.js";

// Softmax + cross-entropy rows (class-index or probability targets) in wasm against the JS
// reference kernels (src/kernels/js/cross-entropy.ts, which @weft/layers' crossEntropyLoss runs):
// the kernel uses fdlibm's exp/log, V8's algorithms, so loss and gradient are expected to be the
// same float64 bits (Object.is); and against a float64 reference computed another way
// (Σ p·… with exp(x − lse)), rtol 1e-12.

const jsRows = crossEntropy;
const jsRowsProbs = crossEntropyProbs;

/** Rows of non-negative float32 weights normalised to sum ≈ 1, with some exact zeros. */
function distributions(rows: number, classes: number, seed: number): Float32Array {
  const p = logits(rows, classes, seed, 1).map((v, i) => (i % 3 === 1 ? 0 : Math.abs(v)));
  for (let r = 0; r < rows; r++) {
    const row = p.subarray(r * classes, (r + 1) * classes);
    const s = row.reduce((a, v) => a + v, 0);
    if (s === 0) row[0] = 1;
    else row.forEach((v, i) => (row[i] = v / s));
  }
  return p;
}

function logits(rows: number, classes: number, seed: number, scale: number): Float32Array {
  const x = new Float32Array(rows * classes);
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 31 - 1) * scale;
  }
  return x;
}

const targets = (rows: number, classes: number): Int32Array => Int32Array.from({ length: rows }, (_, r) => (r * 7 + 3) % classes);
const sameBits = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** Section ids of a wasm binary (id 11: data). */
function sections(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    let size = 0, shift = 0, b: number;
    do {
      b = bytes[p++];
      size |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    ids.push(id);
    p += size;
  }
  return ids;
}

describe.runIf(wasmSimdSupported())("wasm crossEntropy", () => {
  const k = new WasmKernels();

  it.each([
    [1, 1, 0, 3], [5, 3, 0, 3], [128, 10, 0, 5], [7, 13, 0.1, 5], [9, 10, 1, 2],
    [4, 10, 0, 1e4], [4, 10, 0.2, 3e38], [3, 17, 0, 1e-30],
  ])("rows = %i, classes = %i, ε = %f, |x| ≤ %f: the JS loop's bits, finite, float64 reference", (rows, classes, eps, scale) => {
    const x = logits(rows, classes, rows * 13 + classes, scale), t = targets(rows, classes);
    const wantL = new Float64Array(rows), wantD = new Float64Array(rows * classes);
    const gotL = new Float64Array(rows), gotD = new Float64Array(rows * classes);
    jsRows(x, rows, classes, t, eps, wantL, wantD);
    k.crossEntropy(x, rows, classes, Array.from(t), eps, gotL, gotD);
    expect(sameBits(gotL, wantL)).toBe(true);
    expect(sameBits(gotD, wantD)).toBe(true);
    for (let r = 0; r < rows; r++) {
      expect(Number.isFinite(gotL[r])).toBe(true);
      const row = Array.from(x.subarray(r * classes, (r + 1) * classes), Number);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      let ref = 0;
      for (let c = 0; c < classes; c++) {
        const q = (1 - eps) * (t[r] === c ? 1 : 0) + eps / classes;
        ref += q * (lse - row[c]);
        const dRef = Math.exp(row[c] - lse) - q; // Σq = 1
        expect(Math.abs(gotD[r * classes + c] - dRef)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(dRef)));
      }
      expect(Math.abs(gotL[r] - ref)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(ref)));
    }
  });

  it("exp and log agree with V8's over their range (through the kernel: one class, x = v)", () => {
    // One class: lse = x, loss = 0, d = exp(0)·1 − 1 = 0; two classes [v, 0]: lse = v + log(1 + e^−v).
    const vs = [-745, -700, -50, -1, -0.3, -1e-9, 0, 1e-9, 0.3, 0.5, 1, 2, 10, 88, 700, 709];
    const x = new Float32Array(vs.flatMap((v) => [v, 0]));
    const rows = vs.length;
    const wantL = new Float64Array(rows), wantD = new Float64Array(2 * rows), gotL = new Float64Array(rows), gotD = new Float64Array(2 * rows);
    const t = new Int32Array(rows);
    jsRows(x, rows, 2, t, 0, wantL, wantD);
    k.crossEntropy(x, rows, 2, t, 0, gotL, gotD);
    expect(sameBits(gotL, wantL)).toBe(true);
    expect(sameBits(gotD, wantD)).toBe(true);
  });

  it("is deterministic", () => {
    const x = logits(31, 11, 4, 8), t = targets(31, 11);
    const runs = [0, 1].map(() => {
      const l = new Float64Array(31), d = new Float64Array(31 * 11);
      k.crossEntropy(x, 31, 11, t, 0.05, l, d);
      return [l, d];
    });
    expect(sameBits(runs[0][0], runs[1][0]) && sameBits(runs[0][1], runs[1][1])).toBe(true);
  });

  it.each([
    [1, 1, 0, 3], [5, 3, 0, 3], [128, 10, 0, 5], [7, 13, 0.1, 5], [9, 10, 1, 2], [6, 1000, 0.05, 8],
    [4, 10, 0, 1e4], [4, 10, 0.2, 3e38], [3, 17, 0, 1e-30],
  ])("probability targets: rows = %i, classes = %i, ε = %f, |x| ≤ %f: the JS loop's bits, float64 reference", (rows, classes, eps, scale) => {
    const x = logits(rows, classes, rows * 5 + classes, scale), p = distributions(rows, classes, rows + 3 * classes);
    const wantL = new Float64Array(rows), wantD = new Float64Array(rows * classes);
    const gotL = new Float64Array(rows), gotD = new Float64Array(rows * classes);
    jsRowsProbs(x, rows, classes, p, eps, wantL, wantD);
    k.crossEntropyProbs(x, rows, classes, p, eps, gotL, gotD);
    expect(sameBits(gotL, wantL)).toBe(true);
    expect(sameBits(gotD, wantD)).toBe(true);
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * classes, (r + 1) * classes), Number);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
      let ref = 0, qSum = 0;
      const q = row.map((_, c) => (1 - eps) * p[r * classes + c] + eps / classes);
      for (let c = 0; c < classes; c++) {
        if (q[c] !== 0) ref += q[c] * (lse - row[c]);
        qSum += q[c];
      }
      for (let c = 0; c < classes; c++) {
        const dRef = Math.exp(row[c] - lse) * qSum - q[c];
        expect(Math.abs(gotD[r * classes + c] - dRef)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(dRef)));
      }
      expect(Math.abs(gotL[r] - ref)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(ref)));
    }
  });

  it("probability targets with −∞ logits where the target is 0 (finite loss), and where it is not (+∞ loss), as the JS loop", () => {
    const x = new Float32Array([0, -Infinity, 2, 1, -Infinity, -Infinity, 3, 4]);
    const p = new Float32Array([0.5, 0, 0.5, 0, 0.25, 0.25, 0.25, 0.25]);
    for (const eps of [0, 0.1]) {
      const wantL = new Float64Array(2), wantD = new Float64Array(8), gotL = new Float64Array(2), gotD = new Float64Array(8);
      jsRowsProbs(x, 2, 4, p, eps, wantL, wantD);
      k.crossEntropyProbs(x, 2, 4, p, eps, gotL, gotD);
      expect(sameBits(gotL, wantL) && sameBits(gotD, wantD)).toBe(true);
    }
  });

  it("the two-lane exp (fdlibmExp2) gives V8's bits: rows [0, v…] put each v ≤ 0 straight into exp", () => {
    // Thresholds of the vector path (|x| ≥ 1.5·ln2 ≈ 1.0397, |x| < 704) and of fdlibm's branches,
    // and a log-uniform sweep of magnitudes 2⁻³⁰…745; float64 outputs, so one ulp would show.
    const edges = [0, -1e-9, -0.3, -0.3466, -0.35, -1, -1.0397, -1.03972, -1.0398, -1.5, -2, -10, -87.3, -703.99, -704, -704.01, -707.7, -708.5, -709.78, -744, -745.1, -746, -1e30, -Infinity];
    const rng = logits(1, 4000, 77, 1);
    const sweep = Array.from(rng, (u, i) => -Math.fround(2 ** (-30 + ((u + 1) / 2) * 39.55)) * (i % 7 === 0 ? 1 : 1 + u * 1e-3));
    const vals = [...edges, ...sweep];
    const classes = 9, rows = Math.ceil(vals.length / (classes - 1));
    const x = new Float32Array(rows * classes).fill(-1e3);
    for (let r = 0; r < rows; r++) {
      x[r * classes] = 0;
      for (let c = 1; c < classes; c++) x[r * classes + c] = vals[(r * (classes - 1) + c - 1) % vals.length];
    }
    const p = distributions(rows, classes, 5);
    const wantL = new Float64Array(rows), wantD = new Float64Array(rows * classes), gotL = new Float64Array(rows), gotD = new Float64Array(rows * classes);
    jsRowsProbs(x, rows, classes, p, 0.1, wantL, wantD);
    k.crossEntropyProbs(x, rows, classes, p, 0.1, gotL, gotD);
    expect(sameBits(gotL, wantL)).toBe(true);
    expect(sameBits(gotD, wantD)).toBe(true);
  });

  it("the module has no data segment (instantiating it must not write into a caller's memory)", () => {
    for (const b64 of [kernelsPrivateBase64, kernelsSharedBase64]) expect(sections(Buffer.from(b64, "base64"))).not.toContain(11);
  });
});
