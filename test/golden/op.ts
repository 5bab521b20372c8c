/** Runner for golden `op` cases: forward, then back-propagate `upstream`, then check `grads`. */
import * as T from "@weft/tensor";
import type { Tensor, TensorData } from "@weft/tensor";
import { checkKeys, expectClose, toTensor, type GCase, type GTensor } from "./cases.js";

// Inputs may be int tensors (indices, masks); each op's call passes them where its function wants them.
type AnyTensor = Tensor<TensorData>;
type OpFn = (inputs: any[], attrs: Record<string, any>) => AnyTensor; // eslint-disable-line @typescript-eslint/no-explicit-any

const binary = (f: (a: Tensor, b: Tensor) => Tensor): OpFn => (x) => f(x[0], x[1]);
const unary = (f: (a: Tensor) => Tensor): OpFn => (x) => f(x[0]);
/** An attr that the format requires. */
const req = (a: Record<string, unknown>, k: string): never => {
  if (a[k] === undefined) throw new Error(`attr ${JSON.stringify(k)} is required`);
  return a[k] as never;
};
const VARIADIC = -1;

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
  transpose: { attrs: ["dim0", "dim1"], arity: 1, run: (x, a) => T.transpose(x[0], a.dim0, a.dim1) },
  permute: { attrs: ["dims"], arity: 1, run: (x, a) => T.permute(x[0], req(a, "dims")) },
  cat: { attrs: ["axis"], arity: VARIADIC, run: (x, a) => T.cat(x, req(a, "axis")) },
  stack: { attrs: ["axis"], arity: VARIADIC, run: (x, a) => T.stack(x, req(a, "axis")) },
  narrow: { attrs: ["axis", "start", "length"], arity: 1, run: (x, a) => T.narrow(x[0], req(a, "axis"), req(a, "start"), req(a, "length")) },
  flatten: { attrs: ["startDim", "endDim"], arity: 1, run: (x, a) => T.flatten(x[0], a.startDim ?? 0, a.endDim ?? -1) },
  pad: { attrs: ["pad", "value"], arity: 1, run: (x, a) => T.pad(x[0], req(a, "pad"), a.value ?? 0) },
  indexSelect: { attrs: ["axis"], arity: 2, run: (x, a) => T.indexSelect(x[0], req(a, "axis"), x[1]) },
  gather: { attrs: ["axis"], arity: 2, run: (x, a) => T.gather(x[0], req(a, "axis"), x[1]) },
  embedding: { attrs: ["paddingIdx"], arity: 2, run: (x, a) => T.embedding(x[0], x[1], { paddingIdx: a.paddingIdx }) },
  maskedFill: { attrs: ["value"], arity: 2, run: (x, a) => T.maskedFill(x[0], x[1], req(a, "value")) },
  where: { attrs: [], arity: 3, run: (x) => T.where(x[0], x[1], x[2]) },
  maximum: { attrs: [], arity: 2, run: binary(T.maximum) },
  minimum: { attrs: [], arity: 2, run: binary(T.minimum) },
  clamp: { attrs: ["min", "max"], arity: 1, run: (x, a) => T.clamp(x[0], a.min, a.max) },
  var: { attrs: ["axis", "correction", "keepdim"], arity: 1, run: (x, a) => T.variance(x[0], a.axis, { correction: a.correction ?? 1, keepdim: a.keepdim ?? false }) },
  std: { attrs: ["axis", "correction", "keepdim"], arity: 1, run: (x, a) => T.std(x[0], a.axis, { correction: a.correction ?? 1, keepdim: a.keepdim ?? false }) },
  logsumexp: { attrs: ["axis", "keepdim"], arity: 1, run: (x, a) => T.logsumexp(x[0], req(a, "axis"), a.keepdim ?? false) },
  min: { attrs: ["axis", "keepdim"], arity: 1, run: (x, a) => T.min(x[0], a.axis, a.keepdim ?? false) },
  tril: { attrs: ["diagonal"], arity: 1, run: (x, a) => T.tril(x[0], a.diagonal ?? 0) },
  triu: { attrs: ["diagonal"], arity: 1, run: (x, a) => T.triu(x[0], a.diagonal ?? 0) },
  scaledDotProductAttention: {
    attrs: ["isCausal", "scale"], arity: 3,
    run: (x, a) => T.scaledDotProductAttention(x[0], x[1], x[2], { isCausal: a.isCausal ?? false, scale: a.scale }),
  },
  conv1d: { attrs: ["stride", "padding", "dilation", "groups"], arity: VARIADIC, run: (x, a) => T.conv1d(x[0], x[1], x[2] ?? null, a) },
  conv2d: { attrs: ["stride", "padding", "dilation", "groups"], arity: VARIADIC, run: (x, a) => T.conv2d(x[0], x[1], x[2] ?? null, a) },
  maxPool2d: { attrs: ["kernelSize", "stride", "padding", "ceilMode"], arity: 1, run: (x, a) => T.maxPool2d(x[0], req(a, "kernelSize"), a) },
  avgPool2d: { attrs: ["kernelSize", "stride", "padding", "ceilMode", "countIncludePad"], arity: 1, run: (x, a) => T.avgPool2d(x[0], req(a, "kernelSize"), a) },
  adaptiveAvgPool2d: { attrs: ["outputSize"], arity: 1, run: (x, a) => T.adaptiveAvgPool2d(x[0], req(a, "outputSize")) },
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
  const inputs = (c.inputs as GTensor[]).map((g) => toTensor(g, g.dtype !== "int"));
  if (spec.arity !== VARIADIC && inputs.length !== spec.arity) throw new Error(`op ${c.op} takes ${spec.arity} input(s), the case gives ${inputs.length}`);
  const out = spec.run(inputs, attrs);
  const expected = c.output as GTensor;
  expectClose("output", out.shape, out.data, expected, c.tol);
  if (c.upstream === undefined) return;
  out.backward(toTensor(c.upstream as GTensor));
  const grads = c.grads as (GTensor | null)[];
  if (grads.length !== inputs.length) throw new Error(`the case gives ${grads.length} gradients for ${inputs.length} inputs`);
  grads.forEach((g, i) => {
    const grad = inputs[i].grad;
    if (g === null) {
      // an int input (indices, a mask): it has no gradient, in PyTorch as here
      if (inputs[i].requiresGrad || grad) throw new Error(`input ${i} should have no gradient (null in the case)`);
      return;
    }
    if (!grad) throw new Error(`input ${i} received no gradient`);
    expectClose(`grad of input ${i}`, grad.shape, grad.data, g, c.tol);
  });
}
