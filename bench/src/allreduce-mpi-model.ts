/**
 * `node bench/dist/allreduce-mpi-model.js` — the cost model of bench/README.md ("Across hosts: a
 * cost model"): predicted samples/s of synchronous data-parallel training on H hosts, each step
 * = this host's compute on its rows + a ring all-reduce of the gradient across hosts (weft does
 * not overlap the two: the all-reduce starts after backward):
 *
 *   t_step(H, k) = k · t_compute + 2(H − 1) · α + 2(H − 1)/H · 4P / β
 *   samples/s    = H · k · rows / t_step          (k micro-batches of gradient accumulation)
 *
 * P parameters (float32 gradient), β the link's bytes/s, α the per-message latency. Which inputs
 * are measured and which assumed is said in WORKLOADS and below; prints markdown tables.
 */

export interface Workload {
  name: string;
  parameters: number;
  /** Rows (samples or sequences) per host per micro-batch. */
  rows: number;
  /** ms of one host's compute for `rows` rows (forward, backward, optimiser; intra-host reduce included). */
  computeMs: number;
  /** How computeMs was obtained. */
  source: string;
}

/** Per-message latency of MPI over TCP on an Ethernet link (assumed: typical 10–100 GbE MPI small-message latency is 10–50 µs). */
export const ALPHA_MS = 0.025;
/** Gradient-accumulation micro-batches shown. */
const ACCUMULATION = [1, 4];

// The 2-vCPU dev machine (wasm kernels) as "a host". FLOP rate for the predicted workloads: its
// measured gemm, 22.5 GFLOP/s a core (DESIGN.md) × 2 cores.
const HOST_GFLOPS = 45;

export const WORKLOADS: Workload[] = [
  // Measured: bench:scaling 2026-11-25 (bench/README.md), W = 2, batch 256: 81,700 samples/s.
  { name: "MLP 784-256-128-10 (standard)", parameters: 235_146, rows: 256, computeMs: (256 / 81_700) * 1000, source: "measured (bench:scaling, W = 2, batch 256: 81,700 samples/s)" },
  // Predicted: PyTorch's MNIST example CNN (conv 1→32 3×3, conv 32→64 3×3, max-pool 2, FC 9216→128, FC 128→10):
  // 24 MFLOP forward a sample, ×3 for training = 72 MFLOP.
  { name: "CNN (PyTorch MNIST example)", parameters: 1_199_882, rows: 64, computeMs: (64 * 72e6) / (HOST_GFLOPS * 1e9) * 1000, source: "predicted: 72 MFLOP/sample at 45 GFLOP/s" },
  // Predicted: char-level Transformer LM, 2 layers, d 128, 4 heads, FF 512, context 64, vocab 65:
  // ≈ 6·P FLOP a token + attention ≈ 2.53 MFLOP a token, 162 MFLOP a sequence.
  { name: "char-LM (Transformer 2×128, context 64)", parameters: 421_697, rows: 32, computeMs: (32 * 162e6) / (HOST_GFLOPS * 1e9) * 1000, source: "predicted: 162 MFLOP/sequence at 45 GFLOP/s" },
];

export const HOSTS = [2, 4, 16, 64];
export const LINKS_GBIT = [10, 25, 100];

/** ms of one ring all-reduce of `parameters` float32 across `hosts` hosts on a `gbit` Gb/s link. */
export function allReduceMs(parameters: number, hosts: number, gbit: number): number {
  if (hosts === 1) return 0;
  const bytesPerMs = (gbit * 1e9) / 8 / 1000;
  return 2 * (hosts - 1) * ALPHA_MS + ((2 * (hosts - 1)) / hosts) * ((4 * parameters) / bytesPerMs);
}

/** Predicted samples/s for `hosts` hosts with `k` micro-batches a step. */
export function samplesPerSecond(w: Workload, hosts: number, gbit: number, k = 1): number {
  return (hosts * k * w.rows) / ((k * w.computeMs + allReduceMs(w.parameters, hosts, gbit)) / 1000);
}

/** The link speed (Gb/s) below which the all-reduce takes longer than the compute (efficiency < 50%). */
export function crossoverGbit(w: Workload, hosts: number, k = 1): number {
  const budget = k * w.computeMs - 2 * (hosts - 1) * ALPHA_MS;
  if (budget <= 0) return Infinity;
  return (((2 * (hosts - 1)) / hosts) * 4 * w.parameters * 8) / (budget / 1000) / 1e9;
}

function render(): string {
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  const out: string[] = [];
  for (const w of WORKLOADS) {
    const one = (1000 * w.rows) / w.computeMs;
    out.push(`**${w.name}** — ${w.parameters.toLocaleString("en-US")} parameters (${((4 * w.parameters) / 1e6).toFixed(2)} MB of gradient), ${w.rows} rows a host a step, compute ${w.computeMs.toFixed(2)} ms (${w.source}); one host ${fmt(one)} samples/s.\n`);
    out.push(`| hosts | k | ${LINKS_GBIT.map((g) => `${g} Gb/s`).join(" | ")} | efficiency at 10 / 100 Gb/s | 50% crossover link |`);
    out.push(`| ---: | ---: | ${LINKS_GBIT.map(() => "---:").join(" | ")} | ---: | ---: |`);
    for (const h of HOSTS) {
      for (const k of ACCUMULATION) {
        const cells = LINKS_GBIT.map((g) => fmt(samplesPerSecond(w, h, g, k)));
        const eff = [10, 100].map((g) => `${((100 * samplesPerSecond(w, h, g, k)) / (h * one)).toFixed(0)}%`).join(" / ");
        const c = crossoverGbit(w, h, k);
        out.push(`| ${h} | ${k} | ${cells.join(" | ")} | ${eff} | ${Number.isFinite(c) ? `${c.toFixed(1)} Gb/s` : "latency-bound"} |`);
      }
    }
    out.push("");
  }
  return out.join("\n");
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) process.stdout.write(render());
