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
import { wasmSimdSupported } from "@weft/tensor";
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

/** The backends a default (`--backend both`) run measures on this host. */
const BOTH = wasmSimdSupported() ? ["js", "wasm"] : ["js"];

/** Every markdown table's header row (the line above a `| --- |` line). */
function tableHeads(md: string): string[][] {
  const lines = md.split("\n");
  return lines.flatMap((l, i) => (lines[i + 1]?.startsWith("| ---") ? [l.split("|").slice(1, -1).map((c) => c.trim())] : []));
}

const TINY = ["--quick", "--json", "--hidden", "32,16", "--batch", "16", "--steps", "2", "--repeats", "1", "--warmup", "1"];

describe("bench smoke (quick mode, no timing assertions)", () => {
  it("bench:train — engine W=1, W=2 with BatchNorm, and the plain loop", async () => {
    for (const extra of [["--workers", "1", "--backend", "js"], ["--workers", "2", "--bn"], ["--plain"]]) {
      const r = await runJson("train.js", [...TINY, ...extra]);
      expect(r.bench).toBe("train");
      expect(BOTH).toContain(r.backend);
      if (extra.includes("--backend")) expect(r.backend).toBe("js");
      expect(r.samplesPerSec).toBeGreaterThan(0);
      expect(r.msPerStep).toBeGreaterThan(0);
      expect(Object.keys(r.breakdown).sort()).toEqual(["allReduce", "barrierWait", "compute", "optimizer"]);
    }
  });

  it("bench:scaling --quick writes json, md and svg, every section and table per backend (default: both)", async () => {
    const r = await runJson("scaling.js", ["--quick", "--json", "--out", out]);
    expect(r.bench).toBe("scaling");
    expect(r.backends).toEqual(BOTH);
    expect(r.records.length).toBeGreaterThan(0);
    for (const rec of r.records) expect(rec.samplesPerSec).toBeGreaterThan(0);
    const sections = new Set(["strong", "weak", "plain", "ceiling", "strong-bn", "width"]);
    for (const be of BOTH) {
      const ofBe = r.records.filter((x: { backend: string }) => x.backend === be);
      expect(new Set(ofBe.map((x: { section: string }) => x.section))).toEqual(sections);
      // Speedups are against W = 1 of the same backend.
      for (const x of ofBe.filter((x: { section: string; engine: string; workers: number }) => x.section === "strong" && x.workers === 1)) expect(x.speedup).toBe(1);
    }
    expect(r.records.every((x: { backend: string }) => BOTH.includes(x.backend))).toBe(true);
    for (const f of ["scaling.json", "scaling.md", "scaling.svg"]) expect(existsSync(join(out, f))).toBe(true);
    expect(readFileSync(join(out, "scaling.svg"), "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    expect(JSON.parse(readFileSync(join(out, "scaling.json"), "utf8")).records.length).toBe(r.records.length);
    const heads = tableHeads(readFileSync(join(out, "scaling.md"), "utf8"));
    expect(heads.length).toBeGreaterThanOrEqual(8);
    for (const h of heads) expect(h[0]).toBe("backend");
  });

  it("bench:scaling --quick --backend js measures the js backend only", async () => {
    const r = await runJson("scaling.js", ["--quick", "--json", "--backend", "js"]);
    expect(r.backends).toEqual(["js"]);
    expect(new Set(r.records.map((x: { backend: string }) => x.backend))).toEqual(new Set(["js"]));
    for (const rec of r.records) expect(rec.samplesPerSec).toBeGreaterThan(0);
  });

  it("bench:allreduce --quick: each backend's all-reduce path (default: both), and --backend js", async () => {
    const dir = join(out, "allreduce");
    const r = await runJson("allreduce.js", ["--quick", "--json", "--out", dir]);
    const kinds = r.rows.map((x: { kind: string; backend: string | null; workers: number }) => `${x.kind}:${x.backend ?? "-"}:${x.workers}`);
    // The js path always; the wasm path where the host runs WebAssembly SIMD.
    expect(r.backends).toEqual(BOTH);
    expect(kinds.sort()).toEqual(["memcpy:-:1", ...BOTH.flatMap((be) => [`allreduce:${be}:1`, `allreduce:${be}:2`])].sort());
    expect(BOTH).toContain(r.defaultBackend);
    for (const row of r.rows) expect(row.gbPerSec).toBeGreaterThan(0);
    expect(r.barrier.medianMicroseconds).toBeGreaterThan(0);
    for (const h of tableHeads(readFileSync(join(dir, "allreduce.md"), "utf8"))) expect(h[1]).toBe("backend");

    const js = await runJson("allreduce.js", ["--quick", "--json", "--backend", "js"]);
    expect(js.rows.filter((x: { kind: string }) => x.kind === "allreduce").map((x: { backend: string }) => x.backend)).toEqual(["js", "js"]);
  });

  it.runIf(wasmSimdSupported())("bench rows --quick times every per-row op three ways", async () => {
    const r = await runJson("rows.js", ["--quick", "--json"]);
    expect(r.rows.map((x: { op: string }) => x.op)).toEqual(expect.arrayContaining(["softmax fwd+bwd", "logSoftmax fwd+bwd", "LayerNorm fwd+bwd", "crossEntropy (probabilities) fwd+bwd"]));
    for (const row of r.rows) for (const k of ["js", "staged", "inplace"]) expect(row[k]).toBeGreaterThan(0);
  });

  it.runIf(wasmSimdSupported())("bench ops --quick times batched matmul, attention and the copies, staged and in place", async () => {
    const r = await runJson("ops.js", ["--quick", "--json"]);
    expect(r.bench).toBe("ops");
    expect(r.matmul.length).toBeGreaterThan(0);
    for (const row of r.matmul) for (const k of ["staged", "inplace"]) expect(row.batched[k]).toBeGreaterThan(0);
    expect(r.attention.map((x: { causal: boolean }) => x.causal)).toEqual(expect.arrayContaining([true, false]));
    for (const row of r.attention) for (const k of ["staged", "inplace"]) expect(row.fused[k]).toBeGreaterThan(0);
    expect(r.copies.map((x: { op: string }) => x.op)).toEqual(expect.arrayContaining(["cat axis 0 (two halves)", "permute [B,T,H,D]→[B,H,T,D]"]));
  });

  it("bench:module --quick times each case plain and through a Proxy, and the registry scan", async () => {
    const r = await runJson("module-access.js", ["--quick", "--json"]);
    expect(r.bench).toBe("module-access");
    expect(r.rows.map((x: { case: string }) => x.case)).toEqual(expect.arrayContaining(["Dropout(0.5) forward, [128, 256]"]));
    for (const row of r.rows) for (const k of ["plainMs", "proxyMs", "proxyVsPlain"]) expect(row[k]).toBeGreaterThan(0);
    expect(r.scans).toHaveLength(3);
    for (const s of r.scans) expect(s.ms).toBeGreaterThan(0);
  });

  it("bench:peers --arch cnn --quick runs weft (W = 1, cores) and TF.js cpu, and skips PyTorch cleanly where Python has no torch", async () => {
    // A Python that cannot exist: the path CI takes (no torch), whatever this host has installed.
    const r = await runJson("peers.js", ["--arch", "cnn", "--quick", "--json", "--python", "weft-no-such-python"]);
    expect(r.arch).toBe("cnn");
    expect(r.torch).toBe(false);
    const ids = r.rows.map((x: { id: string }) => x.id);
    expect(ids).toEqual(expect.arrayContaining(["weft-1", "tfjs-cpu", "pytorch-1"]));
    for (const row of r.rows) {
      expect(row.error).toBeNull();
      if (row.id.startsWith("pytorch-")) {
        expect(row.skipped).toBe(true);
        expect(row.samplesPerSec).toBeNull();
        expect(row.note).toMatch(/import torch/);
      } else {
        expect(row.skipped).toBe(false);
        expect(row.samplesPerSec).toBeGreaterThan(0);
      }
    }
    expect(r.weftBestOverTorchBest).toBeNull();
  });

  it("bench:peers --arch lm --quick runs weft (W = 1, cores) in tokens/s and skips PyTorch cleanly where Python has no torch", async () => {
    const r = await runJson("peers.js", ["--arch", "lm", "--quick", "--json", "--python", "weft-no-such-python"]);
    expect(r.arch).toBe("lm");
    expect(r.torch).toBe(false);
    expect(r.rows.map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining(["weft-1", "pytorch-1"]));
    for (const row of r.rows) {
      expect(row.error).toBeNull();
      if (row.id.startsWith("pytorch-")) {
        expect(row.skipped).toBe(true);
        expect(row.tokensPerSec).toBeNull();
      } else {
        expect(row.skipped).toBe(false);
        expect(row.tokensPerSec).toBeGreaterThan(0);
      }
    }
    expect(r.weftBestOverTorchBest).toBeNull();
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
