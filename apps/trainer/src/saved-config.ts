/**
 * A run's config.json read back (--resume, eval, predict) — and not trusted: the options go
 * through the flags' own checks, the data's shape and the standardisation are checked for type
 * and range, and the parts derived from the options (model, optimizer, loss, l1) must be what
 * those options derive. A fault is a {@link UsageError} naming the file and the key, so a
 * hand-edited or corrupted file ends with exit 2 and a message, never a raw JS error.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkSavedOptions } from "./config.js";
import { UsageError } from "./errors.js";
import { isObject, preview, sameJson } from "./json-check.js";
import { linearWeightNames, modelSpec } from "./model.js";
import { optimizerSpec, type RunConfig } from "./run-config.js";
import { isRunDebris } from "./run-dir.js";
import { TASKS } from "./task.js";

/** Reads and checks `<runDir>/config.json`; `flag` (--resume, --model) names the directory in errors. */
export function readRunConfig(runDir: string, flag: string): RunConfig {
  const path = join(runDir, "config.json");
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    if (!existsSync(runDir)) throw new UsageError(`${flag} ${runDir} is not a weft run directory: no such directory`);
    if (existsSync(path)) throw new UsageError(`${flag} ${runDir} is not a weft run directory: ${path} cannot be read as JSON: ${(e as Error).message}`);
    const entries = readdirSync(runDir);
    if (entries.length > 0 && entries.every(isRunDebris)) {
      throw new UsageError(`${flag} ${runDir} holds only the temp files of a run killed before it wrote config.json: start it again with --out ${runDir}`);
    }
    throw new UsageError(`${flag} ${runDir} is not a weft run directory: it has no config.json`);
  }
  // A language-model run (weft train --task lm, lm-train.ts) has a config of its own.
  if ((raw as { task?: unknown } | null)?.task === "lm") {
    throw new UsageError(`${flag} ${runDir} is a language-model run (weft train --task lm): sample from it with weft sample --model ${runDir}, or continue it with weft train --task lm --resume ${runDir}`);
  }
  return checkRunConfig(raw, path);
}

function positiveInt(v: unknown, max = Number.MAX_SAFE_INTEGER): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max;
}

/** `{mean, std}`: two scalars, or two lists of one value a feature; finite, std above 0. */
export function isStandardization(st: unknown, features: number): boolean {
  if (!isObject(st) || Object.keys(st).length !== 2) return false;
  const { mean, std } = st;
  if (typeof mean === "number") return Number.isFinite(mean) && typeof std === "number" && Number.isFinite(std) && std > 0;
  const list = (v: unknown, ok: (x: number) => boolean) => Array.isArray(v) && v.length === features && v.every((x) => typeof x === "number" && ok(x));
  return list(mean, Number.isFinite) && list(std, (x) => Number.isFinite(x) && x > 0);
}

