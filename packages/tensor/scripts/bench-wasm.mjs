// Benchmarks the WebAssembly SIMD kernels against the TypeScript ones: gemm (every layout,
// n = 256/512/1024 and the Linear layer's three shapes), the copies the array-level gemm
// adds, the all-reduce sum and the Adam step. One thread, medians of timed calls after warm-up
// (V8 compiles wasm with Liftoff first and tiers up to TurboFan after a few calls).
//
// Usage (after `npm run build`, from packages/tensor):
//   node scripts/bench-wasm.mjs [--quick] [--cpu-time] [--json FILE]
// --quick: fewer repetitions and no n = 1024 (a smoke run).
// --cpu-time: time by this process's CPU time (process.cpuUsage, µs resolution) instead of the
//   wall clock — steadier on a shared 2-vCPU machine where other processes take turns.

import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { gemm as jsGemm } from "../dist/kernels/js/gemm.js";
import { WasmKernels } from "../dist/kernels/wasm/index.js";

const quick = process.argv.includes("--quick");
const jsonAt = process.argv.indexOf("--json");
const jsonFile = jsonAt > 0 ? process.argv[jsonAt + 1] : null;
const cpuTime = process.argv.includes("--cpu-time");
const now = cpuTime ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();

/** Median milliseconds of `fn` over `reps` calls (after `warm` untimed calls), stopping early after `budgetMs`. */
function median(fn, { reps = 15, warm = 3, budgetMs = 4000 } = {}) {
  for (let i = 0; i < warm; i++) fn();
  const times = [];
  const start = performance.now();
  while (times.length < reps && (times.length < 3 || performance.now() - start < budgetMs)) {
    const t0 = now();
    fn();
    times.push(now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

function fill(arr, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < arr.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    arr[i] = s / 2 ** 31 - 1;
  }
  return arr;
}

const LAYOUTS = { NN: [false, false], NT: [false, true], TN: [true, false], TT: [true, true] };

/**
 * One gemm case: JS kernel, wasm array-level (copies included), wasm pointer-level (operands
 * resident in wasm memory: the kernel alone). Returns GFLOP/s and the copy share.
 */
function gemmCase(label, layout, m, n, k, { beta = 0, bias = false } = {}) {
  const [tA, tB] = LAYOUTS[layout];
  const lda = tA ? m : k, ldb = tB ? k : n;
  const a = fill(new Float32Array(m * k), 1), b = fill(new Float32Array(k * n), 2);
  const c = fill(new Float32Array(m * n), 3), bv = bias ? fill(new Float32Array(n), 4) : null;
  const flop = 2 * m * n * k;
  const big = m * n * k >= 512 ** 3;
  const opts = { reps: quick ? 5 : big ? 7 : 25, warm: 3 };

  const tJs = median(() => jsGemm(tA, tB, m, n, k, 1, a, 0, lda, b, 0, ldb, beta, c, 0, n, bv, 0), opts);
  const kern = new WasmKernels();
  const tArr = median(() => kern.gemm(tA, tB, m, n, k, 1, a, 0, lda, b, 0, ldb, beta, c, 0, n, bv, 0), opts);

  // Pointer level: A, B, C, bias resident in a caller's memory; only the kernel runs.
  const scratch = kern.gemmScratchBytes(m, n, k);
  const A = 0, B = A + a.length * 4, C = B + b.length * 4, BIAS = C + c.length * 4, S = BIAS + n * 4 + 64;
  const WA = globalThis.WebAssembly;
  const memory = new WA.Memory({ initial: Math.ceil((S + scratch) / 65536) + 1 });
  const resident = new WasmKernels({ memory, scratchOffset: Math.ceil(S / 16) * 16, scratchBytes: scratch + 16 });
  const f32 = new Float32Array(memory.buffer);
  f32.set(a, A / 4); f32.set(b, B / 4); f32.set(c, C / 4); if (bv) f32.set(bv, BIAS / 4);
  const tPtr = median(() => resident.gemmPtr(tA, tB, m, n, k, 1, A, lda, B, ldb, beta, C, n, bv ? BIAS : null), opts);

  // The copies alone, as the array-level call does them (A, B in; C in when beta ≠ 0; C out).
  const view = kern.f32();
  const tCopy = median(() => {
    view.set(a, 16); view.set(b, 16 + a.length);
    if (beta !== 0) view.set(c, 16 + a.length + b.length);
    c.set(view.subarray(16 + a.length + b.length, 16 + a.length + b.length + c.length));
  }, { reps: 50, warm: 5 });

  const g = (t) => flop / t / 1e6;
  return {
    label, layout, m, n, k, beta, bias,
    js: g(tJs), wasm: g(tArr), wasmKernel: g(tPtr),
    ms: { js: tJs, wasm: tArr, wasmKernel: tPtr, copies: tCopy },
    copyShare: tCopy / tPtr,
  };
}

const rows = [];
const sizes = quick ? [256, 512] : [256, 512, 1024];
for (const s of sizes) for (const layout of Object.keys(LAYOUTS)) rows.push(gemmCase(`n = ${s}`, layout, s, s, s));
// The standard workload's Linear(784 → 256), batch 128: forward, and the two backward gemms
// (which accumulate into existing gradients, beta = 1, as ops/matmul.ts calls them).
rows.push(gemmCase("Linear fwd Y = X·Wᵀ + b", "NT", 128, 256, 784, { bias: true }));
rows.push(gemmCase("Linear dW += dYᵀ·X", "TN", 256, 784, 128, { beta: 1 }));
rows.push(gemmCase("Linear dX += dY·W", "NN", 128, 784, 256, { beta: 1 }));

const f1 = (x) => x.toFixed(1);
const lines = [];
lines.push(`gemm, one thread, GFLOP/s (medians of ${cpuTime ? "CPU" : "wall-clock"} time) — ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} logical CPUs, Node ${process.version}`);
lines.push("");
lines.push("| case | layout | m×n×k | js | wasm (with copies) | wasm kernel (resident) | copies, µs | copies / kernel |");
lines.push("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  lines.push(`| ${r.label} | ${r.layout} | ${r.m}×${r.n}×${r.k} | ${f1(r.js)} | ${f1(r.wasm)} | ${f1(r.wasmKernel)} | ${(r.ms.copies * 1e3).toFixed(0)} | ${(r.copyShare * 100).toFixed(1)}% |`);
}

// All-reduce sum: W gradient copies of the MLP's 235,146 parameters.
const NP = 235146;
const other = [];
for (const W of [2, 4]) {
  const stride = Math.ceil(NP / 16) * 16;
  const memory = new globalThis.WebAssembly.Memory({ initial: Math.ceil(((W + 1) * stride * 4) / 65536) + 1, maximum: 1024, shared: true });
  const k = new WasmKernels({ memory });
  const f32 = new Float32Array(memory.buffer);
  fill(f32.subarray(0, W * stride), 5);
  const tW = median(() => k.sumPtr(W * stride * 4, 0, stride * 4, W, NP), { reps: 200, warm: 20 });
  const slots = Array.from({ length: W }, (_, r) => f32.subarray(r * stride, r * stride + NP));
  const dst = new Float32Array(NP);
  const tJ = median(() => {
    for (let i = 0; i < NP; i++) {
      let acc = 0;
      for (let r = 0; r < W; r++) acc += slots[r][i];
      dst[i] = acc;
    }
  }, { reps: 30, warm: 5 });
  const src = new Float32Array(NP * W), to = new Float32Array(NP * W);
  const tSet = median(() => to.set(src), { reps: 200, warm: 20 });
  const bytes = (W + 1) * NP * 4;
  other.push({ kernel: `sum W=${W}`, n: NP, jsMs: tJ, wasmMs: tW, wasmGBs: bytes / tW / 1e6, setSameBytesMs: tSet });
}
// Adam step over the same 235,146 parameters, state resident.
{
  const memory = new globalThis.WebAssembly.Memory({ initial: 80 });
  const k = new WasmKernels({ memory });
  const f32 = new Float32Array(memory.buffer);
  const n = NP, P = 64, G = P + n * 4 + 64, M1 = G + n * 4 + 64, M2 = M1 + n * 4 + 64;
  fill(f32.subarray(P / 4, P / 4 + n), 6); fill(f32.subarray(G / 4, G / 4 + n), 7);
  const h = { decay: 1, l2: 0, sign: 1, beta1: 0.9, beta2: 0.999, stepSize: 1e-3 / (1 - 0.9 ** 10), bias2Sqrt: Math.sqrt(1 - 0.999 ** 10), eps: 1e-8 };
  const tF = median(() => k.adamPtr(n, P, G, M1, M2, 0, h, false), { reps: 100, warm: 10 });
  const tE = median(() => k.adamPtr(n, P, G, M1, M2, 0, h, true), { reps: 100, warm: 10 });
  const p = f32.slice(P / 4, P / 4 + n), g = f32.slice(G / 4, G / 4 + n), m1 = new Float32Array(n), m2 = new Float32Array(n);
  // The loop of packages/optim/src/adam-base.ts (Adam, no weight decay).
  const tJ = median(() => {
    const { beta1, beta2, eps, stepSize, bias2Sqrt } = h;
    for (let i = 0; i < n; i++) {
      const pi = p[i] * 1;
      const d = g[i];
      const m = beta1 * m1[i] + (1 - beta1) * d;
      const v = beta2 * m2[i] + (1 - beta2) * d * d;
      m1[i] = m; m2[i] = v;
      p[i] = pi - stepSize * (m / (Math.sqrt(v) / bias2Sqrt + eps));
    }
  }, { reps: 30, warm: 5 });
  other.push({ kernel: "adam (float32 lanes)", n, jsMs: tJ, wasmMs: tF });
  other.push({ kernel: "adamExact (float64 lanes)", n, jsMs: tJ, wasmMs: tE });
}
lines.push("");
lines.push("| kernel | elements | js, µs | wasm, µs | speed-up | notes |");
lines.push("| --- | ---: | ---: | ---: | ---: | --- |");
for (const o of other) {
  const note = o.wasmGBs ? `${o.wasmGBs.toFixed(1)} GB/s of traffic; Float32Array.set of the same ${(o.n * 4 * Number(o.kernel.slice(-1)) / 1e6).toFixed(2)} MB: ${(o.setSameBytesMs * 1e3).toFixed(0)} µs` : "state resident in wasm memory";
  lines.push(`| ${o.kernel} | ${o.n} | ${(o.jsMs * 1e3).toFixed(0)} | ${(o.wasmMs * 1e3).toFixed(0)} | ${(o.jsMs / o.wasmMs).toFixed(1)}× | ${note} |`);
}
console.log(lines.join("\n"));
if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ node: process.version, cpu: cpus()[0]?.model, clock: cpuTime ? "cpu" : "wall", gemm: rows, other }, null, 2));
