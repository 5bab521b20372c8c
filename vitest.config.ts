import { spawnSync } from "node:child_process";
import { defineConfig } from "vitest/config";

// CI (.ci/run) sets WEFT_VITEST_JSON to collect a JSON report next to the usual output.
const json = process.env.WEFT_VITEST_JSON;

// Relaxed SIMD (FMA in the wasm gemm) is used only where the host enables it; Node 20 does with
// this flag. Where the flag exists, the conformance suite (its train cases also through the
// engine at W = 2 and 3) and the wasm gemm tests run a second time under it (project
// "relaxed-simd"): results must conform either way. (parallel.test.ts's W-vs-1 comparison on
// random data is not repeated there: its 20 Adam steps amplify rounding differently with fused
// multiply-adds and, for some seeds, past its tolerance — see packages/tensor/README.md.)
const RELAXED = "--experimental-wasm-relaxed-simd";
const relaxedFlagKnown = spawnSync(process.execPath, ["--v8-options"], { encoding: "utf8" }).stdout.includes(RELAXED);

const common = { testTimeout: 60_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    reporters: json ? ["default", "json"] : ["default"],
    outputFile: json ? { json } : undefined,
    projects: [
      {
        test: {
          ...common,
          name: "weft",
          include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "bench/test/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.{ts,mjs}"],
        },
      },
      ...(relaxedFlagKnown
        ? [{
            test: {
              ...common,
              name: "relaxed-simd",
              include: ["test/golden.test.ts", "packages/tensor/test/wasm.test.ts", "packages/tensor/test/gemm-rows.test.ts"],
              execArgv: [RELAXED],
            },
          }]
        : []),
    ],
  },
});
