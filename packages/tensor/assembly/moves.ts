// Short float moves shared by the kernels: im2col/col2im (conv.ts), Winograd's padded planes,
// max pooling's assigned gradients and attention's head layout (elementwise.ts).

/**
 * n floats from src to dst (non-overlapping), four at a time. A row of a CNN's im2col is short
 * (14 or 28 floats in the standard CNN, ≈ 4,000 rows a sample): inline vector moves beat
 * memory.copy, which V8 runs as a call out of the wasm code (on shared memory especially).
 */
// @ts-ignore: decorator
@inline export function copy(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
}

/** n zero floats at dst (see {@link copy}). */
// @ts-ignore: decorator
@inline export function zeros(dst: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), v128.splat<i32>(0));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), 0);
}

/** dst[0, n) += src[0, n), four at a time (see {@link copy}). */
// @ts-ignore: decorator
@inline export function accumulate(dst: usize, src: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), f32x4.add(v128.load(dst + (<usize>j << 2)), v128.load(src + (<usize>j << 2))));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), load<f32>(dst + (<usize>j << 2)) + load<f32>(src + (<usize>j << 2)));
}
