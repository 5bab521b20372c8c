/**
 * `weft train --task lm`: the character-level language model on the names corpus (or a text
 * file), data-parallel over worker threads like every run.
 *
 * Data: the documents split by document (80/10/10, seeded); training samples are every window of
 * `blockSize` characters of the training stream (stride 1), held-out ones the windows at stride
 * `blockSize` (each character scored once). Step k trains on `batchSize` windows of pass
 * p = ⌊k·B / N⌋'s seeded permutation, at AdamW's learning rate `lr·(1 + cos(π·k/steps))/2`:
 * both depend on k and the seed only, so a resumed run takes the same steps, bit for bit.
 *
 * The run directory: config.json ({task: "lm", options, vocabulary, model options}),
 * metrics.jsonl, model.safetensors (PyTorch keys), optimizer.safetensors, and
 * checkpoints/epoch-k/ + checkpoint.json (the resumable state, written after the deliverables).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { DataParallel } from "@weft/parallel";
import { Rng, readSafetensorsFile, writeSafetensorsFile, type Tensor } from "@weft/tensor";
import { CHAR_LM_MODEL, loadDocuments, splitCorpus, windows } from "@weft/text";
import type { LmOptions, LmRunFlags } from "./lm-config.js";
import { UsageError } from "./errors.js";
import type { Reporter } from "./progress.js";
import { createRunDir, defaultRunDir, saveModelFiles, writeJsonAtomic, writeMetrics, writeOptimizerFile, type TensorMap } from "./run-dir.js";

/** What config.json of an lm run holds (weft sample reads it). */
export interface LmRunConfig {
  task: "lm";
  options: LmOptions;
  /** The characters, in id order ("\n" ends a document). */
  vocabulary: string[];
  /** CharTransformer's options (without the vocabulary size). */
  model: { blockSize: number; dModel: number; nhead: number; numLayers: number; dimFeedforward: number; dropout: number };
  data: { source: string; documents: { train: number; val: number; test: number }; characters: { train: number; val: number; test: number } };
}

export interface LmEpochLine {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  trainLoss: number;
  valLoss: number;
  valAccuracy: number;
  tokensPerSec: number;
  seconds: number;
  lr: number;
}

export interface LmResult {
  dir: string;
  test: { loss: number; accuracy: number };
  seconds: number;
}

const SHUFFLE_KEY = 1;
/** Held-out windows per evaluation call of a worker: 64 windows of 32 keep the step arena small. */
const EVAL_BATCH = 64;

/** The steps that end each epoch: epoch e covers steps [ends[e−1], ends[e]). */
export function epochEnds(steps: number, epochs: number): number[] {
  return Array.from({ length: epochs }, (_, e) => Math.round(((e + 1) * steps) / epochs));
}

/** AdamW's learning rate at step k of `steps`: cosine decay from `lr` to 0. */
export function cosineLr(lr: number, k: number, steps: number): number {
  return 0.5 * lr * (1 + Math.cos((Math.PI * k) / steps));
}

function toTensorMap(state: Record<string, Tensor>): TensorMap {
  const out: TensorMap = {};
  for (const [k, t] of Object.entries(state)) out[k] = { shape: [...t.shape], data: t.data as Float32Array };
  return out;
}

/** The resumable state of a run: the latest complete checkpoint, or null. */
function readCheckpoint(dir: string): { epoch: number; step: number; metrics: LmEpochLine[]; model: TensorMap; optimizer: { type: string; step: number; state: Record<string, Float32Array> } } | null {
  const pointer = join(dir, "checkpoint.json");
  if (!existsSync(pointer)) return null;
  const { epoch, dir: sub } = JSON.parse(readFileSync(pointer, "utf8")) as { epoch: number; dir: string };
  const base = join(dir, sub);
  const state = JSON.parse(readFileSync(join(base, "state.json"), "utf8")) as { step: number; metrics: LmEpochLine[] };
  const model = readSafetensorsFile(join(base, "model.safetensors")).tensors as TensorMap;
  const opt = readSafetensorsFile(join(base, "optimizer.safetensors"));
  const optState: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(opt.tensors)) optState[k] = t.data as Float32Array;
  return { epoch, step: state.step, metrics: state.metrics, model, optimizer: { type: opt.metadata.type ?? "AdamW", step: Number(opt.metadata.step), state: optState } };
}

