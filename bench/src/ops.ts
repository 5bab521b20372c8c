/**
 * `node bench/dist/ops.js [--quick] [--json] [--out DIR]` (after `pnpm build`; `pnpm bench:ops`)
 *
 * The N-D ops of @weft/tensor, wasm backend, one thread, medians:
 *   1. batched matmul at attention shapes, `[B·H, T, D] × [B·H, D, T]`, against one 2-D gemm of
 *      the same total work (`[B·H·T, D] × [D, T]`), in GFLOP/s;
 *   2. `scaledDotProductAttention` forward + backward (fused) against the same computed from
 *      matmul + transpose + mul + softmax (+ maskedFill for the causal mask);
 *   3. cat / narrow / permute bandwidth against `Float32Array.set` of the same bytes.
 * Each case runs two ways: **staged** — ordinary arrays (a user's script: the wasm kernels copy
 * operands in and out); **in place** — as a @weft/parallel worker runs it: inputs in a shared
 * WebAssembly.Memory, every output and gradient in a step arena there, this thread's kernels over
 * it. Writes ops.json and ops.md (bench/results/ unless --quick or --out).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Rng, Tensor, cat, matmul, maskedFill, mul, narrow, permute, scaledDotProductAttention,
  setBackend, softmax, transpose, triu, ones, wasmSimdSupported,
} from "@weft/tensor";
import { InPlace, timeCall } from "./in-place.js";
import { parseArgs } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";
import { sig } from "./summary.js";

const args = parseArgs(process.argv.slice(2), ["out"], ["quick", "json"]);
const quick = args.has("quick");
if (!wasmSimdSupported()) throw new Error("bench ops measures the wasm kernels: this host cannot run WebAssembly SIMD");
setBackend("wasm");

const time = (fn: () => void): number => timeCall(fn, quick ? { samples: 3, minSamples: 3, budgetMs: 200, warmup: 3 } : { samples: 21, minSamples: 3, budgetMs: 1500, warmup: 3 });
const mem = new InPlace(64 << 20, 192 << 20, 16 << 20);
const rng = new Rng(2);
const input = (n: number, inMemory: boolean): Float32Array => mem.input(n, inMemory);

type Mode = "staged" | "inplace";
const MODES: Mode[] = ["staged", "inplace"];

/** Times `step` on operands built by `make(inMemory)`, both ways. */
function measure<T>(make: (inMemory: boolean) => T, step: (o: T) => void): Record<Mode, number> {
  const out = {} as Record<Mode, number>;
  for (const mode of MODES) {
    mem.resetInputs();
    const o = make(mode === "inplace");
    mem.useKernels(mode === "inplace");
    out[mode] = time(mode === "inplace" ? mem.inPlace(() => step(o)) : () => step(o));
  }
  mem.useKernels(false);
  return out;
}

const say = (s: string): void => void process.stderr.write(`${s}\n`);
const gflops = (flops: number, ms: number): number => flops / (ms * 1e6);

// ---- 1. batched matmul at attention shapes ----
interface MatmulRow { bh: number; t: number; d: number; batched: Record<Mode, number>; flat: Record<Mode, number>; ratio: Record<Mode, number> }
const matmulRows: MatmulRow[] = [];
const BH = 8;
for (const t of quick ? [32, 128] : [32, 64, 128, 256]) {
  for (const d of quick ? [16, 64] : [16, 32, 64]) {
    const flops = 2 * BH * t * t * d;
    const batched = measure((m) => ({ q: new Tensor(input(BH * t * d, m), [BH, t, d]), k: new Tensor(input(BH * d * t, m), [BH, d, t]) }), ({ q, k }) => { matmul(q, k); });
    const flat = measure((m) => ({ q: new Tensor(input(BH * t * d, m), [BH * t, d]), k: new Tensor(input(d * t, m), [d, t]) }), ({ q, k }) => { matmul(q, k); });
    const g = (r: Record<Mode, number>): Record<Mode, number> => ({ staged: sig(gflops(flops, r.staged)), inplace: sig(gflops(flops, r.inplace)) });
    const b = g(batched), f = g(flat);
    const ratio = { staged: sig(b.staged / f.staged), inplace: sig(b.inplace / f.inplace) };
    matmulRows.push({ bh: BH, t, d, batched: b, flat: f, ratio });
    say(`matmul [${BH}, ${t}, ${d}]×[${BH}, ${d}, ${t}]: ${b.inplace} GFLOP/s in place (${f.inplace} as one 2-D gemm: ${(ratio.inplace * 100).toFixed(0)}%), staged ${b.staged} vs ${f.staged}`);
  }
}

