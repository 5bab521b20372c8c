/**
 * The conformance suite: every case of every golden file (WEFT_GOLDEN_DIR, default
 * fixtures/golden), one test per case named `<file>/<case name>`; `train` cases run again through
 * the data-parallel engine as `<file>/<case name> [W=2]` and `[W=3]`. A kind, op or option the
 * runner does not know fails the case; nothing is skipped.
 */
import { it } from "vitest";
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

for (const { file, cases } of loadGoldenFiles()) {
  for (const c of cases) {
    it(`${file}/${c.name}`, () => {
      const run = RUNNERS[c.kind];
      if (!run) throw new Error(`unknown case kind ${JSON.stringify(c.kind)} (known: ${Object.keys(RUNNERS).join(", ")})`);
      run(c);
    });
    if (c.kind === "train") {
      for (const w of [2, 3]) it(`${file}/${c.name} [W=${w}]`, () => runTrainCaseParallel(c, w));
    }
  }
}