function writeCheckpoint(dir: string, epoch: number, step: number, metrics: LmEpochLine[], model: TensorMap, optimizer: { type: string; step: number; state: Record<string, Float32Array> }): void {
  const root = join(dir, "checkpoints");
  mkdirSync(root, { recursive: true });
  const name = `epoch-${epoch}`, tmp = join(root, `${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeSafetensorsFile(join(tmp, "model.safetensors"), model, { format: "pt" });
  writeOptimizerFile(join(tmp, "optimizer.safetensors"), optimizer);
  writeJsonAtomic(join(tmp, "state.json"), { step, metrics });
  rmSync(join(root, name), { recursive: true, force: true });
  renameSync(tmp, join(root, name));
  writeJsonAtomic(join(dir, "checkpoint.json"), { epoch, dir: `checkpoints/${name}` });
  // The previous epoch's stays too (one to fall back on); older ones go.
  if (epoch > 2) rmSync(join(root, `epoch-${epoch - 2}`), { recursive: true, force: true });
}

/** Reads an lm run's config.json; a run of another task or a missing file is a UsageError. */
export function readLmRunConfig(dir: string, flag: string): LmRunConfig {
  const file = join(dir, "config.json");
  if (!existsSync(file)) throw new UsageError(`${flag} ${dir}: no config.json there: not a weft run directory`);
  const c = JSON.parse(readFileSync(file, "utf8")) as LmRunConfig;
  if (c.task !== "lm") throw new UsageError(`${flag} ${dir}: that run is not a language model (weft train --task lm)`);
  return c;
}

/** Trains as `options` say into a new run directory, or continues the run in `run.resume`. */
export async function trainLm(options: LmOptions, run: LmRunFlags, reporter: Reporter, cwd = process.cwd()): Promise<LmResult> {
  const started = performance.now();
  let dir: string;
  let ckpt: ReturnType<typeof readCheckpoint> = null;
  if (run.resume) {
    dir = resolve(cwd, run.resume);
    options = readLmRunConfig(dir, "--resume").options;
    ckpt = readCheckpoint(dir);
  } else {
    dir = run.out ? resolve(cwd, run.out) : defaultRunDir(cwd);
    if (options.data.startsWith("text:")) options = { ...options, data: `text:${resolve(cwd, options.data.slice(5))}` };
  }
  let docs: readonly string[];
  try {
    docs = loadDocuments(options.data);
  } catch (e) {
    throw new UsageError(`--data ${(e as Error).message}`);
  }
  const split = splitCorpus(docs, { seed: options.seed });
  const T = options.blockSize;
  for (const [name, s] of Object.entries(split.streams)) {
    if (s.length < T + 1) throw new UsageError(`--data ${options.data}: the ${name} split has ${s.length} characters, fewer than --block-size ${T} + 1: give more text or a smaller --block-size`);
  }
  const tr = windows(split.streams.train, T), va = windows(split.streams.val, T, T), te = windows(split.streams.test, T, T);
  const x = new Int32Array((tr.rows + va.rows + te.rows) * T), y = new Int32Array(x.length);
  [tr, va, te].reduce((at, w) => {
    x.set(w.x, at);
    y.set(w.y, at);
    return at + w.x.length;
  }, 0);
  const range = (from: number, n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => from + i);
  const valIdx = range(tr.rows, va.rows), testIdx = range(tr.rows + va.rows, te.rows);
  const model = { blockSize: T, dModel: options.dModel, nhead: options.heads, numLayers: options.layers, dimFeedforward: options.ff, dropout: options.dropout };
  const config: LmRunConfig = {
    task: "lm", options, vocabulary: [...split.vocab.chars], model,
    data: {
      source: options.data,
      documents: { train: split.documents.train.length, val: split.documents.val.length, test: split.documents.test.length },
      characters: { train: split.streams.train.length, val: split.streams.val.length, test: split.streams.test.length },
    },
  };
  if (!run.resume) {
    createRunDir(dir);
    writeJsonAtomic(join(dir, "config.json"), config);
  }
  const { steps, epochs, batchSize: B } = options;
  if (B > tr.rows) throw new UsageError(`--batch-size ${B} is more than the ${tr.rows} training windows`);
  const ends = epochEnds(steps, epochs);
  const dp = await DataParallel.create({
    model: CHAR_LM_MODEL, modelOptions: { vocabSize: split.vocab.size, ...model },
    optimizer: { type: "AdamW", config: { lr: options.lr, weightDecay: options.weightDecay } },
    workers: options.workers, seed: options.seed,
    // One shard's step: ≈ 27 MB at 32 windows of the standard model; room for larger shards.
    arenaBytes: Math.max(32 << 20, Math.ceil(B / options.workers) * T * options.dModel * 4 * 64 * options.layers),
    data: { x, sampleShape: [T], y, targetShape: [T] },
  });
  try {
    const metrics = ckpt?.metrics ?? [];
    if (ckpt) await dp.loadState(ckpt.model, ckpt.optimizer, ckpt.step);
    const done = ckpt?.epoch ?? 0;
    reporter.info(
      `weft train --task lm → ${dir}\n${options.data}: ${config.data.documents.train.toLocaleString("en-US")} / ${config.data.documents.val.toLocaleString("en-US")} / ${config.data.documents.test.toLocaleString("en-US")} documents ` +
        `(train / val / test), ${split.vocab.size} characters, ${tr.rows.toLocaleString("en-US")} training windows of ${T}\n` +
        `model CharTransformer d ${options.dModel}, ${options.layers} layer${options.layers === 1 ? "" : "s"} × ${options.heads} heads, ff ${options.ff} (${dp.params.length.toLocaleString("en-US")} parameters), ` +
        `AdamW lr ${options.lr} (cosine), batch ${B}, ${steps} steps in ${epochs} epochs, ${options.workers} workers, seed ${options.seed}` +
        (done > 0 ? `\nresuming after epoch ${done}` : ""),
      { dir, task: "lm", data: options.data, documents: config.data.documents, vocabulary: split.vocab.size, parameters: dp.params.length, workers: options.workers, steps, epochs, resumedAfter: done },
    );
    const perPass = Math.floor(tr.rows / B) * B;
    let pass = -1, order = new Int32Array(0);
    for (let epoch = done; epoch < epochs; epoch++) {
      const t0 = performance.now();
      const first = epoch === 0 ? 0 : ends[epoch - 1], last = ends[epoch];
      reporter.epochStart(epoch + 1, epochs, last - first, (last - first) * B);
      let lossSum = 0;
      for (let k = first; k < last; k++) {
        const p = Math.floor((k * B) / perPass);
        if (p !== pass) {
          pass = p;
          order = Int32Array.from(new Rng(options.seed).split(SHUFFLE_KEY).split(p).permutation(tr.rows));
        }
        const { losses } = await dp.runSteps(order, [[(k * B) % perPass, B]], { lr: cosineLr(options.lr, k, steps) });
        lossSum += losses[0];
        reporter.progress(k - first + 1, lossSum / (k - first + 1));
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const val = await dp.evaluate(valIdx, EVAL_BATCH);
      const line: LmEpochLine = {
        epoch: epoch + 1, epochs, step: last, steps, trainLoss: lossSum / (last - first), valLoss: val.loss, valAccuracy: val.accuracy,
        tokensPerSec: ((last - first) * B * T) / trainSeconds, seconds: (performance.now() - t0) / 1000, lr: cosineLr(options.lr, first, steps),
      };
      metrics.push(line);
      const state = toTensorMap(await dp.stateDict()), opt = await dp.optimizerStateDict();
      saveModelFiles(dir, state, opt);
      writeMetrics(dir, metrics);
      writeCheckpoint(dir, epoch + 1, dp.steps, metrics, state, opt);
      reporter.end();
      reporter.result("epoch", epochText(line), { ...line });
    }
    const test = await dp.evaluate(testIdx, EVAL_BATCH);
    writeMetrics(dir, [...metrics, { split: "test", loss: test.loss, accuracy: test.accuracy }]);
    const seconds = (performance.now() - started) / 1000;
    reporter.result(
      "test",
      `test loss ${test.loss.toFixed(4)} nats/char (next-character accuracy ${(100 * test.accuracy).toFixed(2)}%) on ${config.data.characters.test.toLocaleString("en-US")} characters ` +
        `of ${config.data.documents.test.toLocaleString("en-US")} held-out documents, ${seconds.toFixed(1)} s in all\n` +
        `saved ${join(dir, "model.safetensors")} (PyTorch state-dict keys); sample with: weft sample --model ${dir} --count 10`,
      { split: "test", loss: test.loss, accuracy: test.accuracy, seconds, dir },
    );
    return { dir, test, seconds };
  } finally {
    reporter.end();
    await dp.close();
  }
}

function epochText(l: LmEpochLine): string {
  const w = String(l.epochs).length;
  return `epoch ${String(l.epoch).padStart(w)}/${l.epochs}  step ${l.step}/${l.steps}  train loss ${l.trainLoss.toFixed(4)}  val loss ${l.valLoss.toFixed(4)} nats/char  ` +
    `val acc ${(100 * l.valAccuracy).toFixed(2)}%  ${Math.round(l.tokensPerSec).toLocaleString("en-US")} tokens/s  ${l.seconds.toFixed(1)} s`;
}