// ---- 2. attention: fused vs composed ----
interface AttnRow { bh: number; t: number; d: number; causal: boolean; fused: Record<Mode, number>; composed: Record<Mode, number>; speedup: Record<Mode, number> }
const attnRows: AttnRow[] = [];
function composed(q: Tensor, k: Tensor, v: Tensor, causal: boolean, mask: Tensor<Int32Array> | null): Tensor {
  let s = mul(matmul(q, transpose(k, -2, -1)), 1 / Math.sqrt(q.shape[q.ndim - 1]));
  if (causal && mask) s = maskedFill(s, mask, -Infinity);
  return matmul(softmax(s, -1), v);
}
for (const t of quick ? [32, 128] : [32, 64, 128, 256]) {
  for (const d of quick ? [32] : [16, 32, 64]) {
    for (const causal of [false, true]) {
      const mask = triu(ones([t, t], { dtype: "int32" }), 1);
      const make = (m: boolean) => ({
        q: new Tensor(input(BH * t * d, m), [2, BH / 2, t, d], true), k: new Tensor(input(BH * t * d, m), [2, BH / 2, t, d], true),
        v: new Tensor(input(BH * t * d, m), [2, BH / 2, t, d], true), g: input(BH * t * d, m),
      });
      const fused = measure(make, ({ q, k, v, g }) => scaledDotProductAttention(q, k, v, { isCausal: causal }).backward(g));
      const comp = measure(make, ({ q, k, v, g }) => composed(q, k, v, causal, mask).backward(g));
      const speedup = { staged: sig(comp.staged / fused.staged), inplace: sig(comp.inplace / fused.inplace) };
      attnRows.push({ bh: BH, t, d, causal, fused: { staged: sig(fused.staged), inplace: sig(fused.inplace) }, composed: { staged: sig(comp.staged), inplace: sig(comp.inplace) }, speedup });
      say(`attention [2, ${BH / 2}, ${t}, ${d}]${causal ? " causal" : ""} fwd+bwd: fused ${sig(fused.inplace)} ms vs composed ${sig(comp.inplace)} ms in place (${speedup.inplace}×), staged ${speedup.staged}×`);
    }
  }
}

// ---- 3. bandwidth of the copies ----
interface CopyRow { op: string; shape: string; elements: number; ms: Record<Mode, number>; setMs: number; ofSet: Record<Mode, number> }
const copyRows: CopyRow[] = [];
const N = quick ? 1 << 18 : 1 << 21;
const src = new Float32Array(N), dst = new Float32Array(N);
rng.fillNormal(src);
const setMs = time(() => dst.set(src));
const copyCase = (op: string, shape: number[], make: (m: boolean) => Tensor[], run: (t: Tensor[]) => void): void => {
  const ms = measure(make, run);
  const ofSet = { staged: sig(setMs / ms.staged), inplace: sig(setMs / ms.inplace) };
  copyRows.push({ op, shape: `[${shape.join(", ")}]`, elements: N, ms: { staged: sig(ms.staged), inplace: sig(ms.inplace) }, setMs: sig(setMs), ofSet });
  say(`${op} ${shape.join("×")}: ${sig(ms.inplace)} ms in place, ${(ofSet.inplace * 100).toFixed(0)}% of Float32Array.set (${sig(setMs)} ms)`);
};
const rowsOf = 1024, D = N / rowsOf;
copyCase("cat axis 0 (two halves)", [rowsOf, D], (m) => [new Tensor(input(N / 2, m), [rowsOf / 2, D]), new Tensor(input(N / 2, m), [rowsOf / 2, D])], (t) => { cat(t, 0); });
copyCase("cat axis 1 (two halves)", [rowsOf, D], (m) => [new Tensor(input(N / 2, m), [rowsOf, D / 2]), new Tensor(input(N / 2, m), [rowsOf, D / 2])], (t) => { cat(t, 1); });
copyCase("narrow axis 1 (half)", [rowsOf, D / 2], (m) => [new Tensor(input(2 * N, m), [rowsOf, 2 * D])], (t) => { narrow(t[0], 1, D / 2, D); });
const [pb, pt, ph, pd] = [8, N / (8 * 8 * 64), 8, 64];
copyCase("permute [B,T,H,D]→[B,H,T,D]", [pb, pt, ph, pd], (m) => [new Tensor(input(N, m), [pb, pt, ph, pd])], (t) => { permute(t[0], [0, 2, 1, 3]); });
copyCase("transpose last two dims", [N / (256 * 256), 256, 256], (m) => [new Tensor(input(N, m), [N / (256 * 256), 256, 256])], (t) => { transpose(t[0], -2, -1); });

