// Benchmarks the per-row wasm kernels (softmax / log-softmax, LayerNorm, cross-entropy with
// probability targets) against the TypeScript loops, forward + backward per call:
//   js      — the TypeScript kernel (softmax: kernels/activation.ts; LayerNorm and
//             cross-entropy: copies of @weft/norm's / @weft/layers' loops, below);
//   staged  — WasmKernels' array-level methods on ordinary arrays (copies in and out included);
//   inplace — the same methods on views of the kernels' own memory (`holds`: zero copies), as
//             once activations live in wasm memory.
// One thread, medians of timed calls after warm-up.
//
// Usage (after `pnpm build`, from packages/tensor): node scripts/bench-rows.mjs [--quick] [--cpu-time]

import { softmaxBackward, softmaxForward } from "../dist/kernels/activation.js";
import { WasmKernels } from "../dist/kernels/wasm/index.js";

const quick = process.argv.includes("--quick");
const cpuTime = process.argv.includes("--cpu-time");
const now = cpuTime ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();

/**
 * Median milliseconds per call of `fn` (after warm-up), at most `budgetMs` of timed samples; a
 * sample runs `fn` enough times in a row to last ≥ 2 ms, so that short calls are timed above
 * the clock's resolution.
 */
function median(fn, { reps = quick ? 9 : 41, warm = 5, budgetMs = quick ? 800 : 3000 } = {}) {
  for (let i = 0; i < warm; i++) fn();
  const t = performance.now();
  fn();
  const inner = Math.max(1, Math.ceil(2 / Math.max(performance.now() - t, 1e-3)));
  const times = [];
  const start = performance.now();
  while (times.length < reps && (times.length < 5 || performance.now() - start < budgetMs)) {
    const t0 = now();
    for (let i = 0; i < inner; i++) fn();
    times.push((now() - t0) / inner);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

function fill(arr, seed, scale = 1, offset = 0) {
  let s = seed >>> 0;
  for (let i = 0; i < arr.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    arr[i] = offset + (s / 2 ** 31 - 1) * scale;
  }
  return arr;
}

// ---- the JS loops of @weft/norm's LayerNorm and @weft/layers' crossEntropyRows (probs) ----

function lnForward(xd, D, eps, w, beta, out, mean, invstd) {
  const rows = xd.length / D;
  const gamma = w ? Float64Array.from(w) : null;
  for (let r = 0, o = 0; r < rows; r++, o += D) {
    let s = 0;
    for (let j = 0; j < D; j++) s += xd[o + j];
    const m = s / D;
    let ss = 0;
    for (let j = 0; j < D; j++) { const dv = xd[o + j] - m; ss += dv * dv; }
    const is = 1 / Math.sqrt(ss / D + eps);
    mean[r] = m;
    invstd[r] = is;
    for (let j = 0; j < D; j++) out[o + j] = (xd[o + j] - m) * is * (gamma ? gamma[j] : 1) + (beta ? beta[j] : 0);
  }
}
function lnBackward(xd, g, D, mean, invstd, w, gx, gw, gb) {
  const rows = xd.length / D;
  const gamma = w ? Float64Array.from(w) : null;
  for (let r = 0, o = 0; r < rows; r++, o += D) {
    const m = mean[r], is = invstd[r];
    let sdy = 0, sdyx = 0;
    for (let j = 0; j < D; j++) {
      const xh = (xd[o + j] - m) * is;
      const gy = g[o + j];
      if (gw) gw[j] += gy * xh;
      if (gb) gb[j] += gy;
      const dyh = gy * (gamma ? gamma[j] : 1);
      sdy += dyh;
      sdyx += dyh * xh;
    }
    if (!gx) continue;
    const meanDy = sdy / D, meanDyXhat = sdyx / D;
    for (let j = 0; j < D; j++) {
      const xh = (xd[o + j] - m) * is;
      gx[o + j] += is * (g[o + j] * (gamma ? gamma[j] : 1) - meanDy - xh * meanDyXhat);
    }
  }
}
function ceProbs(x, rows, classes, probs, eps, l, d) {
  for (let r = 0; r < rows; r++) {
    const o = r * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, x[o + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(x[o + c] - max);
    const lse = max + Math.log(sum);
    let loss = 0, qSum = 0;
    for (let c = 0; c < classes; c++) {
      const q = (1 - eps) * probs[o + c] + eps / classes;
      if (q !== 0) loss -= q * (x[o + c] - lse);
      d[o + c] = -q;
      qSum += q;
    }
    for (let c = 0; c < classes; c++) d[o + c] += Math.exp(x[o + c] - lse) * qSum;
    l[r] = loss;
  }
}

// ---- operands: ordinary arrays, or views of the in-place instance's memory ----

const OPERAND_BYTES = 40 << 20, SCRATCH_BYTES = 4 << 20;
const memory = new WebAssembly.Memory({ initial: (OPERAND_BYTES + SCRATCH_BYTES) / 65536 });
const inplace = new WasmKernels({ memory, scratchOffset: OPERAND_BYTES, scratchBytes: SCRATCH_BYTES });
const staged = new WasmKernels();
let at = 64;
/** A Float32Array/Float64Array of n in `memory` (in place) or ordinary. */
function alloc(Type, n, inMem) {
  if (!inMem) return new Type(n);
  at = Math.ceil(at / 64) * 64;
  const a = new Type(memory.buffer, at, n);
  at += n * Type.BYTES_PER_ELEMENT;
  if (at > OPERAND_BYTES) throw new Error("bench-rows: operand region too small");
  return a;
}

const rowsOut = [];
function report(name, shape, js, st, ip) {
  rowsOut.push({ name, shape, js, st, ip });
  const f = (v) => (v >= 1 ? `${v.toFixed(2)} ms` : `${(v * 1000).toFixed(0)} µs`);
  console.log(`${name.padEnd(22)} ${shape.padEnd(12)} js ${f(js).padStart(9)}   wasm staged ${f(st).padStart(9)} (${(js / st).toFixed(2)}×)   wasm in place ${f(ip).padStart(9)} (${(js / ip).toFixed(2)}×)`);
}

function softmaxCase(rows, cols, log) {
  const n = rows * cols;
  const mk = (inMem) => {
    at = 64;
    const o = { x: alloc(Float32Array, n, inMem), y: alloc(Float32Array, n, inMem), g: alloc(Float32Array, n, inMem), s: alloc(Float32Array, n, inMem) };
    fill(o.x, 1, 5); fill(o.g, 2);
    return o;
  };
  const a = mk(false), b = mk(false), c = mk(true);
  const js = median(() => { softmaxForward(a.x, a.y, rows, cols, 1, log); softmaxBackward(a.y, a.g, a.s, rows, cols, 1, log); });
  const st = median(() => { staged.softmaxForward(b.x, b.y, rows, cols, log); staged.softmaxBackward(b.y, b.g, b.s, rows, cols, log); });
  const ip = median(() => { inplace.softmaxForward(c.x, c.y, rows, cols, log); inplace.softmaxBackward(c.y, c.g, c.s, rows, cols, log); });
  report(`${log ? "logSoftmax" : "softmax"} fwd+bwd`, `[${rows}, ${cols}]`, js, st, ip);
}

function layerNormCase(rows, D) {
  const n = rows * D;
  const mk = (inMem) => {
    at = 64;
    const o = {
      x: alloc(Float32Array, n, inMem), y: alloc(Float32Array, n, inMem), g: alloc(Float32Array, n, inMem), gx: alloc(Float32Array, n, inMem),
      w: alloc(Float32Array, D, inMem), b: alloc(Float32Array, D, inMem), gw: alloc(Float32Array, D, inMem), gb: alloc(Float32Array, D, inMem),
      m: alloc(Float64Array, rows, inMem), i: alloc(Float64Array, rows, inMem),
    };
    fill(o.x, 1, 2, 0.5); fill(o.g, 2); fill(o.w, 3, 0.2, 1); fill(o.b, 4, 0.2);
    return o;
  };
  const a = mk(false), b = mk(false), c = mk(true);
  const js = median(() => { lnForward(a.x, D, 1e-5, a.w, a.b, a.y, a.m, a.i); lnBackward(a.x, a.g, D, a.m, a.i, a.w, a.gx, a.gw, a.gb); });
  const run = (k, o) => () => { k.layerNormForward(o.x, rows, D, 1e-5, o.w, o.b, o.y, o.m, o.i); k.layerNormBackward(o.x, o.g, rows, D, o.m, o.i, o.w, o.gx, o.gw, o.gb); };
  report("LayerNorm fwd+bwd", `[${rows}, ${D}]`, js, median(run(staged, b)), median(run(inplace, c)));
}

function crossEntropyCase(rows, classes) {
  const n = rows * classes;
  const mk = (inMem) => {
    at = 64;
    const o = { x: alloc(Float32Array, n, inMem), p: alloc(Float32Array, n, inMem), l: alloc(Float64Array, rows, inMem), d: alloc(Float64Array, n, inMem) };
    fill(o.x, 1, 5);
    fill(o.p, 2, 0.5, 0.5);
    return o;
  };
  const a = mk(false), b = mk(false), c = mk(true);
  const js = median(() => ceProbs(a.x, rows, classes, a.p, 0.1, a.l, a.d));
  const run = (k, o) => () => k.crossEntropyProbs(o.x, rows, classes, o.p, 0.1, o.l, o.d);
  report("crossEntropy (probs)", `[${rows}, ${classes}]`, js, median(run(staged, b)), median(run(inplace, c)));
}

console.log(`node ${process.version}, ${cpuTime ? "CPU" : "wall"} time, medians${quick ? " (quick)" : ""}`);
for (const log of [false, true]) {
  softmaxCase(128, 10, log);
  softmaxCase(1024, 1000, log);
}
layerNormCase(128, 256);
layerNormCase(1024, 768);
crossEntropyCase(128, 10);
crossEntropyCase(1024, 1000);
