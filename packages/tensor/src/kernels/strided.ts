/**
 * Array-level copies between contiguous row-major layouts: a permutation of the axes, and a box
 * (a region of one array to a region of another). Every shape op (transpose, permute, narrow,
 * slice, cat, stack, pad) and its backward is one of these two; `accumulate` adds instead of
 * writing (the backward rules' `+=`). Works on any typed array (float or int32).
 */

type AnyArray = Float32Array | Float64Array | Int32Array;

/** Rows at least this long are copied with `TypedArray.set` (a memcpy) rather than a loop. */
const SET_MIN = 32;

/**
 * dst = src with axes permuted: `dst` has shape `shape[perm[0]], shape[perm[1]], …` and
 * `dst[i0, i1, …] = src[…]` with `i_k` indexing src axis `perm[k]`. With `accumulate`, adds.
 *
 * @example permute(src, [B, T, H, D], [0, 2, 1, 3], dst) // [B, T, H, D] → [B, H, T, D]
 */
export function permuteInto(src: AnyArray, shape: readonly number[], perm: readonly number[], dst: AnyArray, accumulate = false): void {
  const n = shape.length;
  const srcStrides = new Array<number>(n);
  let s = 1;
  for (let d = n - 1; d >= 0; d--) {
    srcStrides[d] = s;
    s *= shape[d];
  }
  // Output dims with their strides in src, adjacent dims merged where they stay adjacent in src.
  const dims: number[] = [];
  const strides: number[] = [];
  for (let k = 0; k < n; k++) {
    const size = shape[perm[k]];
    const stride = srcStrides[perm[k]];
    if (size === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === stride * size) {
      dims[last] *= size;
      strides[last] = stride;
    } else {
      dims.push(size);
      strides.push(stride);
    }
  }
  const total = s;
  if (total === 0) return;
  if (dims.length === 0) {
    if (accumulate) dst[0] += src[0];
    else dst[0] = src[0];
    return;
  }
  const m = dims.length;
  const inner = dims[m - 1];
  const innerStride = strides[m - 1];
  if (m === 2 && innerStride !== 1 && strides[0] === 1) {
    transposeBlocked(src, dims[0], inner, innerStride, dst, accumulate);
    return;
  }
  const counter = new Array<number>(m).fill(0);
  let srcOff = 0;
  for (let out = 0; out < total; out += inner) {
    if (innerStride === 1) {
      if (!accumulate && inner >= SET_MIN) dst.set(src.subarray(srcOff, srcOff + inner), out);
      else if (accumulate) for (let j = 0; j < inner; j++) dst[out + j] += src[srcOff + j];
      else for (let j = 0; j < inner; j++) dst[out + j] = src[srcOff + j];
    } else if (accumulate) {
      for (let j = 0, p = srcOff; j < inner; j++, p += innerStride) dst[out + j] += src[p];
    } else {
      for (let j = 0, p = srcOff; j < inner; j++, p += innerStride) dst[out + j] = src[p];
    }
    for (let d = m - 2; d >= 0; d--) {
      srcOff += strides[d];
      if (++counter[d] < dims[d]) break;
      srcOff -= strides[d] * dims[d];
      counter[d] = 0;
    }
  }
}

/** dst[i, j] (= i·cols + j) from src[j·ld + i] for a [cols, rows] source in blocks that stay in cache. */
function transposeBlocked(src: AnyArray, rows: number, cols: number, ld: number, dst: AnyArray, accumulate: boolean): void {
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(i0 + B, rows);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(j0 + B, cols);
      for (let i = i0; i < i1; i++) {
        const o = i * cols;
        if (accumulate) for (let j = j0; j < j1; j++) dst[o + j] += src[j * ld + i];
        else for (let j = j0; j < j1; j++) dst[o + j] = src[j * ld + i];
      }
    }
  }
}

/**
 * Copies the box `region` (a shape) at `srcStart` in src (of shape `srcShape`) to `dstStart` in
 * dst (of shape `dstShape`); with `accumulate`, adds. `srcStep` / `dstStep` (optional, per axis,
 * ≥ 1) move that many elements along the axis per box element (a slice with a step, and its
 * backward).
 */
export function copyBox(
  src: AnyArray, srcShape: readonly number[], srcStart: readonly number[],
  dst: AnyArray, dstShape: readonly number[], dstStart: readonly number[],
  region: readonly number[], accumulate = false, srcStep?: readonly number[], dstStep?: readonly number[],
): void {
  const n = region.length;
  let total = 1;
  for (let d = 0; d < n; d++) total *= region[d];
  if (total === 0) return;
  const ss = new Array<number>(n), ds = new Array<number>(n);
  let srcOff = 0, dstOff = 0;
  let a = 1, b = 1;
  for (let d = n - 1; d >= 0; d--) {
    srcOff += srcStart[d] * a;
    dstOff += dstStart[d] * b;
    ss[d] = a * (srcStep ? srcStep[d] : 1);
    ds[d] = b * (dstStep ? dstStep[d] : 1);
    a *= srcShape[d];
    b *= dstShape[d];
  }
  // Merge trailing axes that are whole and unstepped on both sides into one contiguous row.
  let m = n > 0 ? n - 1 : 0;
  let inner = n > 0 ? region[n - 1] : 1;
  const innerSrc = n > 0 ? ss[n - 1] : 1;
  const innerDst = n > 0 ? ds[n - 1] : 1;
  if (innerSrc === 1 && innerDst === 1) {
    while (m > 0 && region[m] === srcShape[m] && region[m] === dstShape[m] && ss[m - 1] === inner && ds[m - 1] === inner) {
      m--;
      inner *= region[m];
    }
  }
  const counter = new Array<number>(m).fill(0);
  const contiguous = innerSrc === 1 && innerDst === 1;
  for (let done = 0; done < total; done += inner) {
    if (contiguous) {
      if (!accumulate && inner >= SET_MIN) dst.set(src.subarray(srcOff, srcOff + inner), dstOff);
      else if (accumulate) for (let j = 0; j < inner; j++) dst[dstOff + j] += src[srcOff + j];
      else for (let j = 0; j < inner; j++) dst[dstOff + j] = src[srcOff + j];
    } else if (accumulate) {
      for (let j = 0, p = srcOff, q = dstOff; j < inner; j++, p += innerSrc, q += innerDst) dst[q] += src[p];
    } else {
      for (let j = 0, p = srcOff, q = dstOff; j < inner; j++, p += innerSrc, q += innerDst) dst[q] = src[p];
    }
    for (let d = m - 1; d >= 0; d--) {
      srcOff += ss[d];
      dstOff += ds[d];
      if (++counter[d] < region[d]) break;
      srcOff -= ss[d] * region[d];
      dstOff -= ds[d] * region[d];
      counter[d] = 0;
    }
  }
}
