import { describe, expect, test } from "vitest";
import { EarlyStopping } from "../src/index.js";

/** Feeds `values` and returns what each `step` answered. */
function feed(stopper: EarlyStopping, values: number[]): boolean[] {
  return values.map((v) => stopper.step(v));
}

describe("EarlyStopping", () => {
  test("patience: stops on the patience-th epoch without improvement", () => {
    const s = new EarlyStopping({ patience: 2 });
    expect(feed(s, [1, 0.9, 0.95, 0.91])).toEqual([false, false, false, true]);
    expect(s.stopped).toBe(true);
    expect(s.bestValue).toBe(0.9);
    expect(s.bestEpoch).toBe(1);
  });

  test("an improvement resets the wait", () => {
    const s = new EarlyStopping({ patience: 2 });
    expect(feed(s, [1, 1.1, 0.8, 0.9, 0.7, 0.75, 0.71])).toEqual([false, false, false, false, false, false, true]);
    expect(s.bestEpoch).toBe(4);
  });

  test("patience 0 stops at the first epoch without improvement", () => {
    expect(feed(new EarlyStopping({ patience: 0 }), [3, 2, 2])).toEqual([false, false, true]);
  });

  test("minDelta: an improvement must beat the best by more than minDelta", () => {
    const s = new EarlyStopping({ patience: 1, minDelta: 0.1 });
    expect(feed(s, [1, 0.85])).toEqual([false, false]); // 0.15 better: improvement
    expect(s.step(0.8)).toBe(true); // only 0.05 better
    expect(s.bestValue).toBe(0.85);
  });

  test("mode max: higher is better", () => {
    const s = new EarlyStopping({ patience: 2, mode: "max" });
    expect(s.bestValue).toBe(-Infinity);
    expect(feed(s, [0.5, 0.6, 0.6, 0.55])).toEqual([false, false, false, true]);
    expect(s.bestValue).toBe(0.6);
    expect(s.bestEpoch).toBe(1);
  });

  test("NaN never counts as an improvement", () => {
    const s = new EarlyStopping({ patience: 1 });
    expect(feed(s, [Number.NaN])).toEqual([true]);
    expect(s.bestEpoch).toBe(-1);
  });

  test("restores the weights of the best epoch", () => {
    const w = [new Float32Array(3), new Float32Array(2)];
    const s = new EarlyStopping({ patience: 2 });
    const losses = [1, 0.5, 0.7, 0.6];
    let stopped = false;
    losses.forEach((loss, epoch) => {
      w[0].fill(epoch);
      w[1].fill(-epoch);
      stopped = s.step(loss, w);
    });
    expect(stopped).toBe(true);
    s.restoreBest(w);
    expect(Array.from(w[0])).toEqual([1, 1, 1]);
    expect(Array.from(w[1])).toEqual([-1, -1]);
    expect(() => s.restoreBest([new Float32Array(3)])).toThrow("EarlyStopping: restoreBest got 1 arrays, the snapshot has 2");
  });

  test("restoreBestWeights false keeps no snapshot", () => {
    const s = new EarlyStopping({ patience: 1, restoreBestWeights: false });
    s.step(1, [new Float32Array(1)]);
    expect(() => s.restoreBest([new Float32Array(1)])).toThrow("EarlyStopping: restoreBest needs restoreBestWeights = true");
  });

  test.each([
    [{ patience: -1 }, "EarlyStopping: patience must be an integer >= 0, got -1"],
    [{ patience: 1, minDelta: -0.1 }, "EarlyStopping: minDelta must be >= 0, got -0.1"],
    [{ patience: 1, mode: "mean" }, 'EarlyStopping: mode must be "min" or "max", got mean'],
  ])("%o: throws a clear error", (options, message) => {
    expect(() => new EarlyStopping(options as never)).toThrow(message);
  });
});
