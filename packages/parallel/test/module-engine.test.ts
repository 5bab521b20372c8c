/**
 * The engine's any-Module path (DDP): model files, data of any shape, gradient accumulation,
 * clipping and parameter groups — each against the single-thread loop a user writes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { crossEntropyLoss, mseLoss, type Module } from "@weft/layers";
import { clipGradNorm, createOptimizer } from "@weft/optim";
import { Rng, Tensor } from "@weft/tensor";
import { DataParallel, type DataParallelOptions, type LayerSpec } from "@weft/parallel";
import { createModel as residualMLP } from "./fixtures/residual-mlp.mjs";
import { createModel as tokenModel } from "./fixtures/tokens.mjs";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const TOL = { rtol: 1e-3, atol: 1e-4 }; // the golden train cases' tolerance

const open: DataParallel[] = [];
async function create(o: DataParallelOptions): Promise<DataParallel> {
  const dp = await DataParallel.create({ seed: 7, ...o });
  open.push(dp);
  return dp;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
});

function randomRows(rows: number, features: number, classes: number, seed: number) {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * features);
  rng.fillNormal(x);
  const y = Int32Array.from({ length: rows }, () => rng.int(classes));
  return { x, y, features };
}

function expectClose(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol = TOL): void {
  expect(got.length, what).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i] - want[i]) <= tol.atol + tol.rtol * Math.abs(want[i]))) bad.push(`[${i}] ${got[i]} vs ${want[i]}`);
  expect(bad.slice(0, 5), `${what}: ${bad.length} values off`).toEqual([]);
}

const rowsOf = (x: Float32Array | Int32Array, f: number, from: number, to: number, shape: number[]) =>
  new Tensor(x.slice(from * f, to * f) as Float32Array, [to - from, ...shape]);

/** Consecutive batches over identity indices. */
function schedule(sizes: number[]): [Int32Array, [number, number][]] {
  const batches: [number, number][] = [];
  let at = 0;
  for (const s of sizes) {
    batches.push([at, s]);
    at += s;
  }
  return [Int32Array.from({ length: at }, (_, i) => i), batches];
}

function stateOf(m: Module): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Float32Array.from(t.data)]));
}

async function expectSameState(dp: DataParallel, ref: Module): Promise<void> {
  const got = await dp.stateDict();
  const want = stateOf(ref);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [k, v] of Object.entries(want)) expectClose(k, got[k].data, v);
}

