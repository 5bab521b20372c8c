/**
 * `node bench/dist/rows.js [--quick] [--json]` (after `pnpm build`)
 *
 * The per-row ops — softmax and log-softmax over the last axis, LayerNorm, cross-entropy with
 * probability targets — forward + backward, as a user or the engine calls them, three ways:
 *   js      — the TypeScript kernels (`WEFT_BACKEND=js`);
 *   staged  — the wasm kernels on ordinary arrays (each call copies its operands in and out);
 *   inplace — the wasm kernels as a @weft/parallel worker runs them: inputs in a shared
 *             WebAssembly.Memory, every op output and gradient in a step arena in that memory,
 *             this thread's kernels over it (zero copies but the layer's small parameters).
 * One thread, medians of timed calls after warm-up. Writes rows.json and rows.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { crossEntropyLoss } from "@weft/layers";
import { LayerNorm } from "@weft/norm";
import { Arena, Rng, Tensor, WasmKernels, logSoftmax, setBackend, setThreadWasmKernels, softmax, wasmSimdSupported, withArena, type WasmMemory } from "@weft/tensor";
import { parseArgs } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";
import { median, sig } from "./summary.js";

const args = parseArgs(process.argv.slice(2), ["out"], ["quick", "json"]);
const quick = args.has("quick");
if (!wasmSimdSupported()) throw new Error("bench rows compares the wasm kernels: this host cannot run WebAssembly SIMD");

/** Median ms per call; each sample repeats `fn` for ≥ 2 ms so short calls are timed above the clock's resolution. */
function time(fn: () => void): number {
  for (let i = 0; i < 5; i++) fn();
  const t = performance.now();
  fn();
  const inner = Math.max(1, Math.ceil(2 / Math.max(performance.now() - t, 1e-3)));
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < (quick ? 5 : 31) && (samples.length < 5 || performance.now() - start < (quick ? 300 : 2500))) {
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) fn();
    samples.push((performance.now() - t0) / inner);
  }
  return median(samples);
}

// The in-place setup: inputs at the bottom of a shared memory, the arena above, kernel scratch on top.
const INPUT_BYTES = 24 << 20, ARENA_BYTES = 64 << 20, SCRATCH_BYTES = 8 << 20;
const WasmMemoryCtor = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory } }).WebAssembly.Memory;
const pages = (INPUT_BYTES + ARENA_BYTES + SCRATCH_BYTES) / 65536;
const memory = new WasmMemoryCtor({ initial: pages, maximum: pages, shared: true });
const buffer = memory.buffer as unknown as SharedArrayBuffer;
const kernels = new WasmKernels({ memory, scratchOffset: INPUT_BYTES + ARENA_BYTES, scratchBytes: SCRATCH_BYTES });
const arena = new Arena({ buffer, byteOffset: INPUT_BYTES, byteLength: ARENA_BYTES });
let inputAt = 64;
const rng = new Rng(1);

/** A random float32 array: ordinary, or carved from the shared memory's input region. */
function input(n: number, inMemory: boolean, positive = false): Float32Array {
  let a: Float32Array;
  if (inMemory) {
    a = new Float32Array(buffer, inputAt, n);
    inputAt = Math.ceil((inputAt + n * 4) / 64) * 64;
  } else {
    a = new Float32Array(n);
  }
  rng.fillNormal(a);
  if (positive) for (let i = 0; i < n; i++) a[i] = Math.abs(a[i]);
  return a;
}

type Mode = "js" | "staged" | "inplace";
const MODES: Mode[] = ["js", "staged", "inplace"];

