// Winograd F(2×2, 3×3) (Lavin & Gray 2016) for 3×3, stride-1, padding-1 convolutions over
// float32 at byte pointers: the weight, input and output transforms; the 16 products between
// them are ordinary gemms. The contract of src/kernels/js/winograd.ts, with its bits: every
// value is the same float32 operations in the same order (adds and subtracts, the weights'
// halves in float64 rounded once).
//
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//   Aᵀ = [1 1 1 0; 0 1 −1 −1]
//   V = Bᵀ·d·B (d: a 4×4 input tile at stride 2),  U = G·g·Gᵀ,  y = Aᵀ·(Σ_channels U ⊙ V)·A (2×2)
import { copy, zeros } from "./moves";

// @ts-ignore: decorator
@inline function ldf(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function stf(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }

/**
 * U[ξ][o][i] = (G·g[o][i]·Gᵀ)[ξ] for weight g [cOut, cIn, 3, 3] (u: 16·cOut·cIn floats); with
 * `flip`, the transform of dx's convolution — g′[i][o] = g[o][i] rotated by 180° — as U[ξ][i][o].
 * In float64, each value rounded once.
 */
export function winogradWeights(w: usize, cOut: i32, cIn: i32, flip: i32, u: usize): void {
  const plane = cOut * cIn;
  for (let o = 0; o < cOut; o++) {
    for (let i = 0; i < cIn; i++) {
      const g = w + (<usize>((o * cIn + i) * 9) << 2);
      const dst = flip != 0 ? i * cOut + o : o * cIn + i;
      // K(r, c) = g[r][c], or g[2 − r][2 − c] flipped; t = G·K (4×3), column by column.
      const a0 = kAt(g, 0, 0, flip), b0 = kAt(g, 1, 0, flip), d0 = kAt(g, 2, 0, flip);
      const a1 = kAt(g, 0, 1, flip), b1 = kAt(g, 1, 1, flip), d1 = kAt(g, 2, 1, flip);
      const a2 = kAt(g, 0, 2, flip), b2 = kAt(g, 1, 2, flip), d2 = kAt(g, 2, 2, flip);
      uRow(u, plane, dst, 0, a0, a1, a2);
      uRow(u, plane, dst, 1, (a0 + b0 + d0) * 0.5, (a1 + b1 + d1) * 0.5, (a2 + b2 + d2) * 0.5);
      uRow(u, plane, dst, 2, (a0 - b0 + d0) * 0.5, (a1 - b1 + d1) * 0.5, (a2 - b2 + d2) * 0.5);
      uRow(u, plane, dst, 3, d0, d1, d2);
    }
  }
}
// @ts-ignore: decorator
@inline function kAt(g: usize, r: i32, c: i32, flip: i32): f64 {
  return <f64>ldf(g, flip != 0 ? (2 - r) * 3 + 2 - c : r * 3 + c);
}
/** Row k of U from row k of G·K, (t0, t1, t2): (t0, (t0 + t1 + t2)/2, (t0 − t1 + t2)/2, t2). */
// @ts-ignore: decorator
@inline function uRow(u: usize, plane: i32, dst: i32, k: i32, t0: f64, t1: f64, t2: f64): void {
  stf(u, (k * 4 + 0) * plane + dst, <f32>t0);
  stf(u, (k * 4 + 1) * plane + dst, <f32>((t0 + t1 + t2) * 0.5));
  stf(u, (k * 4 + 2) * plane + dst, <f32>((t0 - t1 + t2) * 0.5));
  stf(u, (k * 4 + 3) * plane + dst, <f32>t2);
}

/**
 * V[ξ][ci][s·th·tw + ti·tw + tj] = (Bᵀ·d·B)[ξ] for samples s < n of x [n, c, h, w], d the 4×4
 * tile at rows 2ti − 1…2ti + 2, columns 2tj − 1…2tj + 2 (zero outside x), th = ⌈h/2⌉, tw = ⌈w/2⌉.
 * `pad`: scratch of (2th + 2)·(2tw + 2) floats (each plane is copied there with its zero border).
 */
export function winogradInput(x: usize, n: i32, c: i32, h: i32, w: i32, v: usize, pad: usize): void {
  const th = (h + 1) >> 1, tw = (w + 1) >> 1, pw = 2 * tw + 2, ph = 2 * th + 2;
  const tiles = th * tw, T = n * tiles, stride = <usize>(c * T) << 2; // between ξ planes
  zeros(pad, ph * pw);
  for (let s = 0; s < n; s++) {
    for (let ci = 0; ci < c; ci++) {
      const src = x + (<usize>((s * c + ci) * h * w) << 2);
      for (let r = 0; r < h; r++) copy(pad + (<usize>((r + 1) * pw + 1) << 2), src + (<usize>(r * w) << 2), w);
      let o = v + (<usize>(ci * T + s * tiles) << 2);
      for (let ti = 0; ti < th; ti++) {
        let tj = 0;
        // Four tiles at a time, a lane each: the columns of tile tj + m start at 2(tj + m).
        for (; tj + 4 <= tw; tj += 4, o += 16) inputFour(pad + (<usize>(2 * ti * pw + 2 * tj) << 2), <usize>pw << 2, o, stride);
        for (; tj < tw; tj++, o += 4) {
          const p = pad + (<usize>(2 * ti * pw + 2 * tj) << 2);
          const rb = <usize>pw << 2;
          // Bᵀ·d, column by column (d row k at p + k·rb).
          const a0 = ldf(p, 0) - ldf(p + 2 * rb, 0), a1 = ldf(p, 1) - ldf(p + 2 * rb, 1), a2 = ldf(p, 2) - ldf(p + 2 * rb, 2), a3 = ldf(p, 3) - ldf(p + 2 * rb, 3);
          const b0 = ldf(p + rb, 0) + ldf(p + 2 * rb, 0), b1 = ldf(p + rb, 1) + ldf(p + 2 * rb, 1), b2 = ldf(p + rb, 2) + ldf(p + 2 * rb, 2), b3 = ldf(p + rb, 3) + ldf(p + 2 * rb, 3);
          const c0 = ldf(p + 2 * rb, 0) - ldf(p + rb, 0), c1 = ldf(p + 2 * rb, 1) - ldf(p + rb, 1), c2 = ldf(p + 2 * rb, 2) - ldf(p + rb, 2), c3 = ldf(p + 2 * rb, 3) - ldf(p + rb, 3);
          const d0 = ldf(p + rb, 0) - ldf(p + 3 * rb, 0), d1 = ldf(p + rb, 1) - ldf(p + 3 * rb, 1), d2 = ldf(p + rb, 2) - ldf(p + 3 * rb, 2), d3 = ldf(p + rb, 3) - ldf(p + 3 * rb, 3);
          // ·B, row by row: (t0 − t2, t1 + t2, t2 − t1, t1 − t3).
          store<f32>(o, a0 - a2); store<f32>(o + stride, a1 + a2); store<f32>(o + 2 * stride, a2 - a1); store<f32>(o + 3 * stride, a1 - a3);
          store<f32>(o + 4 * stride, b0 - b2); store<f32>(o + 5 * stride, b1 + b2); store<f32>(o + 6 * stride, b2 - b1); store<f32>(o + 7 * stride, b1 - b3);
          store<f32>(o + 8 * stride, c0 - c2); store<f32>(o + 9 * stride, c1 + c2); store<f32>(o + 10 * stride, c2 - c1); store<f32>(o + 11 * stride, c1 - c3);
          store<f32>(o + 12 * stride, d0 - d2); store<f32>(o + 13 * stride, d1 + d2); store<f32>(o + 14 * stride, d2 - d1); store<f32>(o + 15 * stride, d1 - d3);
        }
      }
    }
  }
}

/**
 * y[s, o, 2ti + a, 2tj + b] = (Aᵀ·m·A)[a][b] (or += with `accumulate`) for in-bounds positions,
 * from M[ξ][o][s·th·tw + ti·tw + tj]; y [n, c, h, w].
 */
export function winogradOutput(m: usize, n: i32, c: i32, h: i32, w: i32, y: usize, accumulate: i32): void {
  const th = (h + 1) >> 1, tw = (w + 1) >> 1;
  const tiles = th * tw, T = n * tiles, stride = <usize>(c * T) << 2;
  for (let s = 0; s < n; s++) {
    for (let o = 0; o < c; o++) {
      const dst = y + (<usize>((s * c + o) * h * w) << 2);
      let p = m + (<usize>(o * T + s * tiles) << 2);
      for (let ti = 0; ti < th; ti++) {
        let tj = 0;
        // Four tiles at a time while their 8 output columns lie inside y.
        for (; tj + 4 <= tw && 2 * tj + 8 <= w; tj += 4, p += 16) {
          outputFour(p, stride, dst + (<usize>(2 * ti * w + 2 * tj) << 2), <usize>w << 2, 2 * ti + 1 < h, accumulate);
        }
        for (; tj < tw; tj++, p += 4) {
          // Aᵀ·m: row 0 = m0 + m1 + m2, row 1 = m1 − m2 − m3 (m_k: row k of the tile), per column.
          const m00 = load<f32>(p), m01 = load<f32>(p + stride), m02 = load<f32>(p + 2 * stride), m03 = load<f32>(p + 3 * stride);
          const m10 = load<f32>(p + 4 * stride), m11 = load<f32>(p + 5 * stride), m12 = load<f32>(p + 6 * stride), m13 = load<f32>(p + 7 * stride);
          const m20 = load<f32>(p + 8 * stride), m21 = load<f32>(p + 9 * stride), m22 = load<f32>(p + 10 * stride), m23 = load<f32>(p + 11 * stride);
          const m30 = load<f32>(p + 12 * stride), m31 = load<f32>(p + 13 * stride), m32 = load<f32>(p + 14 * stride), m33 = load<f32>(p + 15 * stride);
          const u0 = m00 + m10 + m20, u1 = m01 + m11 + m21, u2 = m02 + m12 + m22, u3 = m03 + m13 + m23;
          const l0 = m10 - m20 - m30, l1 = m11 - m21 - m31, l2 = m12 - m22 - m32, l3 = m13 - m23 - m33;
          // ·A: column 0 = t0 + t1 + t2, column 1 = t1 − t2 − t3.
          const y00 = u0 + u1 + u2, y01 = u1 - u2 - u3, y10 = l0 + l1 + l2, y11 = l1 - l2 - l3;
          const r = 2 * ti, q = 2 * tj;
          put(dst, r * w + q, y00, accumulate);
          if (q + 1 < w) put(dst, r * w + q + 1, y01, accumulate);
          if (r + 1 < h) {
            put(dst, (r + 1) * w + q, y10, accumulate);
            if (q + 1 < w) put(dst, (r + 1) * w + q + 1, y11, accumulate);
          }
        }
      }
    }
  }
}
// @ts-ignore: decorator
@inline function put(p: usize, i: i32, v: f32, accumulate: i32): void {
  stf(p, i, accumulate != 0 ? ldf(p, i) + v : v);
}

/**
 * Four consecutive tiles' V (lane m: tile m), the same operations as the scalar loop: `p` the
 * padded plane at the first tile's top-left, `rb` its row bytes, `o` V_0's address for the
 * first tile, `stride` the bytes between ξ planes.
 */
// @ts-ignore: decorator
@inline function inputFour(p: usize, rb: usize, o: usize, stride: usize): void {
  // Row k, column c of the four tiles: pad columns 2m + c, m = 0…3.
  const r0 = p, r1 = p + rb, r2 = p + 2 * rb, r3 = p + 3 * rb;
  const d00 = evens(r0), d01 = odds(r0), d02 = evens(r0 + 8), d03 = odds(r0 + 8);
  const d10 = evens(r1), d11 = odds(r1), d12 = evens(r1 + 8), d13 = odds(r1 + 8);
  const d20 = evens(r2), d21 = odds(r2), d22 = evens(r2 + 8), d23 = odds(r2 + 8);
  const d30 = evens(r3), d31 = odds(r3), d32 = evens(r3 + 8), d33 = odds(r3 + 8);
  // Bᵀ·d (rows), then ·B (columns): (t0 − t2, t1 + t2, t2 − t1, t1 − t3).
  rowOut(o, stride, 0, f32x4.sub(d00, d20), f32x4.sub(d01, d21), f32x4.sub(d02, d22), f32x4.sub(d03, d23));
  rowOut(o, stride, 4, f32x4.add(d10, d20), f32x4.add(d11, d21), f32x4.add(d12, d22), f32x4.add(d13, d23));
  rowOut(o, stride, 8, f32x4.sub(d20, d10), f32x4.sub(d21, d11), f32x4.sub(d22, d12), f32x4.sub(d23, d13));
  rowOut(o, stride, 12, f32x4.sub(d10, d30), f32x4.sub(d11, d31), f32x4.sub(d12, d32), f32x4.sub(d13, d33));
}
/** Floats 0, 2, 4, 6 from p. */
// @ts-ignore: decorator
@inline function evens(p: usize): v128 { return i32x4.shuffle(v128.load(p), v128.load(p, 16), 0, 2, 4, 6); }
/** Floats 1, 3, 5, 7 from p. */
// @ts-ignore: decorator
@inline function odds(p: usize): v128 { return i32x4.shuffle(v128.load(p), v128.load(p, 16), 1, 3, 5, 7); }
// @ts-ignore: decorator
@inline function rowOut(o: usize, stride: usize, xi: i32, t0: v128, t1: v128, t2: v128, t3: v128): void {
  v128.store(o + <usize>xi * stride, f32x4.sub(t0, t2));
  v128.store(o + <usize>(xi + 1) * stride, f32x4.add(t1, t2));
  v128.store(o + <usize>(xi + 2) * stride, f32x4.sub(t2, t1));
  v128.store(o + <usize>(xi + 3) * stride, f32x4.sub(t1, t3));
}

/**
 * Four consecutive tiles' outputs (lane m: tile m), the scalar loop's operations: `p` M_0 at the
 * first tile, `y` the output at its top-left, `rb` y's row bytes; the second row only when `two`.
 */
// @ts-ignore: decorator
@inline function outputFour(p: usize, stride: usize, y: usize, rb: usize, two: bool, accumulate: i32): void {
  const m00 = v128.load(p), m01 = v128.load(p + stride), m02 = v128.load(p + 2 * stride), m03 = v128.load(p + 3 * stride);
  const m10 = v128.load(p + 4 * stride), m11 = v128.load(p + 5 * stride), m12 = v128.load(p + 6 * stride), m13 = v128.load(p + 7 * stride);
  const m20 = v128.load(p + 8 * stride), m21 = v128.load(p + 9 * stride), m22 = v128.load(p + 10 * stride), m23 = v128.load(p + 11 * stride);
  const m30 = v128.load(p + 12 * stride), m31 = v128.load(p + 13 * stride), m32 = v128.load(p + 14 * stride), m33 = v128.load(p + 15 * stride);
  const u0 = f32x4.add(f32x4.add(m00, m10), m20), u1 = f32x4.add(f32x4.add(m01, m11), m21);
  const u2 = f32x4.add(f32x4.add(m02, m12), m22), u3 = f32x4.add(f32x4.add(m03, m13), m23);
  const l0 = f32x4.sub(f32x4.sub(m10, m20), m30), l1 = f32x4.sub(f32x4.sub(m11, m21), m31);
  const l2 = f32x4.sub(f32x4.sub(m12, m22), m32), l3 = f32x4.sub(f32x4.sub(m13, m23), m33);
  const y00 = f32x4.add(f32x4.add(u0, u1), u2), y01 = f32x4.sub(f32x4.sub(u1, u2), u3);
  // Row 2ti: y00 and y01 of each tile side by side.
  putFour(y, i32x4.shuffle(y00, y01, 0, 4, 1, 5), accumulate);
  putFour(y + 16, i32x4.shuffle(y00, y01, 2, 6, 3, 7), accumulate);
  if (!two) return;
  const y10 = f32x4.add(f32x4.add(l0, l1), l2), y11 = f32x4.sub(f32x4.sub(l1, l2), l3);
  putFour(y + rb, i32x4.shuffle(y10, y11, 0, 4, 1, 5), accumulate);
  putFour(y + rb + 16, i32x4.shuffle(y10, y11, 2, 6, 3, 7), accumulate);
}
// @ts-ignore: decorator
@inline function putFour(p: usize, v: v128, accumulate: i32): void {
  v128.store(p, accumulate != 0 ? f32x4.add(v128.load(p), v) : v);
}
