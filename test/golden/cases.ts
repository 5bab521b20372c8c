/** Loading golden cases (format weft-golden/1) and comparing against them with the case's tolerance. */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Tensor, formatShape, type TensorData } from "@weft/tensor";

export interface Tol { rtol: number; atol: number }
export interface GTensor { shape: number[]; data: number[]; dtype?: "int" }
export interface GCase { kind: string; name: string; tol: Tol; [key: string]: unknown }
export interface GFile { file: string; cases: GCase[] }

/** Every `*.json` of the golden folder (`WEFT_GOLDEN_DIR`, default fixtures/golden), sorted by name. */
export function loadGoldenFiles(): GFile[] {
  const dir = resolve(process.env.WEFT_GOLDEN_DIR ?? join(import.meta.dirname, "../../fixtures/golden"));
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  if (files.length === 0) throw new Error(`no golden *.json files in ${dir}`);
  return files.map((f) => {
    const json = JSON.parse(readFileSync(join(dir, f), "utf8"));
    if (json.format !== "weft-golden/1") throw new Error(`${f}: unknown format ${JSON.stringify(json.format)} (expected "weft-golden/1")`);
    return { file: f.replace(/\.json$/, ""), cases: json.cases as GCase[] };
  });
}

/** A float32 tensor from a golden tensor — int32 (never requiring grad) for `"dtype": "int"`. */
export function toTensor(g: GTensor, requiresGrad = false): Tensor<TensorData> {
  if (g.dtype === "int") return new Tensor(Int32Array.from(g.data), g.shape);
  return new Tensor(Float32Array.from(g.data), g.shape, requiresGrad);
}

/** Throws unless `actual` matches `expected` elementwise within tol, with the shape equal. */
export function expectClose(what: string, actualShape: readonly number[], actual: ArrayLike<number>, expected: GTensor, tol: Tol): void {
  if (actualShape.length !== expected.shape.length || actualShape.some((d, i) => d !== expected.shape[i])) {
    throw new Error(`${what}: shape ${formatShape(actualShape)}, expected ${formatShape(expected.shape)}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual[i];
    const b = expected.data[i];
    const excess = Math.abs(a - b) - (tol.atol + tol.rtol * Math.abs(b));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(`${what}: element ${worst} is ${actual[worst]}, expected ${expected.data[worst]} (rtol ${tol.rtol}, atol ${tol.atol})`);
  }
}

/** Fails when an object has keys outside `known`: an option the runner does not understand is an error, never ignored. */
export function checkKeys(what: string, obj: Record<string, unknown> | undefined, known: string[]): void {
  for (const k of Object.keys(obj ?? {})) {
    if (!known.includes(k)) throw new Error(`${what}: unknown option ${JSON.stringify(k)} (known: ${known.join(", ") || "none"})`);
  }
}
