// Blocking constants shared by the gemm driver, the packing routines and the micro-kernel.
// Sizes in float32 elements unless a name ends in Bytes.

/**
 * Micro-tile: MR rows × NR columns of C held in MR·NR/4 = 8 v128 accumulators; why 4×8 (and
 * not 6×8) is measured and explained at microKernel in gemm-kernel.ts.
 */
export const MR: i32 = 4;
export const NR: i32 = 8;
/** Deepest k slice: an MR×KC sliver of packed A (4 KiB) and a KC×NR sliver of B (8 KiB) sit in L1. */
export const KC: i32 = 256;
/** Rows of op(A) packed at once (a multiple of MR): 128×256 floats = 128 KiB, kept in L2 while B slivers pass. */
export const MC: i32 = 128;
/** Columns of op(B) packed at once (a multiple of NR): 1024×256 floats = 1 MiB, in L2/L3, streamed one sliver at a time. */
export const NC: i32 = 1024;
