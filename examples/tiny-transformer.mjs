// A tiny character-level Transformer language model, trained with the library alone (no CLI):
// token + position embeddings → a causal, pre-norm TransformerEncoder → LayerNorm → Linear over the
// characters, trained with AdamW on next-character prediction over a few dozen names, then sampled
// one character at a time. The same model, bigger, is what `weft train --task lm` trains.
//
//   node examples/tiny-transformer.mjs
import { pathToFileURL } from "node:url";
import { Rng, Tensor, add, arange, noGrad, reshape, softmax } from "@weft/tensor";
import { Embedding, LayerNorm, Linear, Module, TransformerEncoder, TransformerEncoderLayer, crossEntropyLoss } from "@weft/layers";
import { AdamW } from "@weft/optim";

export const NAMES = [
  "emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail",
  "emily", "ella", "elizabeth", "camila", "luna", "sofia", "avery", "mila", "aria", "scarlett",
  "liam", "noah", "william", "james", "oliver", "benjamin", "elijah", "lucas", "mason", "logan",
  "alexander", "ethan", "jacob", "michael", "daniel", "henry", "jackson", "sebastian", "aiden", "matthew",
];

export const DEFAULTS = { seed: 0, blockSize: 8, dModel: 32, nhead: 4, layers: 2, dimFeedforward: 64, steps: 300, batchSize: 16, lr: 3e-3 };

/** The text as one stream: every name followed by "\n" (the end-of-name character); its vocabulary, sorted. */
export function encode(names) {
  const text = names.map((n) => `${n}\n`).join("");
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  return { chars, ids: Int32Array.from(text, (c) => index.get(c)) };
}

/** tokens [B, T] (int32) → logits [B, T, vocab]: each position sees itself and the positions before it. */
export class TinyTransformer extends Module {
  constructor({ vocab, blockSize, dModel, nhead, layers, dimFeedforward }, rng) {
    super();
    this.tok = new Embedding(vocab, dModel, { rng });
    this.pos = new Embedding(blockSize, dModel, { rng });
    const layer = new TransformerEncoderLayer(dModel, nhead, { dimFeedforward, dropout: 0, activation: "gelu", batchFirst: true, normFirst: true, rng });
    this.encoder = new TransformerEncoder(layer, layers);
    this.norm = new LayerNorm(dModel);
    this.head = new Linear(dModel, vocab, { rng });
  }

  forward(tokens) {
    const T = tokens.shape[1];
    const x = add(this.tok.forward(tokens), this.pos.forward(arange(0, T, 1, { dtype: "int32" })));
    return this.head.forward(this.norm.forward(this.encoder.forward(x, { isCausal: true })));
  }
}

/** A batch of `batchSize` windows at random offsets: inputs ids[o … o+T−1], targets ids[o+1 … o+T]. */
function batch(ids, T, batchSize, rng) {
  const x = new Int32Array(batchSize * T), y = new Int32Array(batchSize * T);
  for (let b = 0; b < batchSize; b++) {
    const o = rng.int(ids.length - T);
    x.set(ids.subarray(o, o + T), b * T);
    y.set(ids.subarray(o + 1, o + T + 1), b * T);
  }
  return { x: new Tensor(x, [batchSize, T]), y: new Tensor(y, [batchSize * T]) };
}

/** Trains the model; returns it, the vocabulary and the loss (nats per character) of every step. */
export function train(options = DEFAULTS) {
  const o = { ...DEFAULTS, ...options };
  const rng = new Rng(o.seed);
  const { chars, ids } = encode(NAMES);
  const model = new TinyTransformer({ ...o, vocab: chars.length }, rng);
  const opt = new AdamW(model.parameters(), { lr: o.lr, weightDecay: 0.01 });
  const losses = [];
  for (let step = 0; step < o.steps; step++) {
    const { x, y } = batch(ids, o.blockSize, o.batchSize, rng);
    model.zeroGrad();
    const logits = model.forward(x); // [B, T, vocab]
    const loss = crossEntropyLoss(reshape(logits, [-1, chars.length]), y);
    loss.backward();
    opt.step();
    losses.push(loss.item());
  }
  return { model, chars, losses };
}

/** `count` names, one character at a time from softmax(logits / temperature), each until "\n". */
export function sample(model, chars, { count = 10, temperature = 1, seed = 0, blockSize = DEFAULTS.blockSize, maxLength = 20 } = {}) {
  const rng = new Rng(seed);
  const end = chars.indexOf("\n");
  const names = [];
  model.eval();
  noGrad(() => {
    for (let n = 0; n < count; n++) {
      const context = [end]; // a name starts after an end-of-name
      let name = "";
      while (name.length < maxLength) {
        const window = context.slice(-blockSize);
        const logits = model.forward(new Tensor(Int32Array.from(window), [1, window.length]));
        const last = logits.data.subarray((window.length - 1) * chars.length, window.length * chars.length);
        const p = softmax(new Tensor(Float32Array.from(last, (v) => v / temperature), [chars.length]), 0).data;
        let u = rng.uniform(), c = 0;
        while (c < p.length - 1 && (u -= p[c]) > 0) c++;
        if (c === end) break;
        name += chars[c];
        context.push(c);
      }
      names.push(name);
    }
  });
  model.train();
  return names;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { model, chars, losses } = train();
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  console.log(`vocabulary: ${chars.length} characters; uniform would be ${Math.log(chars.length).toFixed(3)} nats/char`);
  console.log(`loss (nats/char): first 10 steps ${mean(losses.slice(0, 10)).toFixed(3)}, last 10 steps ${mean(losses.slice(-10)).toFixed(3)}`);
  console.log(`samples: ${sample(model, chars, { count: 8 }).join(", ")}`);
}
