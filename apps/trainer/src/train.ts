/**
 * `weft train`: load and split the data, start the data-parallel engine, run the epochs
 * (validation, checkpoint, metrics and report after each), then test and save the model.
 *
 * Determinism, so that `--resume` continues bit for bit: epoch e's row order is
 * `Rng(seed).split(shuffle).split(e)`, its learning rate is the schedule replayed from epoch 0,
 * dropout and augmentation draw from the engine's per-(rank, global step) generators, and the
 * checkpoint holds parameters, buffers, optimiser arrays and step,
 * the global step count, the metrics (early stopping replays them) and the best weights.
 */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { EarlyStopping } from "@weft/optim";
import { DataParallel, WorkerError } from "@weft/parallel";
import type { Module } from "@weft/layers";
import { Rng, writeFileAtomic, type Tensor } from "@weft/tensor";
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from "./checkpoint.js";
import type { RunFlags, TrainOptions } from "./config.js";
import { absoluteDataPaths, loadSource, rowRange, splitAndStandardize } from "./data-source.js";
import { InterruptedError, RunError, UsageError } from "./errors.js";
import { layerGradNorms } from "./grad-norms.js";
import { watchSignals } from "./interrupt.js";
import { sameJson } from "./json-check.js";
import { lrAt, parseLrSchedule } from "./lr-schedule.js";
import { arenaBytesFor } from "./cnn.js";
import { describeModel, initialState } from "./model.js";
import { buildRunModule, checkModelFileUnchanged, describeModelFile, hasBatchNorm, isModelFile, modelFileRecord, parameterCount, sampleShapeOf } from "./model-file.js";
import { plural } from "./plural.js";
import type { EpochLine, Reporter } from "./progress.js";
import { renderReport } from "./report.js";
import { RNG_KEYS } from "./rng-keys.js";
import { buildRunConfig, modelMetadata, type RunConfig } from "./run-config.js";
import { clearLeftovers, createRunDir, defaultRunDir, saveModelFiles, writeJsonAtomic, writeMetrics, type TensorMap } from "./run-dir.js";
import { checkRunMemory } from "./run-memory.js";
import { readRunConfig } from "./saved-config.js";
import { classificationDetails, regressionDetails, regressionFigures } from "./split-figures.js";
import { TASKS, describeFigures, outputWidth, type TestFigures } from "./task.js";
import { hooksUrl } from "./worker-hooks.js";

const describeKernels = (k: RunConfig["kernels"]): string => `${k.backend}${k.relaxedSimd ? " (relaxed SIMD)" : ""}`;

export interface TrainResult {
  dir: string;
  epochs: number;
  test: TestFigures;
  seconds: number;
}

/** One epoch's line of metrics.jsonl. */
export interface EpochMetrics extends Omit<EpochLine, "epochs"> {
  gradNorms: Record<string, number>;
}

/** Consecutive batches over `rows` shuffled rows; a last batch of one row is dropped under BatchNorm (it cannot normalise one row). */
export function batchPlan(rows: number, batchSize: number, dropSingle: boolean): [number, number][] {
  const plan: [number, number][] = [];
  for (let o = 0; o < rows; o += batchSize) plan.push([o, Math.min(batchSize, rows - o)]);
  if (dropSingle && plan.length > 1 && plan[plan.length - 1]![1] === 1) plan.pop();
  return plan;
}

function toTensorMap(state: Record<string, Tensor>): TensorMap {
  const out: TensorMap = {};
  for (const [k, t] of Object.entries(state)) out[k] = { shape: [...t.shape], data: t.data as Float32Array };
  return out;
}

/**
 * Runs one epoch in ~10 `runSteps` calls, so the progress bar can show the running loss and
 * `afterChunk` can sample the gradient (the same steps as one call: the split changes no bits).
 */
