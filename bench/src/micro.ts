/**
 * Micro-benchmarks: gemm (square sizes, the three Linear layouts of the standard workload,
 * a naive loop as the baseline) and elementwise / softmax throughput of the public ops.
 *
 *   pnpm bench                       # full run (≈ 30 s)
 *   node bench/dist/micro.js --quick # CI smoke (< 10 s): few iterations, same cases; writes no results
 *   node bench/dist/micro.js --json  # print the JSON records to stdout instead of the table
 *   node bench/dist/micro.js --cpu-time  # time by this process's CPU time, not the wall clock
 *
 *   node --experimental-wasm-relaxed-simd bench/dist/micro.js  # the relaxed-SIMD kernels (FMA)
 *
 * Writes bench/results/micro.json and bench/results/micro.md (micro-relaxed.* under the flag). Figures are medians of
 * per-call latency (tinybench p50); one thread, float32.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";
import { gemm, randn, relu, exp, gelu, softmax, tanh, Rng, setBackend, wasmRelaxedSimd, wasmSimdSupported, type Backend } from "@weft/tensor";
import { parseArgs } from "./cli-args.js";
import { describeMachine, machineLine } from "./machine.js";

interface BenchCase {
  name: string;
  shape: string;
  fn: () => void;
  /** Floating-point operations of one call (gemm: 2·m·n·k). */
  flops?: number;
  /** Bytes one call must read and write at least (elementwise: input + output). */
  bytes?: number;
}

interface BenchRecord {
  name: string;
  shape: string;
  medianMs: number;
  gflops?: number;
  gbps?: number;
  samples: number;
  /** "wall" (default) or "cpu" (--cpu-time). */
  clock: string;
  node: string;
  cpu: string;
}

const args = parseArgs(process.argv.slice(2), [], ["quick", "json", "cpu-time"]);
const quick = args.has("quick");
const json = args.has("json");
// On a shared machine other processes steal time slices; CPU time leaves those out (it does
// not remove contention for a shared physical core or cache, so compare like with like).
const cpuTime = args.has("cpu-time");
const clock = cpuTime ? "cpu" : "wall";
const rng = new Rng(1234);
// Taken before the run: the load average says whether other work shared the machine.
const machine = describeMachine();

function randomF32(n: number): Float32Array {
  const a = new Float32Array(n);
  rng.fillUniform(a, -1, 1);
  return a;
}

/**
 * A gemm case per kernel backend: op(A)·op(B) with the layout flags, fresh random operands, C
 * overwritten (beta = 0). `js` is the TypeScript kernel, `wasm` the WebAssembly SIMD one (with its
 * staging copies, as `linear` calls it) — the backend is a dimension of every gemm row.
 */
const BACKENDS: Backend[] = wasmSimdSupported() ? ["js", "wasm"] : ["js"];

/** One case per kernel backend, named `name [backend]`. */
/**
 * How a row names its backend: "wasm" — or "wasm+relaxed" when this process runs the relaxed-SIMD
 * kernels (`node --experimental-wasm-relaxed-simd bench/dist/micro.js`, which writes
 * micro-relaxed.{json,md} instead).
 */
const relaxed = wasmSimdSupported() && wasmRelaxedSimd();
const label = (be: Backend): string => (be === "wasm" && relaxed ? "wasm+relaxed" : be);

function perBackend(name: string, shape: string, bytes: number, op: () => unknown): BenchCase[] {
  return BACKENDS.map((be) => ({ name: `${name} [${label(be)}]`, shape, bytes, fn: () => { setBackend(be); op(); } }));
}

function gemmCases(name: string, transA: boolean, transB: boolean, m: number, n: number, k: number, withBias = false): BenchCase[] {
  const a = randomF32(m * k), b = randomF32(k * n), c = new Float32Array(m * n);
  const bias = withBias ? randomF32(n) : null;
  const lda = transA ? m : k, ldb = transB ? k : n;
  return BACKENDS.map((be) => ({
    name: `${name} [${label(be)}]`, shape: `${m}×${n}×${k}`, flops: 2 * m * n * k,
    fn: () => {
      setBackend(be);
      gemm(transA, transB, m, n, k, 1, a, 0, lda, b, 0, ldb, 0, c, 0, n, bias, 0);
    },
  }));
}

/** The textbook i-k-j loop (row of C += a[i][p] · row p of B): the baseline gemm must beat. */
function naiveGemm(m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  c.fill(0);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p];
      const bo = p * n, co = i * n;
      for (let j = 0; j < n; j++) c[co + j] += av * b[bo + j];
    }
  }
}