describe("any Module through the engine (a model file exporting createModel)", () => {
  const data = randomRows(96, 6, 3, 1);
  const sizes = [16, 16, 16, 16, 17, 15];
  const options = { inFeatures: 6, hidden: 12, classes: 3, blocks: 2, dropout: 0 };

  /** The plain loop over the same module: zero grads, forward, mean loss, backward, Adam step. */
  function reference(): { model: Module; losses: number[] } {
    const model = residualMLP({ rng: new Rng(7), inputShape: [6], numClasses: 3, rank: 0, worldSize: 1, options }) as Module;
    model.train();
    const opt = createOptimizer("Adam", model.parameters(), { lr: 1e-2 });
    const losses: number[] = [];
    let at = 0;
    for (const s of sizes) {
      model.zeroGrad();
      const loss = crossEntropyLoss(model.forward(rowsOf(data.x, 6, at, at + s, [6])), data.y.slice(at, at + s));
      losses.push(loss.item());
      loss.backward();
      opt.step();
      at += s;
    }
    return { model, losses };
  }

  it("trains a residual MLP (BatchNorm and Dropout inside blocks) at W = 1, 2, 3 as the single-thread loop", async () => {
    const ref = reference();
    const [idx, batches] = schedule(sizes);
    for (const workers of [1, 2, 3]) {
      const dp = await create({ model: fixture("residual-mlp.mjs"), modelOptions: options, optimizer: { type: "Adam", config: { lr: 1e-2 } }, workers, data });
      // BatchNorm inside the blocks became SyncBatchNorm (W > 1), found anywhere in the tree.
      const { losses } = await dp.runSteps(idx, batches);
      expectClose(`losses at W=${workers}`, losses, ref.losses);
      await expectSameState(dp, ref.model);
      const buffers = await dp.workerBuffers();
      for (const b of buffers.slice(1)) expect(b).toEqual(buffers[0]); // running statistics identical on every worker
      await dp.close();
    }
  });

  it("draws Dropout anywhere in the tree from the per-(seed, rank, step) generator: the same seed and W give the same bits", async () => {
    const [idx, batches] = schedule(sizes);
    const run = async (seed: number) => {
      const dp = await create({ model: fixture("residual-mlp.mjs"), modelOptions: { ...options, dropout: 0.3 }, optimizer: { type: "Adam", config: { lr: 1e-2 } }, workers: 2, data, seed });
      const { losses } = await dp.runSteps(idx, batches);
      const params = Float32Array.from(dp.params);
      await dp.close();
      return { losses: Array.from(losses), params };
    };
    const a = await run(7), b = await run(7), c = await run(8);
    expect(b.losses).toEqual(a.losses);
    expect(b.params).toEqual(a.params);
    expect(c.losses).not.toEqual(a.losses);
    // Dropout is on: the losses differ from the dropout-free run's.
    expect(a.losses).not.toEqual(reference().losses);
  });

  it("starts every worker from one build's parameters and buffers, whatever createModel draws", async () => {
    // Different init on each worker would show as different running statistics or parameters.
    const dp = await create({ model: fixture("residual-mlp.mjs"), modelOptions: options, optimizer: { type: "Adam", config: { lr: 1e-2 } }, workers: 3, data });
    const ref = residualMLP({ rng: new Rng(7), inputShape: [6], numClasses: 3, rank: 0, worldSize: 1, options }) as Module;
    await expectSameState(dp, ref);
  });

  it("takes images [N, 1, 4, 4] and int32 token windows [N, T] with per-token targets, at W = 3 as at W = 1", async () => {
    const rng = new Rng(3);
    const imgs = new Float32Array(30 * 16);
    rng.fillNormal(imgs);
    const labels = Int32Array.from({ length: 30 }, () => rng.int(3));
    const tokens = Int32Array.from({ length: 30 * 5 }, () => rng.int(7));
    const next = Int32Array.from(tokens, (t, i) => (i % 5 === 4 ? 0 : tokens[i + 1]));
    const [idx, batches] = schedule([10, 10, 10]);
    const run = async (workers: number) => {
      const a = await create({ model: fixture("images.mjs"), optimizer: { type: "Adam", config: { lr: 1e-2 } }, workers, data: { x: imgs, sampleShape: [1, 4, 4], y: labels } });
      const b = await create({ model: fixture("tokens.mjs"), modelOptions: { vocab: 7 }, optimizer: { type: "Adam", config: { lr: 1e-2 } }, workers, data: { x: tokens, sampleShape: [5], y: next, targetShape: [5] } });
      const out = { img: Array.from((await a.runSteps(idx, batches)).losses), tok: Array.from((await b.runSteps(idx, batches)).losses), eval: await b.evaluate(idx) };
      await Promise.all([a.close(), b.close()]);
      return out;
    };
    const one = await run(1), three = await run(3);
    expectClose("image losses", three.img, one.img);
    expectClose("token losses", three.tok, one.tok);
    expect(one.tok[2]).toBeLessThan(one.tok[0]); // it learns
    expect(three.eval.loss).toBeCloseTo(one.eval.loss, 4);
    expect(three.eval.accuracy).toBe(one.eval.accuracy);
    // The token model, single-threaded: the first batch's mean loss over its 10 × 5 tokens.
    const ref = tokenModel({ rng: new Rng(7), inputShape: [5], numClasses: 7, rank: 0, worldSize: 1, options: { vocab: 7 } }) as Module;
    const first = crossEntropyLoss(ref.forward(new Tensor(tokens.slice(0, 50), [10, 5]) as unknown as Tensor), next.slice(0, 50));
    expect(one.tok[0]).toBeCloseTo(first.item(), 5);
  });

  it("uses the model file's loss (a mean over rows) with the engine's shard weighting: as the built-in mseLoss", async () => {
    const rng = new Rng(5);
    const x = new Float32Array(24 * 4);
    rng.fillNormal(x);
    const y = new Float32Array(24 * 3);
    rng.fillNormal(y);
    const [idx, batches] = schedule([9, 8, 7]);
    const file = await create({ model: fixture("custom-loss.mjs"), optimizer: { type: "SGD", config: { lr: 0.1 } }, workers: 3, data: { x, features: 4, y, targetWidth: 3 } });
    const spec = await create({ model: [{ type: "Linear", inFeatures: 4, outFeatures: 3 }], loss: { type: "mseLoss" }, optimizer: { type: "SGD", config: { lr: 0.1 } }, workers: 3, data: { x, features: 4, y, targetWidth: 3 } });
    const a = await file.runSteps(idx, batches), b = await spec.runSteps(idx, batches);
    expectClose("losses", a.losses, b.losses, { rtol: 1e-6, atol: 0 });
    expectClose("parameters", file.params, spec.params, { rtol: 1e-5, atol: 1e-7 });
  });
});