async function runEpoch(dp: DataParallel, order: Int32Array, plan: [number, number][], lr: number, reporter: Reporter, afterChunk: () => void): Promise<number> {
  const chunk = Math.max(1, Math.ceil(plan.length / 10));
  let lossSum = 0;
  let rows = 0;
  for (let from = 0; from < plan.length; from += chunk) {
    const part = plan.slice(from, from + chunk);
    const known = rows > 0 ? lossSum / rows : Number.NaN;
    const { losses } = await dp.runSteps(order, part, { lr, onProgress: (done) => reporter.progress(from + done, known) });
    part.forEach(([, size], k) => {
      lossSum += losses[k]! * size;
      rows += size;
    });
    afterChunk();
    reporter.progress(from + part.length, lossSum / rows);
  }
  return lossSum / rows; // the mean over the epoch's samples
}

/**
 * Trains as `options` say into a new run directory, or continues the run in `run.resume`
 * (its saved options; only `epochs` from here when `epochsGiven`).
 */
export async function train(options: TrainOptions, run: RunFlags, reporter: Reporter, epochsGiven: boolean, cwd = process.cwd()): Promise<TrainResult> {
  // Ctrl-C / SIGTERM: the pool is closed at once, the awaited call rejects, and the run ends
  // below with a message saying where it stopped and how to resume (a second signal exits now).
  let dp: DataParallel | null = null;
  const signals = watchSignals(() => void dp?.close());
  try {
    return await trainWatched(options, run, reporter, epochsGiven, cwd, signals, (d) => (dp = d));
  } finally {
    signals.dispose();
  }
}