function cases(): BenchCase[] {
  const list: BenchCase[] = [];
  for (const n of [128, 256, 512, 1024]) list.push(...gemmCases(`gemm NN n=${n}`, false, false, n, n, n));
  // The standard workload's first layer, batch 128: X[128×784], W[256×784], dY[128×256].
  list.push(...gemmCases("gemm Linear fwd X·Wᵀ+b", false, true, 128, 256, 784, true));
  list.push(...gemmCases("gemm Linear dW = dYᵀ·X", true, false, 256, 784, 128));
  list.push(...gemmCases("gemm Linear dX = dY·W", false, false, 128, 784, 256));
  {
    const n = 512, a = randomF32(n * n), b = randomF32(n * n), c = new Float32Array(n * n);
    list.push({ name: "naive i-k-j loop n=512", shape: `${n}×${n}×${n}`, flops: 2 * n ** 3, fn: () => naiveGemm(n, n, n, a, b, c) });
  }
  // Public ops (each call allocates its output, as a user's call does); no grad is recorded.
  const big = randn([1024, 1024], rng);
  const bytes1M = 2 * 4 * big.size; // read + write float32
  list.push(...perBackend("relu", "1024×1024", bytes1M, () => relu(big)));
  list.push(...perBackend("exp", "1024×1024", bytes1M, () => exp(big)));
  list.push(...perBackend("tanh", "1024×1024", bytes1M, () => tanh(big)));
  list.push(...perBackend("gelu (erf)", "1024×1024", bytes1M, () => gelu(big)));
  list.push(...perBackend("gelu (tanh)", "1024×1024", bytes1M, () => gelu(big, "tanh")));
  const wide = randn([128, 1024], rng);
  list.push(...perBackend("softmax axis 1", "128×1024", 2 * 4 * wide.size, () => softmax(wide, 1)));
  const logits = randn([128, 10], rng);
  list.push(...perBackend("softmax axis 1 (logits)", "128×10", 2 * 4 * logits.size, () => softmax(logits, 1)));
  return list;
}

function run(list: BenchCase[]): BenchRecord[] {
  // Quick mode keeps every case but only a couple of timed calls, to stay under ~10 s in CI.
  const bench = new Bench({
    name: "weft micro",
    time: quick ? 30 : 1000,
    iterations: quick ? 2 : 10,
    warmupTime: quick ? 0 : 250,
    warmupIterations: quick ? 1 : 5,
    throws: true,
    ...(cpuTime ? { now: cpuNowMs } : {}),
  });
  for (const c of list) bench.add(c.name, c.fn);
  const tasks = bench.runSync();
  const { node, cpu } = machine;
  return tasks.map((task, i) => {
    const c = list[i], r = task.result;
    if (!("latency" in r)) throw new Error(`${c.name}: benchmark ${r.state}`);
    const medianMs = r.latency.p50;
    const rec: BenchRecord = { name: c.name, shape: c.shape, medianMs, samples: r.latency.samplesCount, clock, node, cpu };
    if (c.flops !== undefined) rec.gflops = c.flops / (medianMs * 1e6);
    if (c.bytes !== undefined) rec.gbps = c.bytes / (medianMs * 1e6);
    return rec;
  });
}

/** Process CPU time (user + system, all threads) in ms, microsecond resolution. */
function cpuNowMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function markdown(records: BenchRecord[]): string {
  const naive = records.find((r) => r.name.startsWith("naive"))?.gflops;
  const lines = [
    `# Micro benchmarks`,
    ``,
    machineLine(machine),
    ``,
    `${quick ? "--quick (few samples, barely warmed up)" : "full run"} · one thread, float32 · medians of ${clock}-clock time per call`,
    ``,
    `| benchmark | shape | median ms | GFLOP/s | × naive | GB/s |`,
    `| --- | --- | ---: | ---: | ---: | ---: |`,
  ];
  for (const r of records) {
    const g = r.gflops === undefined ? "" : r.gflops.toFixed(2);
    const x = r.gflops === undefined || naive === undefined ? "" : (r.gflops / naive).toFixed(1);
    const b = r.gbps === undefined ? "" : r.gbps.toFixed(2);
    lines.push(`| ${r.name} | ${r.shape} | ${r.medianMs.toFixed(3)} | ${g} | ${x} | ${b} |`);
  }
  lines.push(
    ``,
    `gemm shapes are m×n×k (GFLOP/s = 2·m·n·k / time); × naive is against the i-k-j loop at n = 512 in the same run.`,
    `Op shapes are the input tensor's; GB/s counts one read of the input and one write of the output (the op allocates its output each call).`,
  );
  return lines.join("\n") + "\n";
}

const records = run(cases());
const md = markdown(records);
// --quick is a smoke run: its figures are not results, so it leaves bench/results/ alone.
if (!quick) {
  const outDir = fileURLToPath(new URL("../results/", import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const base = relaxed ? "micro-relaxed" : "micro";
  writeFileSync(`${outDir}${base}.json`, JSON.stringify(records, null, 2) + "\n");
  writeFileSync(`${outDir}${base}.md`, md);
}
process.stdout.write(json ? JSON.stringify(records, null, 2) + "\n" : md);
