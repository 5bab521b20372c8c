/** LayerNorm on the wasm kernels (float32 under the wasm backend) against the JS loops: the same bits. */
import { afterEach, describe, expect, it } from "vitest";
import { Rng, Tensor, backend, setBackend, wasmSimdSupported } from "@weft/tensor";
import { LayerNorm } from "../src/index.js";

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Object.is(v, b[i]));

describe.runIf(wasmSimdSupported())("LayerNorm: wasm and js backends", () => {
  const initial = backend();
  afterEach(() => setBackend(initial));

  function run(b: "js" | "wasm", shape: number[], ns: number[], opts: { elementwiseAffine?: boolean; bias?: boolean }): Float32Array[] {
    setBackend(b);
    const rng = new Rng(11);
    const ln = new LayerNorm(ns, opts);
    const n = shape.reduce((a, d) => a * d, 1), d = ns.reduce((a, e) => a * e, 1);
    if (ln.weight) ln.weight.data.set(Float32Array.from({ length: d }, () => 1 + rng.normal() * 0.3));
    if (ln.bias) ln.bias.data.set(Float32Array.from({ length: d }, () => rng.normal() * 0.3));
    const x = new Tensor(Float32Array.from({ length: n }, () => 2 + rng.normal() * 3), shape, true);
    const y = ln.forward(x);
    y.backward(new Tensor(Float32Array.from({ length: n }, () => rng.normal()), shape));
    const out = [y.data as Float32Array, x.grad!.data as Float32Array];
    if (ln.weight) out.push(ln.weight.grad!.data as Float32Array);
    if (ln.bias) out.push(ln.bias.grad!.data as Float32Array);
    return out;
  }

  it.each([
    [[4, 8], [8], {}], [[3, 5, 7], [5, 7], {}], [[1, 13], [13], { bias: false }], [[6, 3], [3], { elementwiseAffine: false }], [[32, 256], [256], {}],
  ] as [number[], number[], object][])("x %j over %j, %j", (shape, ns, opts) => {
    const js = run("js", shape, ns, opts), wasm = run("wasm", shape, ns, opts);
    expect(wasm.length).toBe(js.length);
    for (let i = 0; i < js.length; i++) expect(same(wasm[i], js[i])).toBe(true);
  });
});
