/**
 * The sequence layers: float64 gradchecks of every layer over its input and all its parameters
 * (the parameters swapped for gradcheck's float64 copies, as gradcheck.test.ts does for Linear),
 * MultiheadAttention's masks against the attention written from matmul/softmax, state-dict keys
 * exactly PyTorch's, init and errors. The numbers themselves are the golden sequence.json cases.
 */
import { describe, expect, it } from "vitest";
import { Rng, Tensor, add, matmul, mul, narrow, softmax, transpose, gradcheck, linear, permute, reshape } from "@weft/tensor";
import { Embedding, GRU, LSTM, MultiheadAttention, TransformerEncoder, TransformerEncoderLayer, type Module } from "../src/index.js";
import { expectClose, input64 } from "./helpers.js";

const rng = new Rng(15);

/**
 * gradcheck of `run(module, x)` over x and every parameter: the parameters are replaced (by
 * property, so the layers read them) with gradcheck's float64 copies before each forward.
 */
function gradcheckModule(m: Module, x: Tensor, run: (m: Module, x: Tensor) => Tensor = (mm, xx) => mm.forward(xx)): true {
  const named = [...m.namedParameters()];
  const set = (path: string, t: Tensor): void => {
    const parts = path.split(".");
    let owner = m as unknown as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) owner = owner[p] as Record<string, unknown>;
    owner[parts[parts.length - 1]] = t;
  };
  const params = named.map(([, p]) => new Tensor(Float64Array.from(p.data), p.shape, true));
  return gradcheck((xx: Tensor, ...ps: Tensor[]) => {
    named.forEach(([name], i) => set(name, ps[i]));
    return run(m, xx);
  }, [x, ...params]);
}

const tokens = (shape: number[], V: number): Tensor<Int32Array> => {
  const d = new Int32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < d.length; i++) d[i] = Math.floor(rng.uniform() * V);
  return new Tensor(d, shape);
};

