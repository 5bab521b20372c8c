/**
 * The conformance suite: every case of every golden file (WEFT_GOLDEN_DIR, default
 * fixtures/golden), one test per case named `<file>/<case name>`. A kind, op or option the
 * runner does not know fails the case; nothing is skipped.
 */
import { it } from "vitest";
import { loadGoldenFiles, type GCase } from "./golden/cases.js";
import { runOpCase } from "./golden/op.js";

const RUNNERS: Record<string, (c: GCase) => void> = {
  op: runOpCase,
};

for (const { file, cases } of loadGoldenFiles()) {
  for (const c of cases) {
    it(`${file}/${c.name}`, () => {
      const run = RUNNERS[c.kind];
      if (!run) throw new Error(`unknown case kind ${JSON.stringify(c.kind)} (known: ${Object.keys(RUNNERS).join(", ")})`);
      run(c);
    });
  }
}
