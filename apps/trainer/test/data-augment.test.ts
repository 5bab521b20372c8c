import { Rng } from "@weft/tensor";
import { describe, expect, it } from "vitest";
import { augmentBatch } from "../src/data/index.js";

const H = 7;
const W = 9;

/** `rows` images of H×W, all `background` except pixel (i, j) = 1 in each. */
function lit(rows: number, i: number, j: number, background = 0): Float32Array {
  const x = new Float32Array(rows * H * W).fill(background);
  for (let r = 0; r < rows; r++) x[r * H * W + i * W + j] = 1;
  return x;
}

describe("augmentBatch", () => {
  it("is deterministic for the same rng state, and differs for another seed", () => {
    const src = lit(16, 3, 4);
    const a = new Float32Array(src.length);
    const b = new Float32Array(src.length);
    const c = new Float32Array(src.length);
    augmentBatch(src, 16, H, W, new Rng(42), a);
    augmentBatch(src, 16, H, W, new Rng(42), b);
    augmentBatch(src, 16, H, W, new Rng(43), c);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("moves a single lit pixel by the drawn shift (dy, then dx, per image)", () => {
    const rows = 200;
    const maxShift = 2;
    const src = lit(rows, 3, 4);
    const out = new Float32Array(src.length);
    augmentBatch(src, rows, H, W, new Rng(7), out, { maxShift, noiseStd: 0, fill: 0 });
    // Replay the draws: dy, dx per image (no normals when noiseStd is 0).
    const replay = new Rng(7);
    const seen = new Set<string>();
    for (let r = 0; r < rows; r++) {
      const dy = replay.int(2 * maxShift + 1) - maxShift;
      const dx = replay.int(2 * maxShift + 1) - maxShift;
      seen.add(`${dy},${dx}`);
      const image = out.subarray(r * H * W, (r + 1) * H * W);
      const on = [...image.keys()].filter((k) => image[k] !== 0);
      expect(on).toEqual([(3 + dy) * W + (4 + dx)]);
      expect(image[on[0]!]).toBe(1);
    }
    expect(seen.size).toBe(25); // every shift in [−2, 2]² occurs
  });

  it("fills pixels shifted in from outside with `fill`, and drops pixels shifted out", () => {
    // An image lit everywhere (value 1), shifted with fill −0.4: exactly |dy| rows and |dx|
    // columns become fill.
    const rows = 50;
    const src = new Float32Array(rows * H * W).fill(1);
    const out = new Float32Array(src.length);
    augmentBatch(src, rows, H, W, new Rng(3), out, { maxShift: 3, noiseStd: 0, fill: -0.4 });
    const replay = new Rng(3);
    for (let r = 0; r < rows; r++) {
      const dy = replay.int(7) - 3;
      const dx = replay.int(7) - 3;
      const filled = out.subarray(r * H * W, (r + 1) * H * W).filter((v) => v === Math.fround(-0.4)).length;
      expect(filled).toBe(H * W - (H - Math.abs(dy)) * (W - Math.abs(dx)));
    }
    // A pixel at the edge shifted off the image disappears.
    const edge = lit(1, 0, 0);
    const moved = new Float32Array(H * W);
    for (let seed = 0; seed < 20; seed++) {
      augmentBatch(edge, 1, H, W, new Rng(seed), moved, { maxShift: 1, noiseStd: 0 });
      const r = new Rng(seed);
      const dy = r.int(3) - 1;
      const dx = r.int(3) - 1;
      expect(moved.reduce((a, b) => a + b)).toBe(dy >= 0 && dx >= 0 ? 1 : 0);
    }
  });

  it("adds Gaussian noise of about the requested std (and none shifted: maxShift 0)", () => {
    const rows = 64;
    const src = lit(rows, 2, 2, 0.5);
    const out = new Float32Array(src.length);
    augmentBatch(src, rows, H, W, new Rng(1), out, { maxShift: 0, noiseStd: 0.2 });
    let sum = 0;
    let squares = 0;
    for (let k = 0; k < out.length; k++) {
      const d = out[k]! - src[k]!;
      sum += d;
      squares += d * d;
    }
    const mean = sum / out.length;
    const std = Math.sqrt(squares / out.length - mean * mean);
    // 4,032 draws: the sample std's standard error is 0.2 / √(2·4032) ≈ 0.0022.
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(std).toBeGreaterThan(0.19);
    expect(std).toBeLessThan(0.21);
  });

  it("leaves src untouched and refuses an out that overlaps src", () => {
    const src = lit(4, 1, 1);
    const copy = src.slice();
    const out = new Float32Array(src.length);
    augmentBatch(src, 4, H, W, new Rng(0), out);
    expect(src).toEqual(copy);
    expect(() => augmentBatch(src, 4, H, W, new Rng(0), src)).toThrow(/overlaps/);
    const both = new Float32Array(2 * H * W + 5);
    expect(() => augmentBatch(both.subarray(0, H * W), 1, H, W, new Rng(0), both.subarray(5))).toThrow(/overlaps/);
    // Adjacent, non-overlapping views of one buffer are fine.
    augmentBatch(both.subarray(0, H * W), 1, H, W, new Rng(0), both.subarray(H * W));
  });

  it("works on a batch that is a view into a larger (shared) buffer", () => {
    const all = new Float32Array(new SharedArrayBuffer(10 * H * W * 4));
    all.set(lit(10, 3, 3));
    const out = new Float32Array(3 * H * W);
    augmentBatch(all.subarray(4 * H * W), 3, H, W, new Rng(2), out, { noiseStd: 0 });
    expect(out.reduce((a, b) => a + b)).toBe(3);
  });

  it("validates sizes and options", () => {
    const src = new Float32Array(H * W);
    const out = new Float32Array(H * W);
    expect(() => augmentBatch(src, 2, H, W, new Rng(0), out)).toThrow(/need 126 values/);
    expect(() => augmentBatch(src, 1, H, W, new Rng(0), out, { maxShift: 1.5 })).toThrow(/maxShift/);
    expect(() => augmentBatch(src, 1, H, W, new Rng(0), out, { noiseStd: -1 })).toThrow(/noiseStd/);
    expect(() => augmentBatch(src, 1, H, W, new Rng(0), out, { fill: Number.NaN })).toThrow(/fill/);
  });
});
