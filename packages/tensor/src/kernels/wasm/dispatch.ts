/**
 * The one place where the wasm backend decides between a wasm kernel and the portable default:
 * {@link implement} turns a table of the interface methods the wasm kernels speed up into a
 * complete `Kernels` whose other methods, and every call the wasm kernel cannot take, are the js
 * ones (`jsKernels`) — Burn's `ModuleOps` with its default implementations.
 *
 * A call goes to wasm when (1) no argument is a Float64Array except those the method declares
 * float64 in both implementations (statistics, per-row losses) — so a float64 tensor, or a
 * float32/float64 mix, runs the js kernel — and (2) the method's `accepts` (a layout it needs,
 * e.g. the last axis) agrees. It then runs the WasmKernels method of the same name on the
 * instance `choose` picks; by default this thread's kernels when every float array argument lies
 * in their memory (in place, zero copies), else the default private instance, which stages them
 * — so no operand can overflow a thread instance's fixed scratch range.
 *
 * The type checker holds the table to the interface: a method is listed only if WasmKernels has
 * it with the interface's signature (float32 for either precision), and a float64 position must
 * be a float64 parameter. A float64 position left out only sends float32 calls to js (slower,
 * never wrong); test/kernels-dispatch.test.ts checks that each method reaches its wasm kernel.
 */
import type { Kernels } from "../interface.js";
import { jsKernels } from "../js/index.js";
import { defaultWasmKernels, threadWasmKernels } from "./index.js";
import { WasmKernels } from "./kernels.js";

/** A kernel interface method's parameters. */
type Params<F> = F extends (...args: infer P) => unknown ? P : never;

/** An either-precision array narrowed to float32; float64-only arrays and everything else as they are. */
type Narrow<T> = Float32Array extends T ? (Float64Array extends T ? Exclude<T, Float64Array> : T) : T;

/** What the wasm implementation of an interface method `F` must look like: float32 in place of either precision. */
type Float32Method<F> = F extends (...args: infer P) => infer R ? (...args: { [I in keyof P]: Narrow<P[I]> }) => R : never;

/** Positions (0-based) of the parameters of `F` that are float64 in every implementation. */
type Float64Positions<F> = Float64Indices<Params<F>>;
type Float64Indices<P extends readonly unknown[]> = {
  [I in keyof P]: [NonNullable<P[I]>] extends [Float64Array] ? (I extends `${infer N extends number}` ? N : never) : never;
}[number];

/** The interface methods that WasmKernels implements with the interface's signature (float32 operands). */
export type WasmImplemented = {
  [K in keyof Kernels]: K extends keyof WasmKernels ? (WasmKernels[K] extends Float32Method<Kernels[K]> ? K : never) : never;
}[keyof Kernels];

/** How the wasm backend runs one interface method; `{}` for the plain case. */
export interface WasmMethodSpec<F> {
  /** Positions of the arguments that are float64 in both implementations (a Float64Array there does not send the call to js). */
  float64?: readonly Float64Positions<F>[];
  /** A condition on the arguments (e.g. a layout) without which the call runs the js kernel. */
  accepts?: (...args: Params<F>) => boolean;
  /** The instance to run on (arguments already known float32), or null: run the js kernel instead. */
  choose?: (...args: Params<Float32Method<F>>) => WasmKernels | null;
}

/** The wasm backend's table: for each method it implements, how. */
export type WasmSpecs = { [K in WasmImplemented]?: WasmMethodSpec<Kernels[K]> };

// The wrappers take 18 named parameters (gemm's count), not rest parameters: a rest array and a
// spread call allocate on every kernel call (a Node 20 scratch measurement: ≈ 3,000 scavenges in
// 8·10⁷ calls, none with named parameters); a kernel with fewer parameters ignores the rest.
type Arg = unknown;
type Call = (this: unknown, a: Arg, b: Arg, c: Arg, d: Arg, e: Arg, f: Arg, g: Arg, h: Arg, i: Arg, j: Arg, k: Arg, l: Arg, m: Arg, n: Arg, o: Arg, p: Arg, q: Arg, r: Arg) => unknown;
const MAX_ARGS = 18;

