/**
 * Where a run's model comes from — a factory, as DDP wraps any module: a layer-spec list (the
 * built-in factory) or an ES module file exporting `createModel(ctx)` (and optionally
 * `loss(output, target)`). Every worker runs the same factory; the engine then broadcasts the
 * parameters and buffers of one build, so what `createModel` draws does not matter.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isModule, type Module } from "@weft/layers";
import { Tensor, type Rng } from "@weft/tensor";
import type { LossFn } from "./loss-spec.js";
import { buildModel, type LayerSpec } from "./model-spec.js";

/** What `createModel(ctx)` is given. */
export interface ModelContext {
  /** A seeded generator for initialisation (the run's seed; the engine broadcasts one build's values anyway). */
  rng: Rng;
  /** One sample's shape: `[784]` for flat rows, `[1, 28, 28]` for images, `[T]` for tokens. */
  inputShape: number[];
  /** Number of classes (class-index targets), when known. */
  numClasses?: number;
  rank: number;
  worldSize: number;
  /** What the caller passed as `modelOptions` (structured-clone data), if anything. */
  options?: unknown;
}

/** A model as the workers receive it: data that crosses a structured clone. */
export type ModelSource = { kind: "layers"; layers: LayerSpec[] } | { kind: "module"; url: string };

/** A loaded model factory and the loss that comes with it (null: the run's built-in loss). */
export interface ModelFactory {
  /** What the model is, for messages: "layer specs" or the file's URL. */
  describe: string;
  create(ctx: ModelContext): Module;
  loss: LossFn | null;
}

/** The `model` option as a source: a layer list, a path (relative to the working directory) or a file URL. */
export function modelSource(model: unknown): ModelSource {
  if (Array.isArray(model)) return { kind: "layers", layers: model as LayerSpec[] };
  if (model instanceof URL) return { kind: "module", url: model.href };
  if (typeof model === "string") {
    if (/^(file|data):/.test(model)) return { kind: "module", url: model };
    return { kind: "module", url: pathToFileURL(isAbsolute(model) ? model : resolve(model)).href };
  }
  if (isModule(model)) {
    throw new Error(
      "model: a Module instance cannot be sent to worker threads (each worker builds its own copy). " +
        "Put it in an ES module that exports createModel(ctx) returning it, and pass that file's path or URL as model (see @weft/parallel's README, \"Your own model\")",
    );
  }
  throw new Error(`model: expected a list of layer specs, or the path or URL of an ES module exporting createModel(ctx); got ${model === null ? "null" : typeof model}`);
}

/** Loads the factory of a source; a model file that does not import or exports no createModel is a clear error. */
export async function loadModelFactory(src: ModelSource): Promise<ModelFactory> {
  if (src.kind === "layers") {
    const layers = src.layers;
    return { describe: "the layer-spec list", create: (ctx) => buildModel(layers, { rng: ctx.rng }), loss: null };
  }
  const where = `model file ${src.url}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(src.url)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${where} failed to import: ${e instanceof Error ? e.message : String(e)}`);
  }
  const createModel = mod.createModel;
  if (typeof createModel !== "function") {
    const names = Object.keys(mod).sort();
    throw new Error(`${where} exports no createModel(ctx) function (it exports: ${names.length ? names.join(", ") : "nothing"}); export one that returns a Module`);
  }
  const loss = mod.loss;
  if (loss !== undefined && typeof loss !== "function") throw new Error(`${where}: its loss export must be a function (output, target) => scalar Tensor, got ${typeof loss}`);
  return {
    describe: where,
    create(ctx) {
      let m: unknown;
      try {
        m = (createModel as (c: ModelContext) => unknown)(ctx);
      } catch (e) {
        throw new Error(`${where}: createModel threw: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (m instanceof Promise) throw new Error(`${where}: createModel returned a Promise; it must return the Module itself (synchronously)`);
      if (!isModule(m)) throw new Error(`${where}: createModel returned ${m === null ? "null" : typeof m === "object" ? `a ${(m as object).constructor?.name ?? "object"}` : typeof m}, not a Module of @weft/layers`);
      return m;
    },
    loss: (loss as LossFn | undefined) ?? null,
  };
}

/** Checks a loss function's result: a scalar float Tensor. */
export function checkLossValue(where: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new Error(`${where}: the loss returned ${value === null ? "null" : typeof value}, not a Tensor`);
  if (value.size !== 1) throw new Error(`${where}: the loss must return a scalar (the batch's mean), got shape ${JSON.stringify(value.shape)}`);
  return value;
}
