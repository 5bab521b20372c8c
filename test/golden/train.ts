/**
 * Runner for golden `train` cases: in one process (the plain loop a user writes), and through
 * the data-parallel engine with W workers (each batch split in W contiguous shards).
 */
import { createOptimizer } from "@weft/optim";
import { DataParallel, buildModel, checkLossSpec, l1Term, type L1Spec, type LayerSpec, type LossSpec, type LossType } from "@weft/parallel";
import { add } from "@weft/tensor";
import { LOSSES } from "./loss.js";
import { checkOptimizer } from "./optim.js";
import { checkKeys, expectClose, toTensor, type GCase, type GTensor } from "./cases.js";

interface Batch { input: GTensor; target: GTensor }

function parse(c: GCase) {
  checkKeys("train case", c as Record<string, unknown>, ["kind", "name", "tol", "model", "state", "loss", "optimizer", "l1", "batches", "losses", "stateAfter"]);
  const loss = c.loss as { type: string; [k: string]: unknown };
  if (!LOSSES[loss.type]) throw new Error(`unknown loss ${JSON.stringify(loss.type)}`);
  checkKeys(`loss ${loss.type}`, loss, ["type", ...LOSSES[loss.type].attrs.filter((a) => a !== "reduction"), "reduction"]);
  if (loss.reduction !== undefined && loss.reduction !== "mean") throw new Error(`train cases use mean reduction, got ${JSON.stringify(loss.reduction)}`);
  const { reduction: _r, ...lossRest } = loss;
  const lossSpec = lossRest as unknown as LossSpec;
  checkLossSpec(lossSpec);
  const opt = c.optimizer as { type: string; config?: Record<string, unknown> };
  checkKeys("optimizer", opt, ["type", "config"]);
  const optType = checkOptimizer(opt.type, opt.config ?? {});
  if (c.l1) checkKeys("l1", c.l1 as Record<string, unknown>, ["lambda", "params"]);
  return { model: c.model as LayerSpec[], state: c.state as Record<string, GTensor>, loss: lossSpec, optType, optConfig: opt.config ?? {}, l1: c.l1 as L1Spec | undefined, batches: c.batches as Batch[] };
}

function checkStateAfter(c: GCase, state: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>): void {
  const expected = c.stateAfter as Record<string, GTensor>;
  for (const [k, e] of Object.entries(expected)) {
    const t = state[k];
    if (!t) throw new Error(`stateAfter names ${k}, which the model does not have`);
    expectClose(`${k} after training`, e.shape.length === 0 ? [] : t.shape, t.data, e, c.tol);
  }
  const extra = Object.keys(state).filter((k) => !(k in expected));
  if (extra.length) throw new Error(`the model has state the case does not: ${extra.join(", ")}`);
}

/** The plain single-process loop: zero grads, forward, loss (+ L1), backward, step. */
export function runTrainCase(c: GCase): void {
  const p = parse(c);
  const model = buildModel(p.model);
  model.loadStateDict(p.state);
  model.train();
  const opt = createOptimizer(p.optType, model.parameters(), p.optConfig);
  p.batches.forEach((b, k) => {
    model.zeroGrad();
    const out = model.forward(toTensor(b.input));
    const target = toTensor(b.target);
    const loss = LOSSES[p.loss.type as LossType].run(out, target, { reduction: "mean", labelSmoothing: p.loss.labelSmoothing });
    // The expected loss is the objective: the mean loss plus the L1 term.
    const total = p.l1 ? add(loss, l1Term(model, p.l1)) : loss;
    expectClose(`loss of batch ${k}`, total.shape, total.data, { shape: [], data: [(c.losses as number[])[k]] }, c.tol);
    total.backward();
    opt.step();
  });
  checkStateAfter(c, model.stateDict());
}

/** A model file whose createModel(ctx) builds `ctx.options.layers`: the engine's module path. */
const LAYERS_MODEL = new URL("./fixtures/layers-model.mjs", import.meta.url);

/**
 * The same case through the data-parallel engine with `workers` workers, from the layer list
 * itself or (`via: "module"`) from a model file that builds it. Inputs of any shape (images,
 * int32 tokens); a target of T values a row is one per token (`Flatten {startDim 0, endDim 1}`).
 */
export async function runTrainCaseParallel(c: GCase, workers: number, via: "layers" | "module" = "layers"): Promise<void> {
  const p = parse(c);
  const model = via === "layers" ? { model: p.model } : { model: LAYERS_MODEL, modelOptions: { layers: p.model } };
  const dp = await DataParallel.create({ ...model, state: p.state, loss: p.loss, l1: p.l1, optimizer: { type: p.optType, config: p.optConfig }, workers, seed: 0 });
  try {
    const first = p.batches[0];
    const sampleShape = first.input.shape.slice(1);
    const index = p.loss.type === "crossEntropyLoss";
    const perRow = first.target.data.length / first.input.shape[0];
    const targetShape = index ? (perRow === 1 ? [] : [perRow]) : first.target.shape.length === 1 ? [1] : first.target.shape.slice(1);
    const x = p.batches.flatMap((b) => b.input.data);
    const y = p.batches.flatMap((b) => b.target.data);
    await dp.setData({ x: first.input.dtype === "int" ? Int32Array.from(x) : Float32Array.from(x), sampleShape, y: index ? Int32Array.from(y) : Float32Array.from(y), targetShape });
    const batches: [number, number][] = [];
    let offset = 0;
    for (const b of p.batches) {
      batches.push([offset, b.input.shape[0]]);
      offset += b.input.shape[0];
    }
    const rows = Int32Array.from({ length: offset }, (_, i) => i);
    const { losses } = await dp.runSteps(rows, batches);
    (c.losses as number[]).forEach((e, k) => expectClose(`loss of batch ${k}`, [], [losses[k]], { shape: [], data: [e] }, c.tol));
    checkStateAfter(c, await dp.stateDict());
  } finally {
    await dp.close();
  }
}