describe("Embedding", () => {
  it("init N(0, 1) with the paddingIdx row zero; output rows are weight rows", () => {
    const e = new Embedding(10, 4, { paddingIdx: -1, rng: new Rng(1) });
    expect(e.paddingIdx).toBe(9);
    expect(Array.from(e.weight.data.subarray(36))).toEqual([0, 0, 0, 0]);
    const y = e.forward(new Tensor(Int32Array.from([3, 9]), [2]));
    expect(y.shape).toEqual([2, 4]);
    expect(Array.from(y.data.subarray(0, 4))).toEqual(Array.from(e.weight.data.subarray(12, 16)));
    expect(Object.keys(e.stateDict())).toEqual(["weight"]);
  });

  it("gradcheck of the weight; the paddingIdx row gets no gradient", () => {
    const idx = new Tensor(Int32Array.from([0, 2, 2, 4, 1, 0]), [2, 3]);
    const e = new Embedding(5, 3);
    expect(gradcheck((ww: Tensor) => { Object.assign(e, { weight: ww }); return e.forward(idx); }, [input64(rng, [5, 3])])).toBe(true);
    const p = new Embedding(5, 3, { paddingIdx: 2 });
    p.forward(idx).sum().backward();
    expect(Array.from(p.weight.grad!.data)).toEqual([2, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
  });

  it("names float input and a bad paddingIdx", () => {
    expect(() => new Embedding(4, 2).forward(new Tensor(new Float32Array(2), [2]))).toThrow(/int32 indices/);
    expect(() => new Embedding(4, 2, { paddingIdx: 4 })).toThrow(/paddingIdx must be an integer in -4 … 3/);
  });
});

/** MultiheadAttention from matmul and softmax per head, float64: an oracle sharing no code with the fused op. */
function attentionReference(m: MultiheadAttention, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): Tensor {
  const E = m.embedDim, Hh = m.numHeads, D = m.headDim;
  const [B, T] = q.shape, S = k.shape[1];
  const w = (i: number): Tensor => narrow(m.in_proj_weight, 0, i * E, E);
  const b = (i: number): Tensor | null => (m.in_proj_bias ? narrow(m.in_proj_bias, 0, i * E, E) : null);
  const heads = (t: Tensor, L: number): Tensor => permute(reshape(t, [B, L, Hh, D]), [0, 2, 1, 3]);
  const qh = heads(linear(q, w(0), b(0)), T), kh = heads(linear(k, w(1), b(1)), S), vh = heads(linear(v, w(2), b(2)), S);
  let s = mul(matmul(qh, transpose(kh, -2, -1)), 1 / Math.sqrt(D));
  if (mask) s = add(s, mask);
  const o = matmul(softmax(s, -1), vh);
  return m.out_proj.forward(reshape(permute(o, [0, 2, 1, 3]), [B, T, E]));
}

function mha64(E: number, H: number, options = {}): MultiheadAttention {
  const m = new MultiheadAttention(E, H, { batchFirst: true, rng: new Rng(3), ...options });
  for (const [, p] of m.namedParameters()) p.data = Float64Array.from(p.data) as never;
  // Biases start at 0 (PyTorch's init); random ones test more.
  m.in_proj_bias?.data.forEach((_, i, a) => (a[i] = rng.normal() * 0.3));
  m.out_proj.bias?.data.forEach((_, i, a) => (a[i] = rng.normal() * 0.3));
  return m;
}

describe("MultiheadAttention", () => {
  it("state-dict keys and init as PyTorch's", () => {
    const m = new MultiheadAttention(8, 2, { rng: new Rng(1) });
    expect(Object.keys(m.stateDict())).toEqual(["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
    expect(m.in_proj_bias!.data.every((v) => v === 0) && m.out_proj.bias!.data.every((v) => v === 0)).toBe(true);
    const bound = Math.sqrt(6 / (8 + 24)); // xavier_uniform on [3E, E]
    expect(m.in_proj_weight.data.every((v) => Math.abs(v) <= bound)).toBe(true);
    expect(Object.keys(new MultiheadAttention(8, 2, { bias: false }).stateDict())).toEqual(["in_proj_weight", "out_proj.weight"]);
  });

  const B = 2, T = 3, S = 4, E = 6;
  const kpm = new Tensor(Int32Array.from([0, 0, 1, 1, 0, 1, 0, 0]), [B, S]); // 1: padding
  const boolMask = new Tensor(Int32Array.from([0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0]), [T, S]); // 1: may not attend
  /** The same masks as one additive [B, 1, T, S] tensor. */
  function additive(useKpm: boolean, useMask: boolean, causal: boolean): Tensor {
    const d = new Float64Array(B * T * S);
    for (let b = 0; b < B; b++) for (let i = 0; i < T; i++) for (let j = 0; j < S; j++) {
      const masked = (useKpm && kpm.data[b * S + j] !== 0) || (useMask && boolMask.data[i * S + j] !== 0) || (causal && j > i);
      d[(b * T + i) * S + j] = masked ? -Infinity : 0;
    }
    return new Tensor(d, [B, 1, T, S]);
  }

  it.each([
    ["no mask", false, false, false],
    ["keyPaddingMask", true, false, false],
    ["attnMask (int)", false, true, false],
    ["both, and causal", true, true, true],
    ["causal with T ≠ S", false, false, true],
  ])("cross-attention with %s matches matmul/softmax", (_, useKpm, useMask, causal) => {
    const m = mha64(E, 2);
    const q = input64(rng, [B, T, E]), k = input64(rng, [B, S, E]), v = input64(rng, [B, S, E]);
    const masks = { keyPaddingMask: useKpm ? kpm : null, attnMask: useMask ? boolMask : null, isCausal: causal };
    const y = m.forward(q, k, v, masks);
    const want = attentionReference(m, q, k, v, useKpm || useMask || causal ? additive(useKpm, useMask, causal) : null);
    expectClose("output", y.data, want.data, 1e-10, 1e-12);
  });

  it("a float attnMask is added to the scores; [B·heads, T, S] masks each head", () => {
    const m = mha64(E, 2);
    const q = input64(rng, [B, T, E]), k = input64(rng, [B, S, E]);
    const am = input64(rng, [B * 2, T, S], false);
    const y = m.forward(q, k, k, { attnMask: am });
    expectClose("output", y.data, attentionReference(m, q, k, k, reshape(am, [B, 2, T, S])).data, 1e-10, 1e-12);
  });

  it("batchFirst false takes and returns [T, B, E]", () => {
    const m = mha64(E, 3);
    const x = input64(rng, [B, T, E]);
    const bf = m.forward(x, x, x, { isCausal: true });
    const tm = new MultiheadAttention(E, 3, { rng: new Rng(0) });
    const src = Object.fromEntries(m.namedParameters());
    for (const [name, p] of tm.namedParameters()) p.data = Float64Array.from(src[name].data) as never;
    const xt = transpose(x, 0, 1);
    const y = tm.forward(xt, xt, xt, { isCausal: true });
    expect(y.shape).toEqual([T, B, E]);
    expectClose("output", transpose(y, 0, 1).data, bf.data, 1e-12, 1e-14);
  });

  it("dropout: eval mode is the fused path, training drops attention weights", () => {
    const m = mha64(E, 2, { dropout: 0.5 });
    const x = input64(rng, [B, T, E], false);
    m.eval();
    const a = m.forward(x, x, x);
    expectClose("eval", a.data, attentionReference(m, x, x, x, null).data, 1e-10, 1e-12);
    m.train();
    const b = m.forward(x, x, x);
    expect(Array.from(b.data)).not.toEqual(Array.from(a.data));
  });

  it.each([
    ["self-attention, causal", (mm: Module, x: Tensor) => (mm as MultiheadAttention).forward(x, x, x, { isCausal: true })],
    ["cross-attention with a key padding mask", (mm: Module, x: Tensor) => {
      const kv = narrow(x, 1, 0, 2);
      return (mm as MultiheadAttention).forward(x, kv, kv, { keyPaddingMask: new Tensor(Int32Array.from([0, 1, 0, 0]), [2, 2]) });
    }],
  ])("gradcheck: %s", (_, run) => {
    const m = new MultiheadAttention(4, 2, { batchFirst: true });
    expect(gradcheckModule(m, input64(rng, [2, 3, 4]), run)).toBe(true);
  });

  it("the causal option is the default of isCausal: forward(x) alone is causal self-attention (a Sequential layer)", () => {
    const m = mha64(E, 2, { causal: true });
    const x = input64(rng, [B, T, E], false);
    expectClose("forward(x)", m.forward(x).data, m.forward(x, x, x, { isCausal: true }).data, 0, 0);
    expect(Array.from(m.forward(x, x, x, { isCausal: false }).data)).not.toEqual(Array.from(m.forward(x).data));
  });

  it("names a bad numHeads and a wrong mask shape", () => {
    expect(() => new MultiheadAttention(6, 4)).toThrow(/numHeads must be a positive integer dividing embedDim 6/);
    const m = new MultiheadAttention(4, 2, { batchFirst: true });
    const x = new Tensor(new Float32Array(24), [2, 3, 4]);
    expect(() => m.forward(x, x, x, { keyPaddingMask: new Tensor(new Int32Array(3), [1, 3]) })).toThrow(/keyPaddingMask must be \[B, S\] = \[2, 3\]/);
  });
});

const TEL_KEYS = [
  "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
  "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias",
];

describe("TransformerEncoderLayer and TransformerEncoder", () => {
  it("state-dict keys as PyTorch's", () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    expect(Object.keys(layer.stateDict())).toEqual(TEL_KEYS);
    const enc = new TransformerEncoder(layer, 2);
    expect(Object.keys(enc.stateDict())).toEqual([0, 1].flatMap((i) => TEL_KEYS.map((k) => `layers.${i}.${k}`)));
  });

  it("the encoder's layers start as copies of the given layer, with their own parameters", () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, dropout: 0 });
    const enc = new TransformerEncoder(layer, 2);
    const l0 = enc.layers[0], l1 = enc.layers[1];
    expect(Array.from(l1.linear1.weight.data)).toEqual(Array.from(layer.linear1.weight.data));
    expect(l0.linear1.weight).not.toBe(l1.linear1.weight);
    const x = new Tensor(Float32Array.from({ length: 2 * 3 * 8 }, () => rng.normal()), [2, 3, 8]);
    expectClose("two layers", enc.forward(x).data, layer.forward(layer.forward(x)).data, 1e-6, 1e-6);
  });

  it.each([
    ["post-norm, relu", { normFirst: false, activation: "relu" as const }],
    ["pre-norm, gelu, causal", { normFirst: true, activation: "gelu" as const, causal: true }],
  ])("gradcheck: %s", (_, o) => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0, batchFirst: true, ...o });
    expect(gradcheckModule(layer, input64(rng, [2, 3, 4]))).toBe(true);
  });

  it("gradcheck of a 2-layer encoder with a key padding mask, time major", () => {
    const enc = new TransformerEncoder(new TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0 }), 2);
    const kpm = new Tensor(Int32Array.from([0, 0, 1, 0, 0, 0]), [2, 3]);
    expect(gradcheckModule(enc, input64(rng, [3, 2, 4]), (m, x) => (m as TransformerEncoder).forward(x, { srcKeyPaddingMask: kpm }))).toBe(true);
  });
});

