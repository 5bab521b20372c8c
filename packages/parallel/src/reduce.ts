import { jsKernels } from "@weft/tensor";

/**
 * The js backend's all-reduce of one range: dst[i] = Σ_r slots[r][i] in rank order, accumulated
 * in double and rounded to float32 once — the bits of the wasm `sum` kernel. @weft/tensor's
 * `jsKernels.sumRanks` (the engine's workers call it through `kernels().sumRanks`).
 */
export function sumSlots(dst: Float32Array, slots: readonly Float32Array[], lo: number, hi: number): void {
  jsKernels.sumRanks(dst, slots, lo, hi);
}
