import { defineConfig } from "vitest/config";

// CI (.ci/run) sets WEFT_VITEST_JSON to collect a JSON report next to the usual output.
const json = process.env.WEFT_VITEST_JSON;

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "bench/test/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.{ts,mjs}"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: json ? ["default", "json"] : ["default"],
    outputFile: json ? { json } : undefined,
  },
});
