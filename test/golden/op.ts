/** Runner for golden `op` cases: forward, then back-propagate `upstream`, then check `grads`. */
import * as T from "@weft/tensor";
import type { Tensor } from "@weft/tensor";
import { checkKeys, expectClose, toTensor, type GCase, type GTensor } from "./cases.js";

type OpFn = (inputs: Tensor[], attrs: Record<string, unknown>) => Tensor;

const binary = (f: (a: Tensor, b: Tensor) => Tensor): OpFn => (x) => f(x[0], x[1]);
const unary = (f: (a: Tensor) => Tensor): OpFn => (x) => f(x[0]);

/** Op name → call and the attrs it understands. */
const OPS: Record<string, { attrs: string[]; arity: number; run: OpFn }> = {
  add: { attrs: [], arity: 2, run: binary(T.add) },
  sub: { attrs: [], arity: 2, run: binary(T.sub) },
  mul: { attrs: [], arity: 2, run: binary(T.mul) },
  div: { attrs: [], arity: 2, run: binary(T.div) },
  neg: { attrs: [], arity: 1, run: unary(T.neg) },
  exp: { attrs: [], arity: 1, run: unary(T.exp) },
  log: { attrs: [], arity: 1, run: unary(T.log) },
  sqrt: { attrs: [], arity: 1, run: unary(T.sqrt) },
  abs: { attrs: [], arity: 1, run: unary(T.abs) },
  pow: { attrs: ["exponent"], arity: 1, run: (x, a) => T.pow(x[0], a.exponent as number) },
  matmul: { attrs: [], arity: 2, run: binary(T.matmul) },
  transpose: { attrs: [], arity: 1, run: unary(T.transpose) },
  reshape: { attrs: ["shape"], arity: 1, run: (x, a) => T.reshape(x[0], a.shape as number[]) },
  sum: { attrs: ["axis", "keepdim"], arity: 1, run: (x, a) => T.sum(x[0], a.axis as number | undefined, (a.keepdim as boolean) ?? false) },
  mean: { attrs: ["axis", "keepdim"], arity: 1, run: (x, a) => T.mean(x[0], a.axis as number | undefined, (a.keepdim as boolean) ?? false) },
  max: { attrs: ["axis", "keepdim"], arity: 1, run: (x, a) => T.max(x[0], a.axis as number | undefined, (a.keepdim as boolean) ?? false) },
  relu: { attrs: [], arity: 1, run: unary(T.relu) },
  sigmoid: { attrs: [], arity: 1, run: unary(T.sigmoid) },
  tanh: { attrs: [], arity: 1, run: unary(T.tanh) },
  leakyRelu: { attrs: ["negativeSlope"], arity: 1, run: (x, a) => T.leakyRelu(x[0], (a.negativeSlope as number) ?? 0.01) },
  gelu: { attrs: ["approximate"], arity: 1, run: (x, a) => T.gelu(x[0], (a.approximate as "none" | "tanh") ?? "none") },
  softmax: { attrs: ["axis"], arity: 1, run: (x, a) => T.softmax(x[0], (a.axis as number) ?? -1) },
  logSoftmax: { attrs: ["axis"], arity: 1, run: (x, a) => T.logSoftmax(x[0], (a.axis as number) ?? -1) },
};

export function runOpCase(c: GCase): void {
  const spec = OPS[c.op as string];
  if (!spec) throw new Error(`unknown op ${JSON.stringify(c.op)} (known: ${Object.keys(OPS).join(", ")})`);
  const attrs = (c.attrs ?? {}) as Record<string, unknown>;
  checkKeys(`op ${c.op} attrs`, attrs, spec.attrs);
  const inputs = (c.inputs as GTensor[]).map((g) => toTensor(g, true));
  if (inputs.length !== spec.arity) throw new Error(`op ${c.op} takes ${spec.arity} input(s), the case gives ${inputs.length}`);
  const out = spec.run(inputs, attrs);
  const expected = c.output as GTensor;
  expectClose("output", out.shape, out.data, expected, c.tol);
  if (c.upstream === undefined) return;
  out.backward(toTensor(c.upstream as GTensor));
  (c.grads as GTensor[]).forEach((g, i) => {
    const grad = inputs[i].grad;
    if (!grad) throw new Error(`input ${i} received no gradient`);
    expectClose(`grad of input ${i}`, grad.shape, grad.data, g, c.tol);
  });
}
