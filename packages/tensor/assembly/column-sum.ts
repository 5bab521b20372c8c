// Column sums of a row-major [rows, cols] float32 block, accumulated into dst: the bias
// gradient of a linear layer (db += Σ_rows dY).

/**
 * dst[j] += Σ_r a[r·cols + j], added one row at a time in row order in float32 — the same
 * arithmetic as the JS loop `for (r…) for (j…) dst[j] += a[r·cols + j]` on a Float32Array (a
 * double add rounded to float32 is the correctly rounded float32 add, Figueroa 1995), so both
 * backends give the same bits. Sixteen columns at a time stay in four registers while the rows
 * stream by: one pass over `a`, whole cache lines.
 */
export function columnSum(a: usize, rows: i32, cols: i32, dst: usize): void {
  const rowBytes = <usize>cols << 2;
  let j = 0;
  for (; j + 16 <= cols; j += 16) {
    const d = dst + (<usize>j << 2);
    let s0 = v128.load(d), s1 = v128.load(d, 16), s2 = v128.load(d, 32), s3 = v128.load(d, 48);
    let p = a + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += rowBytes;
    }
    v128.store(d, s0);
    v128.store(d, s1, 16);
    v128.store(d, s2, 32);
    v128.store(d, s3, 48);
  }
  for (; j + 4 <= cols; j += 4) {
    const d = dst + (<usize>j << 2);
    let s = v128.load(d);
    let p = a + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      s = f32x4.add(s, v128.load(p));
      p += rowBytes;
    }
    v128.store(d, s);
  }
  for (; j < cols; j++) {
    const d = dst + (<usize>j << 2);
    let s = load<f32>(d);
    let p = a + (<usize>j << 2);
    for (let r = 0; r < rows; r++) {
      s += load<f32>(p);
      p += rowBytes;
    }
    store<f32>(d, s);
  }
}
