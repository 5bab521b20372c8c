/**
 * `node bench/dist/module-access.js [--quick] [--json] [--cpu-time] [--out DIR]` (after `pnpm build`)
 *
 * What registering a module's properties would cost on the hot path, two ways (the choice made in
 * packages/layers/src/module.ts rests on these figures):
 *   proxy — every module is the Proxy its constructor would return (a `defineProperty` trap, the
 *           one a registering Proxy needs), so each `this.x` a method reads goes through it;
 *   scan  — plain objects (what @weft/layers does): `this.x` is an ordinary property read, and the
 *           own properties are scanned when the registry is read (`parameters()`, `stateDict()`),
 *           which the last rows time.
 * One thread, the js kernel backend. Each way runs in a child process of its own (a property read
 * site that has seen both plain objects and proxies is slow for both), the children alternating,
 * 7 rounds; figures are medians, the ratio the median of the rounds' paired ratios.
 * Writes module-access.json and module-access.md.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Dropout, Linear, Module, ReLU, Sequential, mseLoss, type Parameter } from "@weft/layers";
import { Rng, Tensor, randn, setBackend } from "@weft/tensor";
import { parseArgs } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";
import { median, pairedRatio, sig } from "./summary.js";

const args = parseArgs(process.argv.slice(2), ["out", "way"], ["quick", "json", "cpu-time"]);
const quick = args.has("quick");
// On a shared machine other processes steal time slices; CPU time leaves those out (as micro.ts's flag).
const cpuTime = args.has("cpu-time");
const now = cpuTime ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();
setBackend("js");

type Wrap = <T extends object>(m: T) => T;
const plain: Wrap = (m) => m;
// The trap a registering Proxy needs: assignments and class-field definitions both arrive here.
const proxy: Wrap = (m) => new Proxy(m, { defineProperty: (t, k, d) => Reflect.defineProperty(t, k, d) });

/** x + fc2(relu(fc1(x))): children as plain properties, as the layers README's example. */
class Residual extends Module {
  readonly fc1: Linear;
  readonly act: ReLU;
  readonly fc2: Linear;
  constructor(d: number, rng: Rng, wrap: Wrap) {
    super();
    this.fc1 = wrap(new Linear(d, d, { rng }));
    this.act = wrap(new ReLU());
    this.fc2 = wrap(new Linear(d, d, { rng }));
  }
  forward(x: Tensor): Tensor {
    return x.add(this.fc2.forward(this.act.forward(this.fc1.forward(x))));
  }
}

/** in → Linear → 2 × Residual → Linear → 1: 8 Linear layers' worth of module reads per step. */
function model(inFeatures: number, hidden: number, wrap: Wrap): Module {
  const rng = new Rng(0);
  return wrap(new Sequential(
    wrap(new Linear(inFeatures, hidden, { rng })),
    wrap(new Residual(hidden, rng, wrap)),
    wrap(new Residual(hidden, rng, wrap)),
    wrap(new Linear(hidden, 1, { rng })),
  ));
}

/** One SGD step by hand (no optimiser: only the model's own reads differ between the two ways). */
function trainStep(m: Module, params: Parameter[], x: Tensor, y: Tensor): void {
  for (const p of params) p.zeroGrad();
  mseLoss(m.forward(x), y).backward();
  for (const p of params) {
    const w = p.data;
    const g = p.grad!.data;
    for (let i = 0; i < w.length; i++) w[i] -= 1e-3 * g[i];
  }
}

/** Calls per sample so one sample lasts ≥ 5 ms (short calls timed above the clock's resolution). */
function calibrate(fn: () => void): number {
  // Warm-up until V8 has optimised the code (µs-sized calls take thousands of runs): ≥ 100 ms.
  const warm = performance.now();
  for (let i = 0; i < 20 || performance.now() - warm < (quick ? 10 : 100); i++) fn();
  const t = performance.now();
  fn();
  // ≥ 5 ms a sample: process CPU time ticks in µs but is updated coarsely on some kernels.
  return Math.max(1, Math.ceil(5 / Math.max(performance.now() - t, 1e-4)));
}

/** Median ms per call over `samples` samples. */
function time(fn: () => void, samples: number): number {
  const inner = calibrate(fn);
  const s: number[] = [];
  for (let k = 0; k < samples; k++) {
    const t0 = now();
    for (let i = 0; i < inner; i++) fn();
    s.push((now() - t0) / inner);
  }
  return median(s);
}

/** A method that reads three of its own properties, as `forward` reads `this.fc1`. */
class Holder {
  a = { v: 1 };
  b = { v: 2 };
  training = true;
  read(): number {
    return this.a.v + this.b.v + (this.training ? 1 : 0);
  }
}

