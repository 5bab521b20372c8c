import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

// Smoke test of `pnpm bench:alloc --quick`: every configuration runs and reports; with the step
// arena nothing falls back to the heap and no GC is triggered by typed-array allocation.
it("bench:alloc --quick reports each backend with and without the step arena", () => {
  const script = fileURLToPath(new URL("../dist/alloc.js", import.meta.url));
  const r = spawnSync(process.execPath, [script, "--quick", "--json"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bench:alloc --quick exited with ${r.status}: ${r.stderr.slice(-3000)}`);
  const { rows } = JSON.parse(r.stdout) as { rows: { backend: string; arena: boolean; arenaOverflows: number; arenaHighWaterBytes: number; reasons: Record<string, number>; msPerStep: number }[] };
  expect(rows.length).toBeGreaterThanOrEqual(4);
  for (const r of rows) {
    expect(r.msPerStep).toBeGreaterThan(0);
    if (!r.arena) continue;
    expect(r.arenaOverflows).toBe(0);
    expect(r.arenaHighWaterBytes).toBeGreaterThan(128 * 784 * 4);
    expect(r.reasons["external memory pressure"] ?? 0).toBe(0);
  }
});