describe.each([
  ["LSTM", (i: number, h: number, o: object) => new LSTM(i, h, o)],
  ["GRU", (i: number, h: number, o: object) => new GRU(i, h, o)],
])("%s", (kind, make) => {
  it("state-dict keys as PyTorch's, in its order; init U(−1/√H, 1/√H)", () => {
    const m = make(3, 4, { numLayers: 2, bidirectional: true });
    const keys = [0, 1].flatMap((l) => ["", "_reverse"].flatMap((s) => ["weight_ih", "weight_hh", "bias_ih", "bias_hh"].map((w) => `${w}_l${l}${s}`)));
    expect(Object.keys(m.stateDict())).toEqual(keys);
    const G = kind === "LSTM" ? 16 : 12;
    expect(m.stateDict().weight_ih_l1.shape).toEqual([G, 8]);
    for (const [, p] of m.namedParameters()) expect(p.data.every((v) => Math.abs(v) <= 0.5)).toBe(true);
    expect(Object.keys(make(3, 4, { bias: false }).stateDict())).toEqual(["weight_ih_l0", "weight_hh_l0"]);
  });

  it("forwardWithState: the final h is the last step's output of each direction", () => {
    const m = make(3, 4, { numLayers: 2, bidirectional: true, batchFirst: true });
    const x = new Tensor(Float32Array.from({ length: 2 * 5 * 3 }, () => rng.normal()), [2, 5, 3]);
    const r = m.forwardWithState(x);
    expect(r.output.shape).toEqual([2, 5, 8]);
    expect(r.h.shape).toEqual([4, 2, 4]);
    const fwd = narrow(narrow(r.output, 1, 4, 1), 2, 0, 4), bwd = narrow(narrow(r.output, 1, 0, 1), 2, 4, 4);
    expect(Array.from(narrow(r.h, 0, 2, 1).data)).toEqual(Array.from(fwd.data));
    expect(Array.from(narrow(r.h, 0, 3, 1).data)).toEqual(Array.from(bwd.data));
    if (kind === "LSTM") expect((r as { c: Tensor }).c.shape).toEqual([4, 2, 4]);
  });

  it("gradcheck: 2 layers, bidirectional, batch first", () => {
    expect(gradcheckModule(make(2, 3, { numLayers: 2, bidirectional: true, batchFirst: true }), input64(rng, [2, 3, 2]))).toBe(true);
  });

  it("gradcheck: the initial state and the final state, time major", () => {
    const m = make(2, 3, {});
    for (const [, p] of m.namedParameters()) p.data = Float64Array.from(p.data) as never;
    const h0 = input64(rng, [1, 2, 3]), c0 = input64(rng, [1, 2, 3]);
    const x = input64(rng, [4, 2, 2]);
    if (m instanceof LSTM) {
      expect(gradcheck((xx: Tensor, h: Tensor, c: Tensor) => {
        const r = m.forwardWithState(xx, [h, c]);
        return add(add(r.output.sum(), mul(r.h, 2).sum()), mul(r.c, 3).sum());
      }, [x, h0, c0])).toBe(true);
    } else {
      expect(gradcheck((xx: Tensor, h: Tensor) => {
        const r = (m as GRU).forwardWithState(xx, h);
        return add(r.output.sum(), mul(r.h, 2).sum());
      }, [x, h0])).toBe(true);
    }
  });

  it("names a wrong input or state shape", () => {
    const m = make(3, 4, { batchFirst: true });
    expect(() => m.forward(new Tensor(new Float32Array(8), [2, 4]))).toThrow(/input must be \[B, T, inputSize\] with inputSize 3/);
    expect(() => m.forward(new Tensor(new Float32Array(12), [2, 2, 3]), (kind === "LSTM" ? [new Tensor(new Float32Array(4), [1, 1, 4]), null] : new Tensor(new Float32Array(4), [1, 1, 4])) as never))
      .toThrow(/initial state must be \[numLayers·directions, B, hiddenSize\] = \[1, 2, 4\]/);
  });
});

// Token ids through an Embedding into an LSTM: the int input path end to end.
it("Embedding → GRU on int32 tokens gives per-token outputs and parameter gradients", () => {
  const emb = new Embedding(7, 4), g = new GRU(4, 5, { batchFirst: true });
  const y = g.forward(emb.forward(tokens([3, 6], 7)));
  expect(y.shape).toEqual([3, 6, 5]);
  y.sum().backward();
  expect(emb.weight.grad!.data.some((v) => v !== 0)).toBe(true);
});
