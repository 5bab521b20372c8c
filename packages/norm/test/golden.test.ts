/**
 * The golden `module` cases (PyTorch 1.13, float64 reference) for BatchNorm1d and LayerNorm, one
 * test per case, each with the case's own tolerance.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Tensor } from "@weft/tensor";
import type { Module } from "@weft/layers";
import { BatchNorm1d, LayerNorm } from "../src/index.js";
import { expectClose, expectShape, type Tol } from "./helpers.js";

interface GTensor {
  shape: number[];
  data: number[];
  dtype?: "int";
}
interface ModuleCase {
  kind: string;
  name: string;
  module: string;
  config: Record<string, unknown>;
  mode: "train" | "eval";
  params: Record<string, GTensor>;
  buffers: Record<string, GTensor>;
  input: GTensor;
  output: GTensor;
  upstream: GTensor;
  inputGrad: GTensor;
  paramGrads: Record<string, GTensor>;
  buffersAfter: Record<string, GTensor>;
  tol: Tol;
}

const file = JSON.parse(readFileSync(new URL("../../../fixtures/golden/modules.json", import.meta.url), "utf8")) as { format: string; cases: ModuleCase[] };
const cases = file.cases.filter((c) => c.kind === "module" && (c.module === "BatchNorm1d" || c.module === "LayerNorm"));

/** Builds the module from PyTorch's camelCased options; an option not understood is an error. */
function build(c: ModuleCase): Module {
  const known = c.module === "BatchNorm1d" ? ["numFeatures", "eps", "momentum", "affine", "trackRunningStats"] : ["normalizedShape", "eps", "elementwiseAffine", "bias"];
  for (const k of Object.keys(c.config)) if (!known.includes(k)) throw new Error(`${c.name}: unknown option ${k}`);
  if (c.module === "BatchNorm1d") {
    const { numFeatures, ...options } = c.config;
    return new BatchNorm1d(numFeatures as number, options);
  }
  const { normalizedShape, ...options } = c.config;
  return new LayerNorm(normalizedShape as number | number[], options);
}

describe("golden module cases", () => {
  it("has BatchNorm1d and LayerNorm cases in weft-golden/1", () => {
    expect(file.format).toBe("weft-golden/1");
    expect(cases.some((c) => c.module === "BatchNorm1d")).toBe(true);
    expect(cases.some((c) => c.module === "LayerNorm")).toBe(true);
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const m = build(c);
    m.loadStateDict({ ...c.params, ...c.buffers });
    if (c.mode === "eval") m.eval();
    else m.train();
    const x = new Tensor(Float32Array.from(c.input.data), c.input.shape, true);
    const y = m.forward(x);
    expectShape("output", y.shape, c.output.shape);
    expectClose("output", y.data, c.output.data, c.tol);

    y.backward(new Tensor(Float32Array.from(c.upstream.data), c.upstream.shape));
    expectShape("inputGrad", x.grad!.shape, c.inputGrad.shape);
    expectClose("inputGrad", x.grad!.data, c.inputGrad.data, c.tol);

    const params = Object.fromEntries(m.namedParameters());
    expect(Object.keys(params).sort()).toEqual(Object.keys(c.paramGrads).sort());
    for (const [k, g] of Object.entries(c.paramGrads)) {
      expectShape(`paramGrads.${k}`, params[k].grad!.shape, g.shape);
      expectClose(`paramGrads.${k}`, params[k].grad!.data, g.data, c.tol);
    }

    const buffers = Object.fromEntries(m.namedBuffers());
    expect(Object.keys(buffers).sort()).toEqual(Object.keys(c.buffersAfter).sort());
    for (const [k, b] of Object.entries(c.buffersAfter)) {
      expectShape(`buffersAfter.${k}`, buffers[k].shape, b.shape);
      expectClose(`buffersAfter.${k}`, buffers[k].data, b.data, c.tol);
    }
  });
});
