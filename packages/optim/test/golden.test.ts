import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { createOptimizer, type OptimizerType } from "../src/index.js";
import { param } from "./helpers.js";

// The PyTorch 1.13 reference cases (fixtures/golden/FORMAT.md, kind `optim`); WEFT_GOLDEN_DIR
// points the same runner at another folder of cases in the same format.
interface GoldenTensor {
  shape: number[];
  data: number[];
}
interface OptimCase {
  kind: string;
  name: string;
  optimizer: OptimizerType;
  config: Record<string, unknown>;
  params: GoldenTensor[];
  grads: GoldenTensor[][];
  paramsAfter: GoldenTensor[][];
  tol: { rtol: number; atol: number };
}

const defaultFile = fileURLToPath(new URL("../../../fixtures/golden/optim.json", import.meta.url));
const dir = process.env.WEFT_GOLDEN_DIR;
const file = dir !== undefined && existsSync(join(dir, "optim.json")) ? join(dir, "optim.json") : defaultFile;
const golden = JSON.parse(readFileSync(file, "utf8")) as { format: string; cases: OptimCase[] };
const cases = golden.cases.filter((c) => c.kind === "optim");

/** Index and values of the first element outside `atol + rtol·|b|`, or null. */
function firstMismatch(a: Float32Array, b: readonly number[], tol: OptimCase["tol"]): string | null {
  for (let i = 0; i < b.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= tol.atol + tol.rtol * Math.abs(b[i]))) return `element ${i}: got ${a[i]}, expected ${b[i]}`;
  }
  return null;
}

describe(`golden optim cases (${file})`, () => {
  test("file is weft-golden/1 with optim cases", () => {
    expect(golden.format).toBe("weft-golden/1");
    expect(cases.length).toBeGreaterThan(0);
  });

  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const params = c.params.map((t) => param(t.data));
    const opt = createOptimizer(c.optimizer, params, c.config);
    expect(c.grads.length).toBe(c.paramsAfter.length);
    c.grads.forEach((grads, k) => {
      expect(grads.length).toBe(params.length);
      grads.forEach((g, i) => {
        expect(g.shape).toEqual(c.params[i].shape);
        params[i].grad.data.set(g.data);
      });
      opt.step();
      c.paramsAfter[k].forEach((want, i) => {
        expect(want.shape).toEqual(c.params[i].shape);
        expect(params[i].data.length).toBe(want.data.length);
        expect(firstMismatch(params[i].data, want.data, c.tol), `step ${k}, param ${i}`).toBeNull();
      });
    });
  });
});