async function trainWatched(
  options: TrainOptions, run: RunFlags, reporter: Reporter, epochsGiven: boolean, cwd: string,
  signals: { readonly signal: NodeJS.Signals | null }, setPool: (dp: DataParallel) => void,
): Promise<TrainResult> {
  const started = performance.now();
  let saved: RunConfig | null = null;
  let dir: string;
  if (run.resume) {
    dir = resolve(cwd, run.resume);
    saved = readRunConfig(dir, "--resume");
    options = { ...saved.options, epochs: epochsGiven ? options.epochs : saved.options.epochs };
  } else {
    dir = run.out ? resolve(cwd, run.out) : defaultRunDir(cwd);
    options = { ...options, data: absoluteDataPaths(options.data, cwd), model: options.model === null ? null : resolve(cwd, options.model) };
  }
  const loaded = loadSource(options.data, { ...options, classNames: saved?.data.classNames });
  const loadedBytes = loaded.x.byteLength + loaded.y.byteLength;
  const data = splitAndStandardize(loaded, options.splits, options.seed, saved ? Array.isArray(saved.standardization.mean) : undefined);
  if (options.model === null && options.norm === "batch" && data.rows.train < 2) throw new UsageError(`--splits leaves ${data.rows.train} training row: BatchNorm needs at least 2`);
  // Before the run directory exists (or a checkpoint is read): a run that cannot fit is refused here.
  const { train: nTrain, val: nVal, test: nTest } = data.rows;
  const sampleShape = sampleShapeOf(data);
  const outputs = outputWidth(options.task, data);
  const fileRecord = options.model === null ? undefined : saved ? undefined : modelFileRecord(options.model, sampleShape, outputs);
  const config: RunConfig = saved ? { ...saved, options } : buildRunConfig(options, data, fileRecord);
  if (saved && isModelFile(config.model)) checkModelFileUnchanged(config.model, `--resume ${dir}`);
  const fromFile = isModelFile(config.model);
  const memory = { features: data.features, classes: outputs, rows: nTrain + nVal + nTest, loadedBytes };
  const savedIn = saved ? join(dir, "config.json") : undefined;
  // A layer-spec model's size is known from its spec: a run that cannot fit is refused before anything is built.
  if (!fromFile) checkRunMemory(options, memory, undefined, savedIn);
  // The network once on this thread: the checkpoint's shapes, a model file's size and its errors before any worker starts.
  const probe = (await buildRunModule(config.model, options.seed)).module;
  const parameters = parameterCount(probe);
  /** The main thread's copy for the figures the engine does not compute (regression metrics, the report's test views). */
  const net = { module: probe, sampleShape: fromFile ? sampleShape : [data.features] };
  if (fromFile) checkRunMemory(options, { ...memory, parameters }, undefined, savedIn);
  const plan = batchPlan(nTrain, options.batchSize, fromFile ? hasBatchNorm(probe) : options.norm === "batch");
  let ckpt: Checkpoint | null = null;
  if (saved) {
    if (!sameJson(saved.standardization, data.standardization) || !sameJson(saved.targetStandardization, data.targetStandardization) || saved.data.rows.train !== data.rows.train) {
      throw new UsageError(`--resume ${dir}: ${options.data} is not the data this run started on: its training split's mean/std differ from "standardization" in ${join(dir, "config.json")} (the data or that file changed)`);
    }
    const now = buildRunConfig(options, data).kernels;
    const was = saved.kernels;
    if (was && (was.backend !== now.backend || was.relaxedSimd !== now.relaxedSimd)) {
      // Allowed, but the bit-for-bit promise of --resume holds only for the same kernels.
      process.stderr.write(`note: the run in ${dir} started on the ${describeKernels(was)} kernels and resumes on the ${describeKernels(now)} ones: it continues, but not bit for bit\n`);
    }
    clearLeftovers(dir);
    const arrays = DataParallel.planMemory({ parameters, workers: options.workers, optimizer: config.optimizer.type }).optimizerState;
    ckpt = loadCheckpoint(dir, {
      model: probe,
      optimizer: { type: config.optimizer.type, arrays, parameters },
      stepsPerEpoch: plan.length,
      earlyStopping: options.earlyStopping !== null,
      metricKeys: TASKS[options.task].metricKeys,
    });
    if (ckpt && ckpt.epoch > options.epochs) throw new UsageError(`--epochs ${options.epochs}: the run in ${dir} has already completed ${plural(ckpt.epoch, "epoch")}`);
  } else {
    createRunDir(dir);
  }
  writeJsonAtomic(join(dir, "config.json"), config);
  const metadata = modelMetadata(config);

  const { train: trainRows, val: valRows, test: testRows } = data.rows;
  const regression = options.task === "regression";
  const planRows = plan.reduce((s, [, n]) => s + n, 0);
  const W = options.workers;
  const doneEpochs = ckpt?.epoch ?? 0;
  // Image data (the only kind --augment takes) has one scalar mean and std.
  const { mean, std } = data.standardization as { mean: number; std: number };
  const hooks =
    options.augment && data.shape
      ? hooksUrl({ augment: { h: data.shape[0], w: data.shape[1], fill: -mean / std, noiseStd: 0.05 / std, maxShift: 2 } })
      : undefined;

  if (signals.signal) throw interrupted(signals.signal, dir, doneEpochs, options.epochs, false);
  const dp = await DataParallel.create({
    ...(isModelFile(config.model)
      ? { model: config.model.file, inputShape: config.model.inputShape, numClasses: config.model.numClasses }
      : { model: config.model }),
    state: ckpt?.model ?? (isModelFile(config.model) ? undefined : initialState(config.model, options.init, options.activation, options.seed)),
    loss: config.loss ?? undefined,
    l1: config.l1 ?? undefined,
    optimizer: config.optimizer,
    workers: W,
    seed: options.seed,
    hooks,
    // In the run's shared memory: each step's batch gather then allocates nothing.
    data: {
      x: data.x,
      ...(fromFile ? { sampleShape } : { features: data.features }),
      ...(data.targets ? { y: data.targets, targetWidth: data.targetNames!.length } : { y: data.y }),
    },
    barrierTimeoutMs: Math.round(run.workerTimeout * 1000),
    arenaBytes: arenaBytesFor(options.arch, data.features, options.batchSize, W),
    communicator: run.communicator, // --distributed mpi: across the job's processes
  }).catch((e: unknown) => {
    // Refused before training (a model file whose output does not fit, say): a new run's directory holds only config.json, so it goes.
    if (!saved) rmSync(dir, { recursive: true, force: true });
    if (fromFile && !(e instanceof WorkerError) && e instanceof Error) throw new UsageError(`--model ${options.model}: ${e.message.replace(/^model file \S+: /, "")}`, { cause: e });
    throw e;
  });
  setPool(dp);
  /** Epochs whose checkpoint is written. */
  let completed = doneEpochs;
  let testing = false;
  try {
    if (signals.signal) await dp.close(); // a signal while the pool started
    reporter.info(
      `weft train → ${dir}\n${data.source}: ${trainRows.toLocaleString("en-US")} train / ${valRows.toLocaleString("en-US")} val / ${plural(testRows, "test row")}, ` +
        `${plural(data.features, "feature")}, ${regression ? `${plural(data.targetNames!.length, "target")} (${data.targetNames!.join(", ")})` : plural(data.classes, "class", "classes")}\n` +
        `model ${isModelFile(config.model) ? describeModelFile(config.model) : describeModel(config.model)} (${plural(dp.params.length, "parameter")}), ` +
        `${config.optimizer.type} lr ${options.lr}, batch ${options.batchSize}, ${plural(options.epochs, "epoch")}, ${plural(W, "worker")}, seed ${options.seed}` +
        (doneEpochs > 0 ? `\nresuming after epoch ${doneEpochs}` : ""),
      {
        dir, data: data.source, task: options.task, rows: data.rows, ...(data.classNames ? { classNames: data.classNames } : {}), ...(data.targetNames ? { targetNames: data.targetNames } : {}),
        model: config.model, parameters: dp.params.length, workers: W, epochs: options.epochs, resumedAfter: doneEpochs,
      },
    );
    if (ckpt) await dp.loadState(ckpt.model, ckpt.optimizer, ckpt.step);

    const stopper = options.earlyStopping ? new EarlyStopping({ patience: options.earlyStopping, restoreBestWeights: false }) : null;
    const metrics = [...((ckpt?.metrics ?? []) as unknown as EpochMetrics[])];
    for (const m of metrics) stopper?.step(m.valLoss);
    let best = ckpt?.best;
    let stopped = ckpt?.stopped ?? false;
    const schedule = parseLrSchedule(options.lrSchedule);
    const valIdx = rowRange(trainRows, trainRows + valRows);
    const testIdx = rowRange(trainRows + valRows, trainRows + valRows + testRows);

    if (stopped) reporter.result("early-stop", `this run was ended by early stopping after epoch ${doneEpochs}: nothing more to train`, { bestEpoch: stopper!.bestEpoch + 1 });
    else if (doneEpochs === options.epochs) reporter.result("done", `this run has already trained ${plural(doneEpochs, "epoch")}: nothing more to train`, { epochs: doneEpochs });

    for (let epoch = doneEpochs; epoch < options.epochs && !stopped; epoch++) {
      const t0 = performance.now();
      const lr = lrAt(schedule, options.lr, epoch, options.epochs);
      const order = Int32Array.from(new Rng(options.seed).split(RNG_KEYS.shuffle).split(epoch).permutation(trainRows));
      reporter.epochStart(epoch + 1, options.epochs, plan.length, planRows);
      const normSums: Record<string, number> = {};
      let samples = 0;
      const trainLoss = await runEpoch(dp, order, plan, lr, reporter, () => {
        for (const [k, v] of Object.entries(layerGradNorms(dp.model, dp.params, dp.grad, isModelFile(config.model) ? null : config.model))) normSums[k] = (normSums[k] ?? 0) + v;
        samples++;
      });
      const trainSeconds = (performance.now() - t0) / 1000;
      const gradNorms = Object.fromEntries(Object.entries(normSums).map(([k, v]) => [k, v / samples]));
      const val = await dp.evaluate(valIdx);
      const model = toTensorMap(await dp.stateDict());
      const figures = regression ? regressionFigures(net, data, model, trainRows, valRows) : { valAccuracy: val.accuracy };
      const line: EpochMetrics = {
        epoch: epoch + 1, trainLoss, valLoss: val.loss, ...figures,
        samplesPerSec: planRows / trainSeconds, seconds: (performance.now() - t0) / 1000, lr, gradNorms,
      };
      metrics.push(line);
      if (stopper) {
        stopped = stopper.step(val.loss);
        if (stopper.bestEpoch === epoch) best = model;
      }
      const optimizer = await dp.optimizerStateDict();
      // The deliverables first, then the checkpoint: whenever a checkpoint exists, so does a
      // whole model.safetensors (of that epoch or, if killed in between, the next).
      saveModelFiles(dir, model, optimizer, metadata);
      writeMetrics(dir, metrics);
      writeFileAtomic(join(dir, "report.html"), renderReport(config, metrics, null));
      saveCheckpoint(dir, { epoch: epoch + 1, step: dp.steps, metrics: metrics as unknown as Record<string, unknown>[], stopped, model, optimizer, best });
      completed = epoch + 1;
      reporter.epochEnd({ ...line, epochs: options.epochs });
      if (stopped) reporter.result("early-stop", `early stopping: no lower validation loss for ${plural(options.earlyStopping!, "epoch")}; keeping epoch ${stopper!.bestEpoch + 1}'s weights`, { bestEpoch: stopper!.bestEpoch + 1 });
    }

    testing = true;
    // With --early-stopping the model is the best epoch's (parameters and BatchNorm buffers).
    if (stopper && best) await dp.loadState(best, await dp.optimizerStateDict(), dp.steps);
    const evaluated = await dp.evaluate(testIdx);
    const finalModel = toTensorMap(await dp.stateDict());
    const test: TestFigures = regression
      ? { loss: evaluated.loss, ...regressionFigures(net, data, finalModel, trainRows + valRows, testRows) }
      : { loss: evaluated.loss, accuracy: evaluated.accuracy };
    saveModelFiles(dir, finalModel, await dp.optimizerStateDict(), metadata);
    writeMetrics(dir, [...metrics, { split: "test", ...test }]);
    const details = (regression ? regressionDetails : classificationDetails)(net, data, finalModel, trainRows + valRows, testRows);
    writeFileAtomic(join(dir, "report.html"), renderReport(config, metrics, test, details));
    const seconds = (performance.now() - started) / 1000;
    reporter.result(
      "test",
      `test ${describeFigures(test)} (loss ${test.loss.toFixed(4)}${regression ? ", MSE of the standardised targets" : ""}) on ${plural(testRows, "row")}, ${seconds.toFixed(1)} s in all\n` +
        `saved ${join(dir, "model.safetensors")} (PyTorch state-dict keys) and ${join(dir, "report.html")}`,
      { split: "test", ...test, seconds, dir },
    );
    return { dir, epochs: metrics.length, test, seconds };
  } catch (e) {
    reporter.end();
    if (signals.signal) {
      await dp.close();
      clearLeftovers(dir); // nothing is being written now (writes are synchronous): only a killed run's debris
      throw interrupted(signals.signal, dir, completed, options.epochs, testing);
    }
    if (!(e instanceof WorkerError)) throw e;
    const saved = completed > 0
      ? `the checkpoint of epoch ${completed} in ${dir} is intact: continue with weft train --resume ${dir}`
      : "no epoch had completed, so there is no checkpoint to resume";
    const what = e.stalled
      ? `worker ${e.rank} stopped responding at step ${e.step}: ${e.original.replace(/ \(stuck, or .*\)$/, "").replace(/within (\d+) ms/, (_, ms) => `within ${Number(ms) / 1000} s`)} — it is stuck, or its steps take longer than that: raise --worker-timeout`
      : e.message;
    throw new RunError(`${what} (in epoch ${completed + 1}); ${saved}`, { cause: e });
  } finally {
    await dp.close();
  }
}

function interrupted(signal: NodeJS.Signals, dir: string, completed: number, epochs: number, testing: boolean): InterruptedError {
  const where = testing ? `in the test evaluation after epoch ${completed}` : `in epoch ${completed + 1} of ${epochs}`;
  const kept = completed > 0 ? `the checkpoint of epoch ${completed} is intact` : "no epoch had completed";
  return new InterruptedError(signal, `interrupted by ${signal} ${where}; ${kept}: resume with weft train --resume ${dir}`);
}