/** Checks a parsed config.json (see the module comment); `file` names it in errors. */
export function checkRunConfig(raw: unknown, file: string): RunConfig {
  const bad = (key: string, v: unknown, want: string): never => {
    throw new UsageError(`${file}: "${key}" is ${preview(v)}; expected ${want}`);
  };
  if (!isObject(raw)) throw new UsageError(`${file}: expected the JSON object a weft run writes, got ${preview(raw)}`);
  const c = raw as Record<string, unknown>;
  const options = checkSavedOptions(c.options, file);

  const d = c.data;
  if (!isObject(d)) bad("data", d, "an object {source, features, classes, rows}");
  const data = d as Record<string, unknown>;
  if (data.source !== options.data) bad("data.source", data.source, `${preview(options.data)}, the run's --data`);
  if (!positiveInt(data.features, 2 ** 31 - 1)) bad("data.features", data.features, "a positive integer");
  const regression = options.task === "regression";
  if (regression ? data.classes !== 0 : !positiveInt(data.classes, 65_536)) bad("data.classes", data.classes, regression ? "0 (a regression run)" : "an integer in [1, 65536]");
  const features = data.features as number;
  const strings = (v: unknown, length?: number) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "string") && (length === undefined || v.length === length);
  if (data.classNames !== undefined && !strings(data.classNames, data.classes as number)) bad("data.classNames", data.classNames, `a list of ${data.classes as number} class names (one a class)`);
  if (data.featureNames !== undefined && !strings(data.featureNames, features)) bad("data.featureNames", data.featureNames, `a list of ${features} column names (one a feature)`);
  if (regression ? !strings(data.targetNames) : data.targetNames !== undefined) {
    bad("data.targetNames", data.targetNames, regression ? "the list of the target columns' names" : "nothing: a classification run has no regression targets");
  }
  if (data.shape !== undefined) {
    const s = data.shape;
    if (!Array.isArray(s) || s.length !== 2 || !s.every((x) => positiveInt(x)) || s[0] * s[1] !== features) bad("data.shape", s, `[height, width] with height × width = ${features}`);
  }
  const rows = data.rows;
  if (!isObject(rows) || !["train", "val", "test"].every((k) => positiveInt(rows[k])) || Object.keys(rows).length !== 3) bad("data.rows", rows, "{train, val, test}, each a positive integer");

  const st = c.standardization;
  if (!isStandardization(st, features)) bad("standardization", st, `{mean, std}: finite numbers (or lists of ${features}, one a feature), std above 0`);

  const targets = regression ? (data.targetNames as string[]).length : 0;
  const tst = c.targetStandardization;
  if (regression ? !(isStandardization(tst, targets) && Array.isArray((tst as Record<string, unknown>).mean)) : tst !== undefined) {
    bad("targetStandardization", tst, regression ? `{mean, std}: lists of ${targets} finite numbers (one a target), std above 0` : "nothing: a classification run has no regression targets");
  }

  // What the options derive must be what the file says (an edited model would load a different network).
  let derived: Record<string, unknown>;
  const outputs = regression ? targets : (data.classes as number);
  if (options.model !== null) {
    const m = c.model;
    const shapeOk = (s: unknown) => Array.isArray(s) && s.length > 0 && s.every((x) => positiveInt(x));
    if (!isObject(m) || m.file !== options.model || typeof m.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(m.sha256) || !shapeOk(m.inputShape) || m.numClasses !== outputs || Object.keys(m).length !== 4) {
      bad("model", m, `{file: ${preview(options.model)}, sha256, inputShape, numClasses: ${preview(outputs)}}, the record of the run's --model file`);
    }
    derived = { model: m, optimizer: optimizerSpec(options), loss: null, l1: null };
  } else {
    const model = modelSpec(options, features, outputs);
    derived = {
      model,
      optimizer: optimizerSpec(options),
      loss: TASKS[options.task].loss,
      l1: options.l1 > 0 ? { lambda: options.l1, params: linearWeightNames(model) } : null,
    };
  }
  for (const [key, want] of Object.entries(derived)) {
    if (!sameJson(want, c[key])) throw new UsageError(`${file}: "${key}" is ${preview(c[key])}, which its options do not give (expected ${preview(want)}): was the file edited?`);
  }

  const k = c.kernels;
  if (k !== undefined && !(isObject(k) && typeof k.backend === "string" && typeof k.relaxedSimd === "boolean" && typeof k.node === "string")) {
    bad("kernels", k, "{backend, relaxedSimd, node}");
  }
  if (typeof c.createdAt !== "string") bad("createdAt", c.createdAt, "an ISO date string");
  return {
    options,
    data: data as RunConfig["data"],
    standardization: st as RunConfig["standardization"],
    ...(regression ? { targetStandardization: tst as RunConfig["standardization"] } : {}),
    ...(derived as Pick<RunConfig, "model" | "optimizer" | "loss" | "l1">),
    kernels: k as RunConfig["kernels"],
    createdAt: c.createdAt as string,
  };
}