/** Every case for one way, in this process: the plain and proxy runs never share type feedback. */
function runCases(wrap: Wrap, samples: number): Record<string, number> {
  const out: Record<string, number> = {};
  const h = wrap(new Holder());
  let sink = 0;
  out[CASES[0]] = time(() => { for (let i = 0; i < 1000; i++) sink += h.read(); }, samples);
  // A layer whose loop reads its properties per element, as user code does: Dropout reads
  // this.rng and this.p for each of the 32,768 values.
  const x = randn([128, 256], new Rng(1));
  const d = wrap(new Dropout(0.5, { rng: new Rng(2) }));
  out[CASES[1]] = time(() => d.forward(x), samples);
  // Training steps of the residual MLP: many small ops at batch 1, bigger gemms at batch 64.
  for (const [k, [batch, inFeatures, hidden]] of [[2, [1, 4, 16]], [3, [64, 32, 128]]] as const) {
    const rng = new Rng(3);
    const xs = randn([batch, inFeatures], rng);
    const ys = randn([batch, 1], rng);
    const m = model(inFeatures, hidden, wrap);
    const params = m.parameters();
    out[CASES[k]] = time(() => trainStep(m, params, xs, ys), samples);
  }
  if (sink < 0) console.log(sink);
  return out;
}

const CASES = [
  "1000 calls of a method reading 3 own properties",
  "Dropout(0.5) forward, [128, 256]",
  "residual MLP train step, batch 1, 4→16→1",
  "residual MLP train step, batch 64, 32→128→1",
];

/** What the scan costs on plain modules: each registry read scans every module's own properties. */
function runScans(samples: number): { case: string; ms: number }[] {
  const m = model(32, 128, plain);
  const n = m.namedModules().length;
  const p = m.parameters().length;
  return ([
    [`parameters() of the residual MLP (${n} modules, ${p} parameters)`, () => m.parameters()],
    ["stateDict() of the residual MLP", () => m.stateDict()],
    [`zeroGrad() of the residual MLP (parameters() + ${p} fills)`, () => m.zeroGrad()],
  ] as const).map(([name, fn]) => ({ case: name, ms: sig(time(fn, samples)) }));
}

const way = args.get("way") as string | undefined;
if (way !== undefined) {
  // A child: one way's cases, one JSON line.
  if (way !== "plain" && way !== "proxy") throw new Error(`--way must be plain or proxy, got ${way}`);
  console.log(JSON.stringify(runCases(way === "plain" ? plain : proxy, quick ? 3 : 15)));
  process.exit(0);
}

// The parent: alternate plain and proxy children, so drift on a shared machine hits both alike.
const self = fileURLToPath(import.meta.url);
const child = (w: string): Record<string, number> => {
  const r = spawnSync(process.execPath, [self, "--way", w, ...(quick ? ["--quick"] : []), ...(cpuTime ? ["--cpu-time"] : [])], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`module-access --way ${w} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
};
const rounds = quick ? 1 : 7;
const runs: Record<string, number>[][] = [[], []];
for (let r = 0; r < rounds; r++) {
  runs[0].push(child("plain"));
  runs[1].push(child("proxy"));
  process.stderr.write(`round ${r + 1}/${rounds}\n`);
}
interface Row { case: string; plainMs: number; proxyMs: number; proxyVsPlain: number }
const rows: Row[] = CASES.map((c) => {
  const a = runs[0].map((x) => x[c]);
  const b = runs[1].map((x) => x[c]);
  return { case: c, plainMs: sig(median(a)), proxyMs: sig(median(b)), proxyVsPlain: sig(pairedRatio(b, a), 3) };
});
const scans = runScans(quick ? 3 : 31);

const machine = describeMachine();
const results = { bench: "module-access", machine, quick, clock: cpuTime ? "cpu" : "wall", rows, scans };
const fmt = (ms: number) => (ms >= 1 ? `${ms.toFixed(2)} ms` : ms >= 1e-3 ? `${(ms * 1000).toFixed(1)} µs` : `${(ms * 1e6).toFixed(0)} ns`);
const md = [
  `# Module property access: plain objects vs a Proxy${quick ? " (--quick: not results)" : ""}`,
  "",
  `Machine: ${machineLine(machine)}.`,
  "",
  "`node bench/dist/module-access.js`: the same code on plain modules and on modules wrapped in the Proxy a registering " +
    "constructor would return (a `defineProperty` trap only; reads are not trapped but still go through the Proxy). " +
    `Each way in its own child process, alternating, 7 rounds; medians of ${cpuTime ? "process CPU time (--cpu-time)" : "wall-clock time"}, the ratio the median of the paired ratios.`,
  "",
  "| case | plain | proxy | proxy vs plain |",
  "| --- | ---: | ---: | ---: |",
  ...rows.map((r) => `| ${r.case} | ${fmt(r.plainMs)} | ${fmt(r.proxyMs)} | ${r.proxyVsPlain.toFixed(2)}× |`),
  "",
  "What the lazy scan of own properties costs instead, per registry read (plain modules):",
  "",
  "| call | median |",
  "| --- | ---: |",
  ...scans.map((s) => `| ${s.case} | ${fmt(s.ms)} |`),
  "",
].join("\n");

const out = (args.get("out") as string | undefined) ?? (quick ? undefined : fileURLToPath(new URL("../results/", import.meta.url)));
if (out) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "module-access.json"), JSON.stringify(results, null, 1));
  writeFileSync(join(out, "module-access.md"), md);
}
if (args.has("json")) console.log(JSON.stringify(results));
else console.log(md);
