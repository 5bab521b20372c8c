import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import { loadEmbeddedMnist, splitDataset, standardize, type Dataset } from "../src/data/index.js";

/** The package's own API: mnist[d].get(k) is sample k of digit d as a plain number[]. */
interface MnistDigit {
  length: number;
  get(k: number): number[];
}
/** Bitwise equality of two typed arrays (vitest's toEqual walks 7.8M elements far too slowly). */
function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  const bytes = (v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return bytes(a).equals(bytes(b));
}

const mnist = createRequire(import.meta.url)("mnist") as MnistDigit[];

describe("loadEmbeddedMnist", () => {
  let ds: Dataset;
  beforeAll(() => {
    ds = loadEmbeddedMnist();
  });

  it("holds the package's 10,000 digits of 28×28 pixels in [0, 1], labels 0..9", () => {
    expect(ds.n).toBe(10_000);
    expect(ds.features).toBe(784);
    expect(ds.classes).toBe(10);
    expect(ds.shape).toEqual([28, 28]);
    expect(ds.x.length).toBe(10_000 * 784);
    expect(ds.y.length).toBe(10_000);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of ds.x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    const perClass = new Array<number>(10).fill(0);
    for (const label of ds.y) perClass[label]!++;
    expect(perClass).toEqual(mnist.map((d) => d.length));
    expect(perClass.reduce((a, b) => a + b)).toBe(10_000);
  });

  it("matches the package's own API bit for bit (first, middle and last sample of every digit)", () => {
    let row = 0;
    for (let d = 0; d < 10; d++) {
      const count = mnist[d]!.length;
      for (const k of [0, 1, count >> 1, count - 1]) {
        const expected = Float32Array.from(mnist[d]!.get(k));
        const got = ds.x.subarray((row + k) * 784, (row + k + 1) * 784);
        expect(got).toEqual(expected);
        expect(ds.y[row + k]).toBe(d);
      }
      row += count;
    }
  });

  it("matches the package on every pixel of every sample (sum of |difference| is 0)", () => {
    let row = 0;
    let mismatches = 0;
    for (let d = 0; d < 10; d++) {
      for (let k = 0; k < mnist[d]!.length; k++, row++) {
        const sample = mnist[d]!.get(k);
        for (let p = 0; p < 784; p++) if (ds.x[row * 784 + p] !== Math.fround(sample[p]!)) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

  it("can load straight into shared memory", () => {
    const shared = loadEmbeddedMnist({ shared: true });
    expect(shared.x.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.y.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(sameBits(shared.x, ds.x)).toBe(true);
    expect(sameBits(shared.y, ds.y)).toBe(true);
  });

  it("splits 8,000 / 1,000 / 1,000 by a seeded shuffle: deterministic, disjoint, covering", () => {
    const a = splitDataset(ds, { seed: 7 });
    const b = splitDataset(ds, { seed: 7 });
    const c = splitDataset(ds, { seed: 8 });
    expect([a.train.n, a.val.n, a.test.n]).toEqual([8000, 1000, 1000]);
    expect(a.train.x.length).toBe(8000 * 784);
    expect(sameBits(a.indices.train, b.indices.train)).toBe(true);
    expect(sameBits(a.indices.test, b.indices.test)).toBe(true);
    expect(sameBits(a.train.x, b.train.x)).toBe(true);
    expect(sameBits(a.test.y, b.test.y)).toBe(true);
    expect(sameBits(a.indices.train, c.indices.train)).toBe(false);
    const seen = new Uint8Array(10_000);
    for (const part of [a.indices.train, a.indices.val, a.indices.test]) for (const i of part) seen[i]!++;
    expect(seen.every((v) => v === 1)).toBe(true);
    // Row j of a split is the input row it names.
    const i = a.indices.val[123]!;
    expect(a.val.x.subarray(123 * 784, 124 * 784)).toEqual(ds.x.subarray(i * 784, (i + 1) * 784));
    expect(a.val.y[123]).toBe(ds.y[i]);
    // Every class appears in every split (a shuffle, not the class-sorted file order).
    for (const split of [a.train, a.val, a.test]) expect(new Set(split.y).size).toBe(10);
  });

  it("standardises with the training set's scalar mean and std: train mean ≈ 0, std ≈ 1", () => {
    const { train, val, test } = splitDataset(ds, { seed: 1 });
    const raw = Array.from(train.x.subarray(0, 784 * 5));
    const stats = standardize(train, [val, test]);
    // MNIST's mean ≈ 0.13 and std ≈ 0.31 (the usual Normalize((0.1307,), (0.3081,))).
    expect(stats.mean).toBeGreaterThan(0.12);
    expect(stats.mean).toBeLessThan(0.14);
    expect(stats.std).toBeGreaterThan(0.29);
    expect(stats.std).toBeLessThan(0.32);
    const moments = (x: Float32Array) => {
      let s = 0;
      let q = 0;
      for (const v of x) {
        s += v;
        q += v * v;
      }
      const mean = s / x.length;
      return { mean, std: Math.sqrt(q / x.length - mean * mean) };
    };
    const m = moments(train.x);
    expect(Math.abs(m.mean)).toBeLessThan(1e-5);
    expect(Math.abs(m.std - 1)).toBeLessThan(1e-5);
    // Held-out splits use the training statistics (so their moments are only near 0 / 1).
    expect(Math.abs(moments(val.x).mean)).toBeLessThan(0.05);
    expect(train.x[100]).toBe(Math.fround((raw[100]! - stats.mean) / stats.std));
    // A raw 0 pixel maps to −mean/std: the fill value augmentation needs.
    expect(train.x[0]).toBe(Math.fround(-stats.mean / stats.std));
  });
});
