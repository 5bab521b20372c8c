import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// enableRelaxedSimd in a fresh process (V8 flags are per process): afterwards the host validates
// relaxed-SIMD modules and @weft/tensor's kernels use them, in the main thread and in a worker;
// WEFT_RELAXED_SIMD=0 leaves everything as it was.
const tensorModule = JSON.stringify(new URL("../dist/index.js", import.meta.url).href);
const script = `
  const { enableRelaxedSimd, wasmRelaxedSimd } = await import(${tensorModule});
  const enabled = enableRelaxedSimd();
  const { Worker } = await import("node:worker_threads");
  const inWorker = await new Promise((resolve, reject) => {
    const w = new Worker('Promise.all([import(${tensorModule}), import("node:worker_threads")]).then(([t, w]) => w.parentPort.postMessage(t.wasmRelaxedSimd()))', { eval: true });
    w.once("message", (v) => { resolve(v); w.terminate(); });
    w.once("error", reject);
  });
  console.log(JSON.stringify({ enabled, main: wasmRelaxedSimd(), worker: inWorker }));
`;
const cwd = fileURLToPath(new URL("..", import.meta.url));
function child(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd, env: { ...process.env, ...env }, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { enabled: boolean; main: boolean; worker: boolean };
}

describe("enableRelaxedSimd (the CLI's and the benchmarks' first step)", () => {
  it("turns relaxed SIMD on for the process and its workers (Node 20: by the V8 flag; later Node: already on)", () => {
    expect(child({ WEFT_RELAXED_SIMD: "1" })).toEqual({ enabled: true, main: true, worker: true });
  });
  it("does nothing under WEFT_RELAXED_SIMD=0", () => {
    expect(child({ WEFT_RELAXED_SIMD: "0" })).toEqual({ enabled: false, main: false, worker: false });
  });
  it("changes nothing once this thread has decided (threads never disagree)", () => {
    const late = script.replace("const enabled = enableRelaxedSimd();", "const before = wasmRelaxedSimd(); const enabled = enableRelaxedSimd(); if (enabled !== before) throw new Error('changed');");
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", late], { cwd, env: process.env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { enabled: boolean; main: boolean; worker: boolean };
    expect(out.main).toBe(out.enabled);
    expect(out.worker).toBe(out.enabled);
  });
});
