/**
 * The js backend's all-reduce of one range: dst[i] = Σ_r slots[r][i] in rank order, accumulated
 * in double and rounded to float32 once — the bits of the wasm `sum` kernel. W = 2 without the
 * inner loop (the same arithmetic, 2.2× faster).
 */
export function sumSlots(dst: Float32Array, slots: readonly Float32Array[], lo: number, hi: number): void {
  if (slots.length === 2) {
    const a = slots[0], b = slots[1];
    for (let i = lo; i < hi; i++) dst[i] = (0 + a[i]) + b[i];
    return;
  }
  const w = slots.length;
  for (let i = lo; i < hi; i++) {
    let acc = 0;
    for (let r = 0; r < w; r++) acc += slots[r][i];
    dst[i] = acc;
  }
}
