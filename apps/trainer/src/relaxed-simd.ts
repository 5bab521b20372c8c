/**
 * Relaxed SIMD for the trainer on Node 20. The wasm gemm's fused multiply-add
 * (`f32x4.relaxed_madd`) is on by default in V8 from 11.4 (Node 22 and later); Node 20 (V8 11.3)
 * has it behind `--experimental-wasm-relaxed-simd`. V8 reads its wasm feature flags when it
 * validates and compiles a module, so setting the flag before the first kernel is compiled turns
 * relaxed SIMD on for this process and every worker thread it starts (V8 flags are per process) —
 * the same as re-executing with the flag, without a second process. Measured on Node 20.20.2 on
 * the shared 2-vCPU machine, side by side, under load from other jobs: bench:train (W = 1, batch
 * 128, 784-256-128-10) 14,840 / 11,520 / 12,210 → 18,310 / 11,780 / 16,930 samples/s with the
 * flag (wall clock, noisy); the plain training step's CPU time 6.23 / 7.41 / 6.73 → 5.81 / 6.74 /
 * 6.39 ms (5–9% less in each of three rounds).
 *
 * Done only where the host does not already validate relaxed SIMD and `WEFT_RELAXED_SIMD` is not
 * "0"; whether the kernels then use it is @weft/tensor's `wasmRelaxedSimd()`, which validates the
 * relaxed kernel module itself (config.json's `kernels.relaxedSimd` records the outcome).
 */
import { setFlagsFromString } from "node:v8";

/** The smallest module that uses relaxed SIMD: one function returning f32x4.relaxed_madd of its three v128 parameters. */
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128, v128, v128) → v128
  0x03, 0x02, 0x01, 0x00, // function 0 of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // local.get 0..2, f32x4.relaxed_madd
]);

/** Whether this process validates relaxed-SIMD modules now. */
export function hostValidatesRelaxedSimd(): boolean {
  const wa = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  return wa !== undefined && wa.validate(PROBE);
}

/**
 * Turns on V8's relaxed SIMD for this process when it is off and can be turned on (Node 20), unless
 * `WEFT_RELAXED_SIMD=0`. Call before any kernel runs. Returns whether the host validates it after.
 */
export function enableRelaxedSimd(): boolean {
  if (process.env.WEFT_RELAXED_SIMD === "0") return false;
  if (hostValidatesRelaxedSimd()) return true;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  return hostValidatesRelaxedSimd();
}
