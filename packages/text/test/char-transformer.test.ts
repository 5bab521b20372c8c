import { describe, expect, it } from "vitest";
import { Rng, Tensor } from "@weft/tensor";
import { DataParallel } from "@weft/parallel";
import { CharTransformer, charLmLoss, STANDARD_CHAR_LM, windows } from "../src/index.js";

// Workers load compiled JavaScript: the built model file (pnpm build), not src/'s TypeScript.
const CHAR_LM_MODEL = new URL("../dist/char-lm-model.js", import.meta.url);

const tokens = (B: number, T: number, V: number, seed: number): Int32Array => {
  const r = new Rng(seed);
  return Int32Array.from({ length: B * T }, () => r.int(V));
};

describe("CharTransformer", () => {
  const m = new CharTransformer({ vocabSize: 10, blockSize: 8, dModel: 16, nhead: 2, numLayers: 2, dimFeedforward: 32, rng: new Rng(1) });

  it("logits [B, T, V] (or [B·T, V]); keys as a PyTorch module with these attribute names", () => {
    expect(m.forward(new Tensor(tokens(2, 5, 10, 0), [2, 5])).shape).toEqual([2, 5, 10]);
    const keys = Object.keys(m.stateDict());
    expect(keys.slice(0, 3)).toEqual(["tok_emb.weight", "pos_emb.weight", "encoder.layers.0.self_attn.in_proj_weight"]);
    expect(keys.slice(-4)).toEqual(["norm.weight", "norm.bias", "head.weight", "head.bias"]);
    expect(STANDARD_CHAR_LM).toMatchObject({ blockSize: 32, dModel: 64, nhead: 4, numLayers: 2, dimFeedforward: 256, dropout: 0 });
  });

  it("is causal: changing token t changes no logit before t", () => {
    const a = tokens(1, 8, 10, 3), b = a.slice();
    b[5] = (b[5] + 1) % 10;
    const la = m.forward(new Tensor(a, [1, 8])).data, lb = m.forward(new Tensor(b, [1, 8])).data;
    for (let i = 0; i < 5 * 10; i++) expect(la[i]).toBe(lb[i]);
    expect(Array.from(la.subarray(50))).not.toEqual(Array.from(lb.subarray(50)));
  });

  it("charLmLoss starts near log V and names a too-long window", () => {
    const x = new Tensor(tokens(4, 8, 10, 5), [4, 8]), y = new Tensor(tokens(4, 8, 10, 6), [4, 8]);
    expect(Math.abs(charLmLoss(m.forward(x), y).item() - Math.log(10))).toBeLessThan(1);
    expect(() => m.forward(new Tensor(tokens(1, 9, 10, 0), [1, 9]))).toThrow(/T ≤ blockSize 8/);
  });
});

describe("the char-LM model file through the engine", () => {
  it("W = 2 takes the same steps as W = 1 (same losses and parameters, to float32 summation order)", async () => {
    const ids = Int32Array.from(tokens(1, 400, 10, 9));
    const w = windows(ids, 8, 3);
    const run = async (workers: number) => {
      const dp = await DataParallel.create({
        model: CHAR_LM_MODEL, modelOptions: { vocabSize: 10, blockSize: 8, dModel: 16, nhead: 2, numLayers: 1, dimFeedforward: 32 },
        optimizer: { type: "AdamW", config: { lr: 1e-2 } }, workers, seed: 3,
        data: { x: w.x, sampleShape: [8], y: w.y, targetShape: [8] },
      });
      try {
        const { losses } = await dp.runSteps(Int32Array.from({ length: w.rows }, (_, i) => i), [[0, 12], [12, 12], [24, 12]]);
        const ev = await dp.evaluate(Int32Array.from({ length: 24 }, (_, i) => i + 40));
        const state = await dp.stateDict();
        return { losses: Array.from(losses), ev, head: Array.from(state["head.weight"].data) };
      } finally {
        await dp.close();
      }
    };
    const one = await run(1), two = await run(2);
    expect(one.losses[0]).toBeGreaterThan(1.5);
    one.losses.forEach((l, i) => expect(Math.abs(l - two.losses[i])).toBeLessThan(1e-5));
    one.head.forEach((v, i) => expect(Math.abs(v - two.head[i])).toBeLessThan(1e-4));
    expect(Math.abs(one.ev.loss - two.ev.loss)).toBeLessThan(1e-5);
    expect(one.ev.accuracy).toBeGreaterThanOrEqual(0);
    expect(one.ev.accuracy).toBe(two.ev.accuracy);
  }, 60_000);
});
