/** crossEntropyLoss on the wasm kernels (float32 under the wasm backend) against the JS loop: the same bits. */
import { afterEach, describe, expect, it } from "vitest";
import { Rng, Tensor, backend, setBackend, wasmSimdSupported } from "@weft/tensor";
import { crossEntropyLoss, type Reduction } from "../src/index.js";

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));

describe.runIf(wasmSimdSupported())("crossEntropyLoss: wasm and js backends", () => {
  const initial = backend();
  afterEach(() => setBackend(initial));

  function run(b: "js" | "wasm", rows: number, classes: number, target: "index" | "probs", eps: number, reduction: Reduction): Float32Array[] {
    setBackend(b);
    const rng = new Rng(rows * 7 + classes);
    const x = new Tensor(Float32Array.from({ length: rows * classes }, () => rng.normal() * 4), [rows, classes], true);
    let t: Tensor | Int32Array;
    if (target === "index") t = Int32Array.from({ length: rows }, () => Math.floor(rng.uniform() * classes));
    else {
      const p = Float32Array.from({ length: rows * classes }, () => rng.uniform());
      for (let r = 0; r < rows; r++) {
        const row = p.subarray(r * classes, (r + 1) * classes);
        const s = row.reduce((a, v) => a + v, 0);
        row.forEach((v, i) => (row[i] = v / s));
      }
      t = new Tensor(p, [rows, classes]);
    }
    const loss = crossEntropyLoss(x, t, { labelSmoothing: eps, reduction });
    loss.backward(new Tensor(Float32Array.from({ length: loss.size }, () => 1 + rng.uniform()), loss.shape));
    return [loss.data as Float32Array, x.grad!.data as Float32Array];
  }

  it.each([
    [1, 1, "probs", 0, "mean"], [4, 10, "probs", 0, "mean"], [7, 13, "probs", 0.1, "sum"], [33, 5, "probs", 0.2, "none"],
    [16, 100, "probs", 0, "none"], [16, 10, "index", 0.1, "mean"],
  ] as [number, number, "index" | "probs", number, Reduction][])("rows = %i, classes = %i, %s targets, ε = %f, reduction %s", (rows, classes, target, eps, reduction) => {
    const js = run("js", rows, classes, target, eps, reduction), wasm = run("wasm", rows, classes, target, eps, reduction);
    expect(same(wasm[0], js[0])).toBe(true);
    expect(same(wasm[1], js[1])).toBe(true);
  });
});
