/**
 * CI smoke test of the benchmarks: each script runs in its quick mode for a few steps as a child
 * process, exits 0 and prints well-formed JSON with positive throughput. No timing assertions:
 * the numbers themselves live in bench/results, measured by hand (bench/README.md).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "weft-bench-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** Runs `node bench/dist/<script> …args` and returns the last JSON line of its stdout. */
function runJson(script: string, args: string[]): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(dist, script), ...args], { timeout: 60_000, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${script} ${args.join(" ")} failed (${err.message}):\n${stderr}`));
      const line = stdout.split("\n").filter((l) => l.startsWith("{")).pop();
      if (!line) return reject(new Error(`${script} printed no JSON line:\n${stdout}`));
      resolve(JSON.parse(line));
    });
  });
}

const TINY = ["--quick", "--json", "--hidden", "32,16", "--batch", "16", "--steps", "2", "--repeats", "1", "--warmup", "1"];

describe("bench smoke (quick mode, no timing assertions)", () => {
  it("bench:train — engine W=1, W=2 with BatchNorm, and the plain loop", async () => {
    for (const extra of [["--workers", "1"], ["--workers", "2", "--bn"], ["--plain"]]) {
      const r = await runJson("train.js", [...TINY, ...extra]);
      expect(r.bench).toBe("train");
      expect(r.samplesPerSec).toBeGreaterThan(0);
      expect(r.msPerStep).toBeGreaterThan(0);
      expect(Object.keys(r.breakdown).sort()).toEqual(["allReduce", "barrierWait", "compute", "optimizer"]);
    }
  });

  it("bench:scaling --quick writes json, md and svg", async () => {
    const r = await runJson("scaling.js", ["--quick", "--json", "--out", out]);
    expect(r.bench).toBe("scaling");
    expect(r.records.length).toBeGreaterThan(0);
    for (const rec of r.records) expect(rec.samplesPerSec).toBeGreaterThan(0);
    expect(new Set(r.records.map((x: { section: string }) => x.section))).toEqual(new Set(["strong", "weak", "plain", "ceiling", "strong-bn", "width"]));
    for (const f of ["scaling.json", "scaling.md", "scaling.svg"]) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, "scaling.svg"), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    expect(JSON.parse(readFileSync(join(out, "scaling.json"), "utf8")).records.length).toBe(r.records.length);
  });

  it("bench:allreduce --quick", async () => {
    const r = await runJson("allreduce.js", ["--quick", "--json"]);
    const kinds = r.rows.map((x: { kind: string; path: string | null; workers: number }) => `${x.kind}:${x.path ?? "-"}:${x.workers}`);
    // The js path always; the wasm path where the host runs WebAssembly SIMD.
    expect(kinds).toEqual(expect.arrayContaining(["memcpy:-:1", "allreduce:js:1", "allreduce:js:2"]));
    expect(["wasm", "js"]).toContain(r.enginePath);
    for (const row of r.rows) expect(row.gbPerSec).toBeGreaterThan(0);
    expect(r.barrier.medianMicroseconds).toBeGreaterThan(0);
  });

  it("bench:peers --quick runs weft, TF.js (cpu, wasm) and mind-net.js", async () => {
    const r = await runJson("peers.js", ["--quick", "--json"]);
    expect(r.rows.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining(["weft-1", "tfjs-cpu", "tfjs-wasm", "mind-net"]));
    for (const row of r.rows) {
      expect(row.error).toBeNull();
      expect(row.samplesPerSec).toBeGreaterThan(0);
    }
  });
});
