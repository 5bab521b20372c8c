// Forward + backward of the fused scaledDotProductAttention against the same attention computed
// per head from the 2-D ops (matmul, transpose, mul, softmax; add of a −∞ mask when causal), at
// B·H = 8 (B = 2, H = 4), T = S = 32 … 256, D = Dv = 16 … 64, float32. The baseline gets its
// heads as ready-made [T, D] leaves (views, no slicing cost) and backpropagates each head's
// output gradient; the fused op takes [2, 4, T, D] and backpropagates one [2, 4, T, D] gradient.
// Both allocate from the heap (no arena) and zero their gradients in place after each call.
// The two are timed alternately, call after call, so that load from other processes hits both;
// medians. A stand-in until the tinybench suite (bench/) measures it.
//
// Usage (after `pnpm build`, from packages/tensor):
//   node scripts/bench-attention.mjs [--backend js|wasm] [--cpu-time] [--quick] [--json FILE]
// --cpu-time: time by this process's CPU time (process.cpuUsage) instead of the wall clock —
//   steadier on a shared 2-vCPU machine. --quick: T = 32 and 128, D = 16 and 64 only.

import { writeFileSync } from "node:fs";
import { Rng, Tensor, add, matmul, mul, setBackend, softmax, transpose } from "../dist/index.js";
import { scaledDotProductAttention } from "../dist/ops/attention.js";

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : null; };
const backendName = arg("--backend") ?? "wasm";
const jsonFile = arg("--json");
const quick = process.argv.includes("--quick");
const cpuTime = process.argv.includes("--cpu-time");
const now = cpuTime ? () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; } : () => performance.now();
setBackend(backendName);

const rng = new Rng(7);
const B = 2, H = 4, BH = B * H;
const Ts = quick ? [32, 128] : [32, 64, 128, 256];
const Ds = quick ? [16, 64] : [16, 32, 64];
const randn = (n) => { const a = new Float32Array(n); rng.fillNormal(a, 0, 1); return a; };
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };

const rows = [];
for (const causal of [false, true]) {
  for (const T of Ts) {
    for (const D of Ds) {
      const S = T, Dv = D;
      const qd = randn(BH * T * D), kd = randn(BH * S * D), vd = randn(BH * S * Dv), gd = randn(BH * T * Dv);
      const q = new Tensor(qd, [B, H, T, D], true), k = new Tensor(kd, [B, H, S, D], true), v = new Tensor(vd, [B, H, S, Dv], true);
      const g = new Tensor(gd, [B, H, T, Dv]);
      const head = (data, h, r, c, grad = true) => new Tensor(data.subarray(h * r * c, (h + 1) * r * c), [r, c], grad);
      const qh = [], kh = [], vh = [], gh = [];
      for (let h = 0; h < BH; h++) { qh.push(head(qd, h, T, D)); kh.push(head(kd, h, S, D)); vh.push(head(vd, h, S, Dv)); gh.push(head(gd, h, T, Dv, false)); }
      const minusInf = new Float32Array(T * S);
      for (let i = 0; i < T; i++) minusInf.fill(-Infinity, i * S + i + 1, (i + 1) * S);
      const causalMask = new Tensor(minusInf, [T, S]);
      const scale = 1 / Math.sqrt(D);
      const variants = {
        ops: () => {
          for (let h = 0; h < BH; h++) {
            let s = mul(matmul(qh[h], transpose(kh[h])), scale);
            if (causal) s = add(s, causalMask);
            matmul(softmax(s, 1), vh[h]).backward(gh[h]);
          }
          for (let h = 0; h < BH; h++) { qh[h].zeroGrad(); kh[h].zeroGrad(); vh[h].zeroGrad(); }
        },
        fused: () => {
          scaledDotProductAttention(q, k, v, { isCausal: causal }).backward(g);
          q.zeroGrad(); k.zeroGrad(); v.zeroGrad();
        },
      };
      const times = { ops: [], fused: [] };
      for (const name in variants) for (let i = 0; i < 3; i++) variants[name]();
      const start = performance.now();
      while (times.fused.length < 15 || (performance.now() - start < (quick ? 500 : 2000) && times.fused.length < 400)) {
        for (const name in variants) { const t0 = now(); variants[name](); times[name].push(now() - t0); }
      }
      const ops = median(times.ops), fused = median(times.fused);
      const row = { causal, T, D, reps: times.fused.length, opsMs: +ops.toFixed(3), fusedMs: +fused.toFixed(3), speedup: +(ops / fused).toFixed(2) };
      rows.push(row);
      console.log(`${causal ? "causal " : "full   "} T=${String(T).padStart(3)} D=${String(D).padStart(2)}  ops ${ops.toFixed(3).padStart(8)} ms  fused ${fused.toFixed(3).padStart(8)} ms  ×${row.speedup.toFixed(2)}  (${row.reps} reps)`);
    }
  }
}
if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ backend: backendName, cpuTime, BH, rows }, null, 2) + "\n");
