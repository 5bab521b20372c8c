import type { ParamLike } from "../src/index.js";

/** Seeded uniform generator in [0, 1) (mulberry32): tests are deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` float32 values in [-1, 1) from `next`. */
export function randomArray(next: () => number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = next() * 2 - 1;
  return a;
}

/** A parameter with a zero gradient of the same length. */
export function param(data: ArrayLike<number>): ParamLike & { data: Float32Array; grad: { data: Float32Array } } {
  const d = Float32Array.from(data);
  return { data: d, grad: { data: new Float32Array(d.length) } };
}

/** Whether two arrays hold the same bits (NaN-aware, -0 ≠ 0). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