describe("model files that cannot train are refused before training, with the pool closed", () => {
  const data = randomRows(12, 6, 3, 2);
  const base = { optimizer: { type: "Adam", config: {} }, workers: 2, data };
  it("names the file and what is wrong", async () => {
    await expect(DataParallel.create({ ...base, model: fixture("throws-on-import.mjs") })).rejects.toThrow(/^model file file:.*throws-on-import\.mjs failed to import: broken on purpose/);
    await expect(DataParallel.create({ ...base, model: fixture("no-factory.mjs") })).rejects.toThrow(/no-factory\.mjs exports no createModel\(ctx\) function \(it exports: build, model\)/);
    await expect(DataParallel.create({ ...base, model: fixture("not-a-module.mjs") })).rejects.toThrow(/not-a-module\.mjs: createModel returned a Object, not a Module of @weft\/layers/);
    await expect(DataParallel.create({ ...base, model: fixture("wrong-output.mjs") })).rejects.toThrow(/wrong-output\.mjs: the model's output \[1, 3\] for input \[2, 6\] does not fit targets \[2\] \(class indices\)/);
    await expect(DataParallel.create({ ...base, model: "./no/such/model.mjs" })).rejects.toThrow(/no[/\\]such[/\\]model\.mjs failed to import/);
    await expect(DataParallel.create({ ...base, model: residualMLP({ rng: new Rng(1), inputShape: [6], numClasses: 3, rank: 0, worldSize: 1 }) as never })).rejects.toThrow(/a Module instance cannot be sent to worker threads/);
  });
  it("ends a model file's run with one error naming the worker and step when a worker throws, exits or hangs", async () => {
    const [idx, batches] = schedule([3, 3, 3, 3]); // the 12 rows of the data
    for (const mode of ["throw", "exit", "hang"] as const) {
      process.env.WEFT_FAULT = `worker:1:step:2:${mode}`;
      try {
        const dp = await create({ ...base, model: fixture("residual-mlp.mjs"), modelOptions: { hidden: 8 }, barrierTimeoutMs: 1500 });
        const t0 = Date.now();
        const err = await dp.runSteps(idx, batches).catch((e: unknown) => e);
        expect(err).toMatchObject({ name: "WorkerError", rank: 1, step: 2, stalled: mode === "hang" });
        expect(Date.now() - t0).toBeLessThan(10_000);
        await expect(dp.runSteps(idx, batches)).rejects.toThrow(/the pool is closed/);
      } finally {
        delete process.env.WEFT_FAULT;
      }
    }
  });

  it("refuses a factory that builds a different architecture on some worker, naming the parameters", async () => {
    await expect(DataParallel.create({ ...base, model: fixture("varying.mjs"), data: undefined, inputShape: [6] })).rejects.toThrow(/worker 1 failed at step -1: model file .*varying\.mjs: worker 1's build has parameters \[weight\(24\), bias\(4\)\] but the first build had \[weight\(18\), bias\(3\)\]/);
  });
});

const MLP: LayerSpec[] = [{ type: "Linear", inFeatures: 6, outFeatures: 8 }, { type: "Tanh" }, { type: "Linear", inFeatures: 8, outFeatures: 3 }];

describe("what DDP users reach for, each against a hand-computed single-thread reference", () => {
  const data = randomRows(64, 6, 3, 9);
  const plain = () => {
    const dp0 = new Rng(7);
    return import("@weft/parallel").then(({ buildModel }) => buildModel(MLP, { rng: dp0 }));
  };

  it("gradient accumulation: k micro-batches, one all-reduce, equal to one batch of their k·B rows", async () => {
    const sizes = [8, 8, 8, 8, 8, 7]; // 3 optimiser steps of 2 micro-batches (16, 16 and 15 rows)
    const [idx, batches] = schedule(sizes);
    const ref = await plain();
    const opt = createOptimizer("Adam", ref.parameters(), { lr: 1e-2 });
    let at = 0;
    for (let g = 0; g < sizes.length; g += 2) {
      const rows = sizes[g] + sizes[g + 1];
      // One batch of the group's rows: the mean over all of them.
      ref.zeroGrad();
      crossEntropyLoss(ref.forward(rowsOf(data.x, 6, at, at + rows, [6])), data.y.slice(at, at + rows)).backward();
      opt.step();
      at += rows;
    }
    for (const workers of [1, 2, 3]) {
      const dp = await create({ model: MLP, optimizer: { type: "Adam", config: { lr: 1e-2 } }, workers, data, accumulationSteps: 2 });
      const { losses } = await dp.runSteps(idx, batches);
      expect(losses.length).toBe(6); // each micro-batch's own mean loss
      await expectSameState(dp, ref);
      await dp.close();
    }
  });

  it("clipGradNorm: the global norm of the reduced gradient over all shards, as clip_grad_norm_ (returning the pre-clip norm)", async () => {
    const sizes = [16, 16, 16, 16];
    const [idx, batches] = schedule(sizes);
    const ref = await plain();
    const opt = createOptimizer("SGD", ref.parameters(), { lr: 0.5 });
    const norms: number[] = [];
    let at = 0;
    for (const s of sizes) {
      ref.zeroGrad();
      crossEntropyLoss(ref.forward(rowsOf(data.x, 6, at, at + s, [6])), data.y.slice(at, at + s)).backward();
      norms.push(clipGradNorm(ref.parameters(), 0.1));
      opt.step();
      at += s;
    }
    expect(Math.min(...norms)).toBeGreaterThan(0.1); // every step clips
    for (const workers of [1, 3]) {
      const dp = await create({ model: MLP, optimizer: { type: "SGD", config: { lr: 0.5 } }, workers, data, clipGradNorm: 0.1 });
      const { gradNorms } = await dp.runSteps(idx, batches);
      expectClose(`norms at W=${workers}`, gradNorms, norms, { rtol: 1e-4, atol: 1e-6 });
      await expectSameState(dp, ref);
      await dp.close();
    }
  });

  it("parameter groups: no weight decay and their own lr for the biases; a call's lr scales every group alike", async () => {
    const sizes = [16, 16, 16];
    const [idx, batches] = schedule(sizes);
    const ref = await plain();
    const named = Object.fromEntries(ref.namedParameters());
    // runSteps' lr 0.005 is half the config's 0.01: the bias group's 0.04 becomes 0.02.
    const opt = createOptimizer("AdamW", [{ params: [named["0.bias"], named["2.bias"]], lr: 0.02, weightDecay: 0 }, { params: [named["0.weight"], named["2.weight"]] }], { lr: 0.005, weightDecay: 0.5 });
    let at = 0;
    for (const s of sizes) {
      ref.zeroGrad();
      crossEntropyLoss(ref.forward(rowsOf(data.x, 6, at, at + s, [6])), data.y.slice(at, at + s)).backward();
      opt.step();
      at += s;
    }
    for (const workers of [1, 2, 3]) {
      const dp = await create({ model: MLP, optimizer: { type: "AdamW", config: { lr: 0.01, weightDecay: 0.5 } }, paramGroups: [{ params: ["0.bias", "2.bias"], lr: 0.04, weightDecay: 0 }], workers, data });
      await dp.runSteps(idx, batches, { lr: 0.005 });
      await expectSameState(dp, ref);
      await dp.close();
    }
  });

  it("checks accumulation, clipping and groups before starting any worker", async () => {
    const base = { model: MLP, optimizer: { type: "Adam", config: {} }, workers: 2, data };
    await expect(DataParallel.create({ ...base, accumulationSteps: 0 })).rejects.toThrow(/accumulationSteps must be a positive integer, got 0/);
    await expect(DataParallel.create({ ...base, clipGradNorm: -1 })).rejects.toThrow(/clipGradNorm: maxNorm must be a number ≥ 0, got -1/);
    await expect(DataParallel.create({ ...base, paramGroups: [{ params: ["0.bais"] }] })).rejects.toThrow(/paramGroups\[0\]: the model has no parameter "0\.bais" \(it has: 0\.weight, 0\.bias, 2\.weight, 2\.bias\)/);
    await expect(DataParallel.create({ ...base, paramGroups: [{ params: ["0.bias"] }, { params: ["0.bias"] }] })).rejects.toThrow(/paramGroups\[1\]: parameter "0\.bias" is also in paramGroups\[0\]/);
  });

  it("runs the step only through the communicator's collectives: one a module composes over the shared one gives the same bits", async () => {
    const bn: LayerSpec[] = [{ type: "Linear", inFeatures: 6, outFeatures: 8, bias: false }, { type: "BatchNorm1d", numFeatures: 8 }, { type: "ReLU" }, { type: "Linear", inFeatures: 8, outFeatures: 3 }];
    const [idx, batches] = schedule([16, 16, 16]);
    const counts = new SharedArrayBuffer(5 * 4);
    const plainRun = await create({ model: bn, optimizer: { type: "Adam", config: { lr: 1e-2 } }, workers: 2, data });
    const viaModule = await create({ model: bn, optimizer: { type: "Adam", config: { lr: 1e-2 } }, workers: 2, data, communicator: { module: fixture("counting-communicator.mjs").href, options: { counts } } });
    const a = await plainRun.runSteps(idx, batches), b = await viaModule.runSteps(idx, batches);
    expect(Array.from(b.losses)).toEqual(Array.from(a.losses));
    expect(Array.from(viaModule.params)).toEqual(Array.from(plainRun.params));
    // Per rank: 3 reduce-scatters and all-gathers; SyncBatchNorm's 2 all-reduces a step, the setup's
    // buffer broadcast and parameter broadcast, the call's one all-reduce of the loss shares.
    expect(Array.from(new Int32Array(counts))).toEqual([2 * 3, 2 * 3, 2 * (3 * 2 + 1), 2 * 2, 0]);
    await expect(DataParallel.create({ model: bn, optimizer: { type: "Adam", config: {} }, workers: 2, data, communicator: { module: fixture("no-factory.mjs").href } })).rejects.toThrow(/worker \d failed at step -1: communicator module .*no-factory\.mjs exports no createCommunicator/);
  });

  it("syncBatchNorm: false keeps each worker's BatchNorm local (its own shard's statistics)", async () => {
    const bn: LayerSpec[] = [{ type: "Linear", inFeatures: 6, outFeatures: 4 }, { type: "BatchNorm1d", numFeatures: 4 }];
    const dp = await create({ model: bn, loss: { type: "mseLoss" }, optimizer: { type: "SGD", config: { lr: 0 } }, workers: 2, syncBatchNorm: false, data: { x: data.x, features: 6, y: new Float32Array(64 * 4), targetWidth: 4 } });
    const [idx, batches] = schedule([64]);
    await dp.runSteps(idx, batches);
    const [a, b] = await dp.workerBuffers();
    expect(a["1.running_mean"]).not.toEqual(b["1.running_mean"]);
    void mseLoss;
  });
});
