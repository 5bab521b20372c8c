import { describe, expect, it } from "vitest";
import { applyStandardization, splitDataset, standardize, toShared, type Dataset } from "../src/data/index.js";

/** n rows of 3 features; row i holds [i, i + 0.25, i + 0.5] and label i mod 4. */
function rows(n: number): Dataset {
  const x = new Float32Array(n * 3);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x.set([i, i + 0.25, i + 0.5], i * 3);
    y[i] = i % 4;
  }
  return { x, y, n, features: 3, classes: 4, source: "test" };
}

describe("splitDataset", () => {
  it("turns fractions into counts as torch's random_split does", () => {
    const sizes = (n: number, o: object) => {
      const s = splitDataset(rows(n), { seed: 0, ...o });
      return [s.train.n, s.val.n, s.test.n];
    };
    expect(sizes(10_000, {})).toEqual([8000, 1000, 1000]);
    expect(sizes(11, {})).toEqual([9, 1, 1]); // ⌊8.8⌋, ⌊1.1⌋, ⌊1.1⌋ + 2 left over → train, val
    expect(sizes(100, { train: 0.71, val: 0.29, test: 0 })).toEqual([71, 29, 0]);
    expect(sizes(7, { train: 0.5, val: 0.5, test: 0 })).toEqual([4, 3, 0]);
  });

  it("takes exact counts, whose sum may be below n", () => {
    const s = splitDataset(rows(50), { seed: 3, counts: { train: 20, val: 5, test: 5 } });
    expect([s.train.n, s.val.n, s.test.n]).toEqual([20, 5, 5]);
    expect(s.train.x.length).toBe(60);
  });

  it("each split row is the input row its index names; splits are disjoint and keep metadata", () => {
    const ds = rows(40);
    const s = splitDataset(ds, { seed: 11 });
    const all = [...s.indices.train, ...s.indices.val, ...s.indices.test];
    expect(new Set(all).size).toBe(40);
    for (const name of ["train", "val", "test"] as const) {
      const part = s[name];
      expect(part.features).toBe(3);
      expect(part.classes).toBe(4);
      expect(part.source).toBe("test");
      s.indices[name].forEach((i, j) => {
        expect(part.x[j * 3]).toBe(i);
        expect(part.y[j]).toBe(i % 4);
      });
    }
  });

  it("is deterministic for a seed, different across seeds", () => {
    const a = splitDataset(rows(100), { seed: 5 });
    const b = splitDataset(rows(100), { seed: 5 });
    const c = splitDataset(rows(100), { seed: 6 });
    expect(a.indices).toEqual(b.indices);
    expect(a.train.x).toEqual(b.train.x);
    expect(a.indices.train).not.toEqual(c.indices.train);
    expect(splitDataset(rows(100), { seed: 5n }).indices).toEqual(a.indices);
  });

  it("inPlace reorders the input's own rows and gives the same splits as gathering", () => {
    const gathered = splitDataset(rows(1000), { seed: 9 });
    const ds = rows(1000);
    const inPlace = splitDataset(ds, { seed: 9, inPlace: true });
    expect(inPlace.train.x.buffer).toBe(ds.x.buffer);
    for (const name of ["train", "val", "test"] as const) {
      expect(inPlace[name].x).toEqual(gathered[name].x);
      expect(inPlace[name].y).toEqual(gathered[name].y);
    }
  });

  it("shared: all three splits are views of one SharedArrayBuffer", () => {
    const s = splitDataset(rows(20), { seed: 1, shared: true });
    expect(s.train.x.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(s.val.x.buffer).toBe(s.train.x.buffer);
    expect(s.test.y.buffer).toBe(s.train.y.buffer);
    expect(s.val.x.byteOffset).toBe(16 * 3 * 4);
  });

  it("rejects bad fractions, counts and seeds with clear messages", () => {
    const ds = rows(10);
    expect(() => splitDataset(ds, { seed: 0, train: 0.9 })).toThrow(/must sum to 1.*train 0.9 \+ val 0.1 \+ test 0.1/);
    expect(() => splitDataset(ds, { seed: 0, val: -0.1, train: 1 })).toThrow(/val fraction must be in \[0, 1\], got -0.1/);
    expect(() => splitDataset(ds, { seed: 0, test: Number.NaN })).toThrow(/test fraction/);
    expect(() => splitDataset(ds, { seed: 0, train: 0, val: 0.5, test: 0.5 })).toThrow(/training split would be empty/);
    expect(() => splitDataset(ds, { seed: 0, counts: { train: 8, val: 2, test: 1 } })).toThrow(/8 \+ 2 \+ 1 = 11 exceed the 10 rows/);
    expect(() => splitDataset(ds, { seed: 0, counts: { train: 1.5, val: 0, test: 0 } })).toThrow(/train count must be a non-negative integer/);
    expect(() => splitDataset(ds, { seed: 0, counts: { train: 0, val: 1, test: 1 } })).toThrow(/training split would be empty/);
    expect(() => splitDataset(ds, { seed: 0, train: 0.8, counts: { train: 1, val: 1, test: 1 } })).toThrow(/either fractions .* or counts/);
    expect(() => splitDataset(ds, { seed: 0.5 })).toThrow(/seed must be an integer/);
    expect(() => splitDataset(rows(0), { seed: 0 })).toThrow(/no rows/);
  });
});

describe("standardize", () => {
  it("uses one scalar mean and std from the training set only, in place on every split", () => {
    const train = rows(4); // values 0..3.5
    const val = rows(2);
    const values = Array.from(train.x);
    const mean = values.reduce((a, b) => a + b) / values.length;
    const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    const valBefore = Array.from(val.x);
    const stats = standardize(train, [val]);
    expect(stats.mean).toBeCloseTo(mean, 12);
    expect(stats.std).toBeCloseTo(std, 12);
    expect(Array.from(train.x)).toEqual(values.map((v) => Math.fround((v - stats.mean) / stats.std)));
    expect(Array.from(val.x)).toEqual(valBefore.map((v) => Math.fround((v - stats.mean) / stats.std)));
  });

  it("perFeature: one mean and std per column from the training set, applied to every split", () => {
    // Columns on scales 1, 5e4 and 0.01 apart: each becomes mean 0, std 1 on the training rows.
    const make = (n: number, shift: number): Dataset => {
      const x = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) x.set([18 + ((i * 7 + shift) % 60), 5e4 + 1000 * ((i * 3 + shift) % 11), 0.01 * ((i + shift) % 100)], i * 3);
      return { x, y: new Int32Array(n), n, features: 3, classes: 1, source: "test" };
    };
    const train = make(50, 0);
    const val = make(10, 5);
    const raw = Array.from(train.x);
    const valRaw = Array.from(val.x);
    const stats = standardize(train, [val], { perFeature: true });
    for (let j = 0; j < 3; j++) {
      const col = raw.filter((_, i) => i % 3 === j);
      const mean = col.reduce((a, b) => a + b) / col.length;
      const std = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length);
      expect((stats.mean as number[])[j]).toBeCloseTo(mean, 6);
      expect((stats.std as number[])[j]! / std).toBeCloseTo(1, 10);
      const out = Array.from(train.x).filter((_, i) => i % 3 === j);
      expect(Math.abs(out.reduce((a, b) => a + b) / out.length)).toBeLessThan(1e-5);
      expect(Math.sqrt(out.reduce((a, b) => a + b * b, 0) / out.length)).toBeCloseTo(1, 5);
      const v = Array.from(val.x).filter((_, i) => i % 3 === j);
      valRaw.filter((_, i) => i % 3 === j).forEach((r, k) => expect(v[k]).toBeCloseTo((r - mean) / std, 4));
    }
  });

  it("perFeature leaves NaN (missing) out of the statistics and imputes the training mean (0 once standardised)", () => {
    const x = Float32Array.from([1, 10, Number.NaN, 20, 3, Number.NaN, 5, 30]);
    const ds: Dataset = { x, y: new Int32Array(4), n: 4, features: 2, classes: 1, source: "test" };
    const stats = standardize(ds, [], { perFeature: true });
    expect(stats.mean).toEqual([3, 20]);
    expect(Array.from(ds.x).every(Number.isFinite)).toBe(true);
    expect(ds.x[4]).toBe(0);
    expect(ds.x[5]).toBe(0);
  });

  it("applyStandardization replays recorded statistics bit for bit (predict time)", () => {
    const a = rows(5);
    const b = rows(5);
    const stats = standardize(a);
    applyStandardization(JSON.parse(JSON.stringify(stats)), b);
    expect(b.x).toEqual(a.x);
  });

  it("works on shared splits and only centres a constant training set", () => {
    const s = splitDataset(toShared(rows(30)), { seed: 2, shared: true });
    standardize(s.train, [s.val, s.test]);
    expect(Math.abs(s.train.x.reduce((a, b) => a + b) / s.train.x.length)).toBeLessThan(1e-6);
    const flat: Dataset = { ...rows(3), x: new Float32Array(9).fill(2) };
    expect(standardize(flat)).toEqual({ mean: 2, std: 1 });
    expect(Array.from(flat.x)).toEqual(new Array(9).fill(0));
    expect(() => standardize(rows(0))).toThrow(/empty/);
  });
});
