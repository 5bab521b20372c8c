/** What a result was measured on: every results file names its machine. */
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { backend } from "@weft/tensor";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started: other work on a shared machine shows here. */
  loadAvg1: number;
  date: string;
  /** @weft/tensor's kernel backend in this run (WEFT_BACKEND, or wasm where WebAssembly SIMD runs). */
  weftBackend: string;
}

export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAvg1: Number(loadavg()[0].toFixed(2)),
    date: new Date().toISOString(),
    weftBackend: backend(),
  };
}

/** One markdown line naming the machine. */
export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores (os.availableParallelism), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; load average ${m.loadAvg1} at start; ${m.date}; weft kernel backend ${m.weftBackend ?? "js (before the wasm backend)"}`;
}
