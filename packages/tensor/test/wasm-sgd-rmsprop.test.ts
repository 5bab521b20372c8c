import { describe, expect, it } from "vitest";
// @weft/optim depends on @weft/tensor, never the reverse; a test may still use it as the
// oracle (it resolves through the workspace root's node_modules, built by `pnpm test`).
import { RMSprop, SGD } from "@weft/optim";
import { WasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";

// The wasm SGD and RMSprop steps (float64 lanes) against @weft/optim's JS loops — wired through
// the optimisers' `sgdKernel` / `rmspropKernel` hooks, so the same scalars reach both: the same
// bits of parameters and state over 5 steps (Object.is), odd sizes so the scalar tail runs;
// deterministic; and one step against a float64 reference written here, rtol 1e-6 (float32
// rounding of p, with margin).

function fill(arr: Float32Array, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  for (let i = 0; i < arr.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    arr[i] = (s / 2 ** 31 - 1) * scale;
  }
  return arr;
}
const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

type Opt = SGD | RMSprop;
interface Case { name: string; make: (p: Float32Array, g: Float32Array, k: WasmKernels | null) => Opt; state: string[] }

const sgd = (cfg: object) => (p: Float32Array, g: Float32Array, k: WasmKernels | null) =>
  new SGD({ params: p, grads: g }, { lr: 0.05, ...cfg, ...(k ? { sgdKernel: (pp, gg, buf, h) => (k.sgd(pp, gg, buf, h), true) } : {}) });
const rms = (cfg: object) => (p: Float32Array, g: Float32Array, k: WasmKernels | null) =>
  new RMSprop({ params: p, grads: g }, { lr: 0.01, ...cfg, ...(k ? { rmspropKernel: (pp, gg, sq, ga, buf, h) => (k.rmsprop(pp, gg, sq, ga, buf, h), true) } : {}) });

const cases: Case[] = [
  { name: "SGD plain", make: sgd({}), state: [] },
  { name: "SGD momentum + dampening + wd", make: sgd({ momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }), state: ["momentumBuffer"] },
  { name: "SGD nesterov maximize", make: sgd({ momentum: 0.8, nesterov: true, maximize: true }), state: ["momentumBuffer"] },
  { name: "RMSprop defaults", make: rms({}), state: ["squareAvg"] },
  { name: "RMSprop centered + momentum + wd", make: rms({ centered: true, momentum: 0.9, weightDecay: 0.05, alpha: 0.9 }), state: ["squareAvg", "momentumBuffer", "gradAvg"] },
  { name: "RMSprop momentum maximize", make: rms({ momentum: 0.5, maximize: true, eps: 1e-6 }), state: ["squareAvg", "momentumBuffer"] },
];

function run(c: Case, n: number, k: WasmKernels | null): Float32Array[] {
  const p = fill(new Float32Array(n), 1), g = new Float32Array(n);
  const opt = c.make(p, g, k);
  for (let step = 1; step <= 5; step++) {
    fill(g, 100 + step, 0.1 * step);
    opt.step();
  }
  const st = opt.stateDict().state as unknown as Record<string, Float32Array>;
  return [p, ...c.state.map((s) => st[s])];
}

describe.runIf(wasmSimdSupported())("wasm SGD and RMSprop vs @weft/optim", () => {
  const k = new WasmKernels();
  describe.each(cases)("$name", (c) => {
    it.each([1, 2, 3, 1031])("n = %i: the JS loop's bits over 5 steps, deterministic", (n) => {
      const js = run(c, n, null), wasm = run(c, n, k), again = run(c, n, k);
      js.forEach((a, i) => expect(same(wasm[i], a)).toBe(true));
      wasm.forEach((a, i) => expect(same(again[i], a)).toBe(true));
    });
  });

  it("one step matches a float64 reference (rtol 1e-6)", () => {
    const n = 37, p0 = fill(new Float32Array(n), 3), g = fill(new Float32Array(n), 4, 0.3);
    const ps = p0.slice();
    new SGD({ params: ps, grads: g }, { lr: 0.1, momentum: 0.9, weightDecay: 0.01, sgdKernel: (a, b, buf, h) => (k.sgd(a, b, buf, h), true) }).step();
    const pr = p0.slice();
    new RMSprop({ params: pr, grads: g }, { lr: 0.01, centered: true, rmspropKernel: (a, b, sq, ga, buf, h) => (k.rmsprop(a, b, sq, ga, buf, h), true) }).step();
    for (let i = 0; i < n; i++) {
      const d = g[i] + 0.01 * p0[i];
      expect(Math.abs(ps[i] - (p0[i] - 0.1 * d))).toBeLessThanOrEqual(1e-6 * Math.abs(p0[i] - 0.1 * d));
      const v = 0.01 * g[i] * g[i], m = 0.01 * g[i];
      const want = p0[i] - 0.01 * g[i] / (Math.sqrt(v - m * m) + 1e-8);
      expect(Math.abs(pr[i] - want)).toBeLessThanOrEqual(1e-6 * Math.abs(want));
    }
  });
});
