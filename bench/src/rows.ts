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
import { Tensor, logSoftmax, setBackend, softmax, wasmSimdSupported } from "@weft/tensor";
import { InPlace, timeCall } from "./in-place.js";
import { parseArgs } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";
import { sig } from "./summary.js";

const args = parseArgs(process.argv.slice(2), ["out"], ["quick", "json"]);
const quick = args.has("quick");
if (!wasmSimdSupported()) throw new Error("bench rows compares the wasm kernels: this host cannot run WebAssembly SIMD");

const time = (fn: () => void): number => timeCall(fn, quick ? { samples: 5, budgetMs: 300 } : {});
const mem = new InPlace(24 << 20, 64 << 20, 8 << 20);
const input = (n: number, inMemory: boolean, positive = false): Float32Array => mem.input(n, inMemory, positive);

type Mode = "js" | "staged" | "inplace";
const MODES: Mode[] = ["js", "staged", "inplace"];

/** Times `step` (one forward + backward) in `mode`; `make(inMemory)` builds its operands. */
function measure<T>(make: (inMemory: boolean) => T, step: (o: T) => void): Record<Mode, number> {
  const out = {} as Record<Mode, number>;
  for (const mode of MODES) {
    mem.resetInputs();
    const o = make(mode === "inplace");
    setBackend(mode === "js" ? "js" : "wasm");
    mem.useKernels(mode === "inplace");
    out[mode] = time(mode === "inplace" ? mem.inPlace(() => step(o)) : () => step(o));
  }
  setBackend();
  mem.useKernels(false);
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
