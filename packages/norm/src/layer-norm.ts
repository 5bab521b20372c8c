/**
 * LayerNorm lives in @weft/layers (the Transformer layers there are built from it, and @weft/norm
 * depends on @weft/layers, not the reverse); @weft/norm re-exports it, so both imports work.
 */
export { LayerNorm } from "@weft/layers";
export type { LayerNormOptions } from "@weft/layers";