/** Times `step` (one forward + backward) in `mode`; `make(inMemory)` builds its operands. */
function measure<T>(make: (inMemory: boolean) => T, step: (o: T) => void): Record<Mode, number> {
  const out = {} as Record<Mode, number>;
  for (const mode of MODES) {
    inputAt = 64;
    const o = make(mode === "inplace");
    setBackend(mode === "js" ? "js" : "wasm");
    setThreadWasmKernels(mode === "inplace" ? kernels : null);
    out[mode] = time(mode === "inplace" ? () => { arena.reset(); withArena(arena, () => step(o)); } : () => step(o));
  }
  setBackend();
  setThreadWasmKernels(null);
  return out;
}

interface Row { op: string; shape: string; js: number; staged: number; inplace: number }
const rows: Row[] = [];
function row(op: string, shape: number[], t: Record<Mode, number>): void {
  rows.push({ op, shape: `[${shape.join(", ")}]`, js: sig(t.js), staged: sig(t.staged), inplace: sig(t.inplace) });
  process.stderr.write(`${op} [${shape.join(", ")}]: js ${sig(t.js)} ms, staged ${sig(t.staged)} ms, in place ${sig(t.inplace)} ms\n`);
}

for (const [r, c] of [[128, 10], [1024, 1000]]) {
  for (const [name, op] of [["softmax", softmax], ["logSoftmax", logSoftmax]] as const) {
    row(`${name} fwd+bwd`, [r, c], measure(
      (m) => ({ x: new Tensor(input(r * c, m), [r, c], true), g: input(r * c, m) }),
      ({ x, g }) => op(x, 1).backward(g),
    ));
  }
}
for (const [r, d] of [[128, 256], [1024, 768]]) {
  const ln = new LayerNorm(d);
  row("LayerNorm fwd+bwd", [r, d], measure(
    (m) => ({ x: new Tensor(input(r * d, m), [r, d], true), g: input(r * d, m) }),
    ({ x, g }) => ln.forward(x).backward(g),
  ));
}
for (const [r, c] of [[128, 10], [1024, 1000]]) {
  row("crossEntropy (probabilities) fwd+bwd", [r, c], measure(
    (m) => {
      const p = input(r * c, m, true);
      for (let i = 0; i < r; i++) {
        let s = 0;
        for (let j = 0; j < c; j++) s += p[i * c + j];
        for (let j = 0; j < c; j++) p[i * c + j] /= s;
      }
      return { x: new Tensor(input(r * c, m), [r, c], true), p: new Tensor(p, [r, c]) };
    },
    ({ x, p }) => crossEntropyLoss(x, p, { labelSmoothing: 0.1 }).backward(),
  ));
}

const machine = describeMachine(["js", "wasm"]);
const results = { bench: "rows", machine, quick, rows };
const fmt = (ms: number) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(0)} µs`);
const md = [
  `# Per-row ops: js vs wasm${quick ? " (--quick: not results)" : ""}`,
  "",
  `Machine: ${machineLine(machine)}.`,
  "",
  "`node bench/dist/rows.js`: forward + backward of each op through the public API, one thread, medians. " +
    "**js**: the TypeScript kernels. **wasm staged**: the wasm kernels on ordinary arrays (operands copied in and out each call). " +
    "**wasm in place**: as a @weft/parallel worker runs them — inputs in a shared WebAssembly.Memory, every output and gradient in a step arena there, this thread's kernels over it.",
  "",
  "| op | shape | js | wasm staged | wasm in place | in place vs js |",
  "| --- | --- | ---: | ---: | ---: | ---: |",
  ...rows.map((r) => `| ${r.op} | ${r.shape} | ${fmt(r.js)} | ${fmt(r.staged)} | ${fmt(r.inplace)} | ${(r.js / r.inplace).toFixed(1)}× |`),
  "",
].join("\n");

const out = (args.get("out") as string | undefined) ?? (quick ? undefined : fileURLToPath(new URL("../results/", import.meta.url)));
if (out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "rows.json"), JSON.stringify(results, null, 1));
  writeFileSync(join(out, "rows.md"), md);
}
if (args.has("json")) console.log(JSON.stringify(results));
else console.log(md);
