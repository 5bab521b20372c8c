/**
 * The conformance suite: every case of every golden file (WEFT_GOLDEN_DIR, default
 * fixtures/golden), one test per case named `<file>/<case name>`; `train` cases run again through
 * the data-parallel engine as `<file>/<case name> [W=2]` and `[W=3]`, from the layer list and from a
 * model file that builds it (`[W=2, model file]`: the engine's any-Module path). A kind, op or option the
 * runner does not know fails the case; nothing is skipped.
 *
 * Runs under the default kernel backend (wasm where SIMD is available, or `WEFT_BACKEND`), then
 * every case again under the other backend as `… [js]` / `… [wasm]`: both must conform.
 */
import { afterAll, it } from "vitest";
import { backend, setBackend, wasmSimdSupported, type Backend } from "@weft/tensor";
import { loadGoldenFiles, type GCase } from "./golden/cases.js";
import { runLossCase } from "./golden/loss.js";
import { runModuleCase } from "./golden/module.js";
import { runOpCase } from "./golden/op.js";
import { runOptimCase } from "./golden/optim.js";
import { runTrainCase, runTrainCaseParallel } from "./golden/train.js";

const RUNNERS: Record<string, (c: GCase) => void> = {
  op: runOpCase,
  loss: runLossCase,
  module: runModuleCase,
  optim: runOptimCase,
  train: runTrainCase,
};

function run(c: GCase): void {
  const runner = RUNNERS[c.kind];
  if (!runner) throw new Error(`unknown case kind ${JSON.stringify(c.kind)} (known: ${Object.keys(RUNNERS).join(", ")})`);
  runner(c);
}

/** Runs `fn` under kernel backend `b`, restoring the default after. */
async function under<T>(b: Backend | null, fn: () => T | Promise<T>): Promise<T> {
  if (b === null) return fn();
  setBackend(b);
  try {
    return await fn();
  } finally {
    setBackend();
  }
}

const other: Backend | null = backend() === "wasm" ? "js" : wasmSimdSupported() ? "wasm" : null;
afterAll(() => setBackend());

for (const b of other ? [null, other] : [null]) {
  const suffix = b === null ? "" : ` [${b}]`;
  for (const { file, cases } of loadGoldenFiles()) {
    for (const c of cases) {
      it(`${file}/${c.name}${suffix}`, () => under(b, () => run(c)));
      if (c.kind === "train") {
        for (const w of [2, 3]) {
          it(`${file}/${c.name} [W=${w}]${suffix}`, () => under(b, () => runTrainCaseParallel(c, w)));
          it(`${file}/${c.name} [W=${w}, model file]${suffix}`, () => under(b, () => runTrainCaseParallel(c, w, "module")));
        }
      }
    }
  }
}
