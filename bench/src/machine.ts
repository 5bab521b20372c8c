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
  /**
   * @weft/tensor's kernel backend in this run (WEFT_BACKEND, or wasm where WebAssembly SIMD runs);
   * for a run over several backends, their names joined by "+" (each record names its own).
   */
  weftBackend: string;
}

/** `backends`: the backends a run measures in turn, where it measures more than the current one. */
export function describeMachine(backends?: readonly string[]): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAvg1: Number(loadavg()[0].toFixed(2)),
    date: new Date().toISOString(),
    weftBackend: backends?.length ? backends.join("+") : backend(),
  };
}

/** One markdown line naming the machine. */
export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores (os.availableParallelism), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; load average ${m.loadAvg1} at start; ${m.date}; ${m.weftBackend?.includes("+") ? `weft kernel backends ${m.weftBackend.split("+").join(" and ")} (see the backend column)` : `weft kernel backend ${m.weftBackend ?? "js (before the wasm backend)"}`}`;
}
