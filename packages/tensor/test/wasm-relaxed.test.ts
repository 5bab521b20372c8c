import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Relaxed SIMD (FMA in gemm) is used only where the host validates the relaxed build: Node 20
// needs --experimental-wasm-relaxed-simd. A child process started with and without the flag
// (and with WEFT_RELAXED_SIMD=0) shows the switch, and that the fused gemm stays within the
// gemm tests' tolerance and deterministic. (vitest.config.ts also runs the golden suite, the
// wasm gemm tests and the engine tests under the flag, as the "relaxed-simd" project.)

const child = fileURLToPath(new URL("./fixtures/relaxed-child.mjs", import.meta.url));
const FLAG = "--experimental-wasm-relaxed-simd";
const v8Options = spawnSync(process.execPath, ["--v8-options"], { encoding: "utf8" }).stdout;
const hostKnowsFlag = v8Options.includes(FLAG);
/** Node 20's V8 has the flag, off by default. */
const offByDefault = v8Options.includes("default: --no-experimental-wasm-relaxed-simd");

function runChild(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [...args, child], { encoding: "utf8", env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as { relaxed: boolean; results: { worst: number; deterministic: boolean; checksum: number }[] };
}

describe("relaxed SIMD, behind feature detection", () => {
  it("is chosen only where the host validates it, and WEFT_RELAXED_SIMD=0 turns it off", () => {
    const plain = runChild([]);
    const off = runChild(hostKnowsFlag ? [FLAG] : [], { WEFT_RELAXED_SIMD: "0" });
    expect(off.relaxed).toBe(false);
    if (offByDefault) expect(plain.relaxed).toBe(false);
    for (const r of [...plain.results, ...off.results]) {
      expect(r.worst).toBeLessThanOrEqual(1);
      expect(r.deterministic).toBe(true);
    }
    if (hostKnowsFlag) {
      const fused = runChild([FLAG]);
      expect(fused.relaxed).toBe(true);
      for (const r of fused.results) {
        expect(r.worst).toBeLessThanOrEqual(1);
        expect(r.deterministic).toBe(true);
      }
      // Fused multiply-adds round differently: the sums are close but not (all) the same bits.
      expect(fused.results.some((r, i) => r.checksum !== off.results[i].checksum)).toBe(true);
    }
  });
});
