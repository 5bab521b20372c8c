/** Runner for golden `optim` cases: set the gradients, step, check the parameters after each step. */
import { createOptimizer, type OptimizerType } from "@weft/optim";
import { checkKeys, expectClose, toTensor, type GCase, type GTensor } from "./cases.js";

export const OPTIMIZER_OPTIONS: Record<OptimizerType, string[]> = {
  SGD: ["lr", "momentum", "dampening", "nesterov", "weightDecay", "maximize"],
  RMSprop: ["lr", "alpha", "eps", "weightDecay", "momentum", "centered"],
  Adam: ["lr", "betas", "eps", "weightDecay", "amsgrad"],
  AdamW: ["lr", "betas", "eps", "weightDecay", "amsgrad"],
};

export function checkOptimizer(type: string, config: Record<string, unknown>): OptimizerType {
  const known = OPTIMIZER_OPTIONS[type as OptimizerType];
  if (!known) throw new Error(`unknown optimizer ${JSON.stringify(type)} (known: ${Object.keys(OPTIMIZER_OPTIONS).join(", ")})`);
  checkKeys(`optimizer ${type} config`, config, known);
  return type as OptimizerType;
}

/** `params` is a list of tensors, or a record of named tensors (order kept). */
function asList<T>(x: T[] | Record<string, T>): T[] {
  return Array.isArray(x) ? x : Object.values(x);
}

export function runOptimCase(c: GCase): void {
  const config = (c.config ?? {}) as Record<string, unknown>;
  const type = checkOptimizer(c.optimizer as string, config);
  const params = asList(c.params as GTensor[] | Record<string, GTensor>).map((g) => toTensor(g, true));
  for (const p of params) p.grad = toTensor({ shape: p.shape as number[], data: new Array(p.size).fill(0) });
  const opt = createOptimizer(type, params, config);
  const grads = c.grads as (GTensor[] | Record<string, GTensor>)[];
  const after = c.paramsAfter as (GTensor[] | Record<string, GTensor>)[];
  grads.forEach((gk, k) => {
    asList(gk).forEach((g, i) => params[i].grad!.data.set(g.data));
    opt.step();
    asList(after[k]).forEach((e, i) => expectClose(`step ${k}, param ${i}`, params[i].shape, params[i].data, e, c.tol));
  });
}