setBackend();
const machine = describeMachine(["wasm"]);
const results = { bench: "ops", machine, quick, matmul: matmulRows, attention: attnRows, copies: copyRows };
const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
const md = [
  `# N-D ops: batched matmul, fused attention, copies${quick ? " (--quick: not results)" : ""}`,
  "",
  `Machine: ${machineLine(machine)}.`,
  "",
  "`pnpm bench:ops` (`node bench/dist/ops.js`): wasm backend, one thread, medians. **in place**: as a @weft/parallel worker runs the op " +
    "(inputs in a shared WebAssembly.Memory, outputs and gradients in a step arena there); **staged**: ordinary arrays (the kernels copy operands in and out).",
  "",
  `## Batched matmul \`[${BH}, T, D] × [${BH}, D, T]\` vs one 2-D gemm of the same work \`[${BH}·T, D] × [D, T]\` (GFLOP/s)`,
  "",
  "| T | D | batched, in place | 2-D, in place | ratio | batched, staged | 2-D, staged | ratio |",
  "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...matmulRows.map((r) => `| ${r.t} | ${r.d} | ${r.batched.inplace} | ${r.flat.inplace} | ${pct(r.ratio.inplace)} | ${r.batched.staged} | ${r.flat.staged} | ${pct(r.ratio.staged)} |`),
  "",
  `## scaledDotProductAttention forward + backward, q, k, v \`[2, ${BH / 2}, T, D]\`: fused vs matmul + softmax ops (ms)`,
  "",
  "| T | D | causal | fused, in place | composed, in place | speed-up | fused, staged | composed, staged | speed-up |",
  "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ...attnRows.map((r) => `| ${r.t} | ${r.d} | ${r.causal ? "yes" : "no"} | ${r.fused.inplace} | ${r.composed.inplace} | ${r.speedup.inplace}× | ${r.fused.staged} | ${r.composed.staged} | ${r.speedup.staged}× |`),
  "",
  `## Copies vs \`Float32Array.set\` of the same ${N.toLocaleString("en")} floats (${sig(setMs)} ms)`,
  "",
  "| op | output shape | in place (ms) | of set | staged (ms) | of set |",
  "| --- | --- | ---: | ---: | ---: | ---: |",
  ...copyRows.map((r) => `| ${r.op} | ${r.shape} | ${r.ms.inplace} | ${pct(r.ofSet.inplace)} | ${r.ms.staged} | ${pct(r.ofSet.staged)} |`),
  "",
].join("\n");

const out = (args.get("out") as string | undefined) ?? (quick ? undefined : fileURLToPath(new URL("../results/", import.meta.url)));
if (out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "ops.json"), JSON.stringify(results, null, 1));
  writeFileSync(join(out, "ops.md"), md);
}
if (args.has("json")) console.log(JSON.stringify(results));
else console.log(md);