/** Whether v may go to a float32 kernel at a position with bit `bit` of the float64 mask. */
const float32Ok = (v: Arg, float64: number, bit: number): boolean => (float64 & bit) !== 0 || !(v instanceof Float64Array);

/** Whether v is not a float array, or lies in t's memory. */
const inMemory = (t: WasmKernels, v: Arg): boolean => !(v instanceof Float32Array || v instanceof Float64Array) || t.holds(v);

/** The default choice: this thread's kernels when every float array argument lies in their memory, else the default instance. */
function instanceFor(a: Arg, b: Arg, c: Arg, d: Arg, e: Arg, f: Arg, g: Arg, h: Arg, i: Arg, j: Arg, k: Arg, l: Arg, m: Arg, n: Arg, o: Arg, p: Arg, q: Arg, r: Arg): WasmKernels {
  const t = threadWasmKernels();
  if (t === null) return defaultWasmKernels();
  return inMemory(t, a) && inMemory(t, b) && inMemory(t, c) && inMemory(t, d) && inMemory(t, e) && inMemory(t, f)
    && inMemory(t, g) && inMemory(t, h) && inMemory(t, i) && inMemory(t, j) && inMemory(t, k) && inMemory(t, l)
    && inMemory(t, m) && inMemory(t, n) && inMemory(t, o) && inMemory(t, p) && inMemory(t, q) && inMemory(t, r)
    ? t : defaultWasmKernels();
}

/** One interface method of the wasm backend: `WasmKernels.prototype[name]` when it can take the call, else `jsKernels[name]`. */
function wasmMethod(name: WasmImplemented, spec: WasmMethodSpec<never>): Call {
  const js = jsKernels[name] as unknown as Call;
  const run = (WasmKernels.prototype as unknown as Record<string, Call>)[name];
  if (typeof run !== "function" || run.length > MAX_ARGS || js.length > MAX_ARGS) throw new Error(`wasmKernels: no WasmKernels method ${name} of at most ${MAX_ARGS} parameters`);
  let float64 = 0;
  for (const pos of (spec.float64 ?? []) as readonly number[]) float64 |= 1 << pos;
  const accepts = (spec.accepts ?? null) as Call | null;
  const choose = (spec.choose ?? instanceFor) as Call;
  return function (a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r) {
    if (float32Ok(a, float64, 1) && float32Ok(b, float64, 2) && float32Ok(c, float64, 4) && float32Ok(d, float64, 8)
      && float32Ok(e, float64, 16) && float32Ok(f, float64, 32) && float32Ok(g, float64, 64) && float32Ok(h, float64, 128)
      && float32Ok(i, float64, 256) && float32Ok(j, float64, 512) && float32Ok(k, float64, 1024) && float32Ok(l, float64, 2048)
      && float32Ok(m, float64, 4096) && float32Ok(n, float64, 8192) && float32Ok(o, float64, 16384) && float32Ok(p, float64, 32768)
      && float32Ok(q, float64, 65536) && float32Ok(r, float64, 131072)
      && (accepts === null || accepts(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r))) {
      const w = choose(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r);
      if (w !== null) return run.call(w, a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r);
    }
    return js(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r);
  };
}

/**
 * A complete `Kernels`: the js kernels, with each method of `specs` replaced by its wasm
 * implementation (the WasmKernels method of the same name) behind the rules above.
 */
export function implement(specs: WasmSpecs): Kernels {
  const out: Record<string, unknown> = { ...jsKernels };
  for (const [name, spec] of Object.entries(specs)) out[name] = wasmMethod(name as WasmImplemented, spec as WasmMethodSpec<never>);
  return Object.freeze(out) as unknown as Kernels;
}
