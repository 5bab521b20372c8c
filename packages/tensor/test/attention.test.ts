import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { scaledDotProductAttention as sdpa, type AttentionOptions } from "../src/ops/attention.js";
import { add, matmul, mul, softmax, transpose } from "../src/ops/index.js";
import { Arena, allocFloat32, withArena } from "../src/arena.js";
import { setBackend, type Backend } from "../src/kernels/backend.js";
import { WasmKernels, setThreadWasmKernels, wasmSimdSupported } from "../src/kernels/wasm/index.js";
import { gradcheck } from "../src/gradcheck.js";
import { Rng } from "../src/rng.js";
import { Tensor, noGrad, type FloatArray } from "../src/tensor.js";

// scaledDotProductAttention against (1) the golden PyTorch cases, (2) the same attention computed
// per head from the 2-D ops (matmul, transpose, mul, add, softmax) and their autograd in float64 —
// an oracle that shares no code with the fused op but the gemm — on both kernel backends,
// (3) float64 finite differences (gradcheck), and (4) its errors.
//
// Tolerances: float32 results against the float64 reference within atol 1e-5 + rtol 1e-4 (the
// golden cases' own); float64 results within 1e-10 relative (only summation order differs).

const BACKENDS: Backend[] = wasmSimdSupported() ? ["js", "wasm"] : ["js"];
afterEach(() => {
  setBackend();
  setThreadWasmKernels(null);
});

const rng = new Rng(2024);
function randn(shape: number[], dtype: "float32" | "float64" = "float64", requiresGrad = true): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  rng.fillNormal(data, 0, 1);
  return new Tensor(data, shape, requiresGrad);
}
/** A boolean mask as an int32 tensor (1 = may attend), the layout int32 tensors will have. */
function boolMask(shape: number[], keep: (flat: number) => boolean): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = keep(i) ? 1 : 0;
  return new Tensor(data as unknown as FloatArray, shape);
}

interface Spec {
  q: number[];
  s: number; // keys
  dv: number;
  /** float32 atol multiplier: gradients carry `scale` times the scores' rounding (at scale 50, 1.4e-5 seen). */
  tol?: number;
  opts?: (lead: number[], t: number, s: number) => AttentionOptions;
}

/**
 * The reference: per head, `softmax(q·kᵀ·scale + M)·v` from the 2-D ops in float64, with the mask
 * folded into M (0 / −∞ / the additive values, broadcast by index). A row whose every key is
 * masked expects 0 and no gradient: the reference gets a finite M row there and a zero upstream,
 * so its (ignored) output row sends nothing back.
 */
function reference(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions, upstream: Float64Array) {
  const r = q.ndim, T = q.shape[r - 2], D = q.shape[r - 1], S = k.shape[r - 2], Dv = v.shape[r - 1];
  const lead = q.shape.slice(0, r - 2);
  const heads = lead.reduce((a, d) => a * d, 1);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const out = new Float64Array(heads * T * Dv);
  const gq = new Float64Array(q.size), gk = new Float64Array(k.size), gv = new Float64Array(v.size);
  const mask = opts.attnMask ?? null;
  const full = [...lead, T, S];
  const mStrides = new Array<number>(full.length).fill(0);
  if (mask) {
    let st = 1;
    for (let i = mask.ndim - 1; i >= 0; i--) {
      const at = full.length - mask.ndim + i;
      mStrides[at] = mask.shape[i] === 1 ? 0 : st;
      st *= mask.shape[i];
    }
  }
  const gm = mask && mask.requiresGrad ? new Float64Array(mask.size) : null;
  const isInt = mask !== null && (mask.data as unknown) instanceof Int32Array;
  for (let h = 0; h < heads; h++) {
    const idx: number[] = [];
    for (let d = lead.length - 1, rem = h; d >= 0; d--) { idx[d] = rem % lead[d]; rem = Math.floor(rem / lead[d]); }
    const mHead = idx.reduce((a, x, d) => a + x * mStrides[d], 0);
    const m = new Float64Array(T * S);
    const dead = new Array<boolean>(T).fill(false);
    for (let i = 0; i < T; i++) {
      let alive = 0;
      for (let j = 0; j < S; j++) {
        let val = 0;
        if (opts.isCausal && j > i) val = -Infinity;
        if (mask) {
          const mv = mask.data[mHead + i * mStrides[r - 2] + j * mStrides[r - 1]];
          val = isInt ? (mv === 0 ? -Infinity : 0) : mv;
        }
        m[i * S + j] = val;
        if (val !== -Infinity) alive++;
      }
      if (alive === 0) { dead[i] = true; m.fill(0, i * S, (i + 1) * S); }
    }
    const slice = (t: Tensor, rows: number, cols: number) => new Tensor(Float64Array.from(t.data.subarray(h * rows * cols, (h + 1) * rows * cols)), [rows, cols], true);
    const qh = slice(q, T, D), kh = slice(k, S, D), vh = slice(v, S, Dv);
    const mh = new Tensor(m, [T, S], gm !== null);
    const p = softmax(add(mul(matmul(qh, transpose(kh)), scale), mh), 1);
    const o = matmul(p, vh);
    const up = Float64Array.from(upstream.subarray(h * T * Dv, (h + 1) * T * Dv));
    for (let i = 0; i < T; i++) if (dead[i]) up.fill(0, i * Dv, (i + 1) * Dv);
    o.backward(new Tensor(up, [T, Dv]));
    for (let i = 0; i < T; i++) for (let c = 0; c < Dv; c++) out[h * T * Dv + i * Dv + c] = dead[i] ? 0 : o.data[i * Dv + c];
    gq.set(qh.grad!.data, h * T * D);
    gk.set(kh.grad!.data, h * S * D);
    gv.set(vh.grad!.data, h * S * Dv);
    if (gm) for (let i = 0; i < T; i++) for (let j = 0; j < S; j++) if (!dead[i]) gm[mHead + i * mStrides[r - 2] + j * mStrides[r - 1]] += mh.grad!.data[i * S + j];
  }
  return { out, gq, gk, gv, gm };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = -1, at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) - (atol + rtol * Math.abs(want[i]));
    if (!(err <= 0) && (Number.isNaN(err) || err > worst)) { worst = Number.isNaN(err) ? Infinity : err; at = i; }
  }
  if (at >= 0) expect.fail(`${what}: element ${at} is ${got[at]}, want ${want[at]} (±${atol} + ${rtol}·|want|)`);
}

const CASES: [string, Spec][] = [
  ["4-D [2,3,5,4], S = 7, Dv = 6", { q: [2, 3, 5, 4], s: 7, dv: 6 }],
  ["3-D [3,6,8], scale 0.3", { q: [3, 6, 8], s: 6, dv: 8, opts: () => ({ scale: 0.3 }) }],
  ["scale 8: rows with |scores| past ±60 (shifted by their max) and rows not", { q: [2, 3, 6, 8], s: 7, dv: 3, opts: () => ({ scale: 8 }) }],
  ["scale 50: scores in the hundreds (exp(s) alone would overflow)", { q: [2, 5, 4], s: 6, dv: 3, tol: 10, opts: () => ({ scale: 50 }) }],
  ["causal, scale 8 (both row paths) across query blocks", { q: [1, 1, 100, 8], s: 100, dv: 3, opts: () => ({ isCausal: true, scale: 8 }) }],
  ["2-D [5,3] (no leading dims)", { q: [5, 3], s: 4, dv: 2 }],
  ["causal T = S = 9", { q: [2, 2, 9, 4], s: 9, dv: 3, opts: () => ({ isCausal: true }) }],
  ["causal T = S = 150 (query blocks of 32, the last partial)", { q: [1, 2, 150, 8], s: 150, dv: 5, opts: () => ({ isCausal: true }) }],
  ["causal T < S (top-left: row i sees keys 0…i)", { q: [2, 5, 4], s: 9, dv: 3, opts: () => ({ isCausal: true }) }],
  ["causal T > S (rows past S see every key)", { q: [2, 90, 4], s: 70, dv: 3, opts: () => ({ isCausal: true }) }],
  ["bool mask [T, S] broadcast over [B, H]", { q: [2, 3, 5, 4], s: 6, dv: 4, opts: (l, t, s) => ({ attnMask: boolMask([t, s], (f) => (f * 7) % 5 !== 0) }) }],
  ["bool mask [B, 1, T, S], with fully masked rows", {
    q: [2, 3, 5, 4], s: 6, dv: 4,
    opts: (l, t, s) => ({ attnMask: boolMask([l[0], 1, t, s], (f) => Math.floor(f / s) % 3 !== 1 && f % 4 !== 0) }),
  }],
  ["bool mask [S] (key padding), one batch all masked", { q: [2, 4, 3], s: 5, dv: 2, opts: (l, t, s) => ({ attnMask: boolMask([l[0], 1, s], (f) => f < s || f % 2 === 0) }) }],
  ["float mask [B, H, T, S] with −∞ and a fully masked row", {
    q: [2, 2, 4, 3], s: 5, dv: 3,
    opts: (l, t, s) => {
      const m = randn([...l, t, s], "float64", false);
      for (let i = 0; i < m.size; i++) if (i % 7 === 3) m.data[i] = -Infinity;
      m.data.fill(-Infinity, 2 * s, 3 * s);
      return { attnMask: m };
    },
  }],
  ["float mask [T, 1] (a per-query shift: no effect)", { q: [2, 4, 3], s: 5, dv: 2, opts: (l, t) => ({ attnMask: randn([t, 1], "float64", false) }) }],
];

describe("scaledDotProductAttention against a float64 reference from the 2-D ops", () => {
  for (const b of BACKENDS) {
    for (const dtype of ["float32", "float64"] as const) {
      it.each(CASES)(`[${b}, ${dtype}] %s`, (_, spec) => {
        setBackend(b);
        const r = spec.q.length, T = spec.q[r - 2], lead = spec.q.slice(0, r - 2);
        const q = randn(spec.q, dtype), k = randn([...lead, spec.s, spec.q[r - 1]], dtype), v = randn([...lead, spec.s, spec.dv], dtype);
        const opts = spec.opts?.(lead, T, spec.s) ?? {};
        if (opts.attnMask && opts.attnMask.dtype !== "float32" && !((opts.attnMask.data as unknown) instanceof Int32Array) && dtype === "float32") {
          opts.attnMask = new Tensor(Float32Array.from(opts.attnMask.data), opts.attnMask.shape);
        }
        const out = sdpa(q, k, v, opts);
        expect(out.shape).toEqual([...lead, T, spec.dv]);
        const up = new Float64Array(out.size);
        rng.fillNormal(up, 0, 1);
        out.backward(dtype === "float64" ? new Tensor(up, out.shape) : new Tensor(Float32Array.from(up), out.shape));
        const want = reference(q, k, v, opts, dtype === "float64" ? up : Float64Array.from(Float32Array.from(up)));
        const [atol, rtol] = dtype === "float64" ? [1e-12, 1e-10] : [1e-5 * (spec.tol ?? 1), 1e-4];
        expectClose(out.data, want.out, atol, rtol, "output");
        expectClose(q.grad!.data, want.gq, atol, rtol, "dq");
        expectClose(k.grad!.data, want.gk, atol, rtol, "dk");
        expectClose(v.grad!.data, want.gv, atol, rtol, "dv");
      });
    }
  }

  // The engine's case: every operand in this thread's wasm memory (its step arena), where the
  // row passes without an explicit mask run the wasm kernels (attentionRowsForward/Backward).
  describe.runIf(wasmSimdSupported())("[wasm, in place in the thread's memory]", () => {
    const WA = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: ArrayBufferLike } } }).WebAssembly;
    const memory = new WA.Memory({ initial: 320, maximum: 320, shared: true });
    const thread = new WasmKernels({ memory: memory as never, scratchOffset: 0, scratchBytes: 4 << 20 });
    const ran: string[] = [];
    const exports = thread.exports;
    (thread as unknown as { exports: unknown }).exports = new Proxy(exports, { get: (t, name) => (ran.push(String(name)), Reflect.get(t, name)) });
    const arena = new Arena({ buffer: memory.buffer, byteOffset: 4 << 20, byteLength: 16 << 20 });
    it.each(CASES.filter(([, spec]) => spec.opts?.([2], 4, 4).attnMask === undefined))("[float32] %s", (_, spec) => {
      const r = spec.q.length, T = spec.q[r - 2], lead = spec.q.slice(0, r - 2);
      const q = randn(spec.q, "float32"), k = randn([...lead, spec.s, spec.q[r - 1]], "float32"), v = randn([...lead, spec.s, spec.dv], "float32");
      const opts = spec.opts?.(lead, T, spec.s) ?? {};
      const up = new Float64Array(q.size / spec.q[r - 1] * spec.dv);
      rng.fillNormal(up, 0, 1);
      setBackend("wasm");
      setThreadWasmKernels(thread);
      arena.reset();
      ran.length = 0;
      const got = withArena(arena, () => {
        const held = (t: Tensor): Tensor => { const d = allocFloat32(t.size); d.set(t.data); return new Tensor(d, t.shape, true); };
        const [qa, ka, va] = [held(q), held(k), held(v)];
        const out = sdpa(qa, ka, va, opts);
        const g = allocFloat32(out.size);
        g.set(up);
        out.backward(new Tensor(g, out.shape));
        return { out: Float32Array.from(out.data), gq: qa.grad!.data, gk: ka.grad!.data, gv: va.grad!.data };
      });
      expect(ran).toContain("attentionRowsForward");
      expect(ran).toContain("attentionRowsBackward");
      const want = reference(q, k, v, opts, Float64Array.from(Float32Array.from(up)));
      const atol = 1e-5 * (spec.tol ?? 1), rtol = 1e-4;
      expectClose(got.out, want.out, atol, rtol, "output");
      expectClose(got.gq, want.gq, atol, rtol, "dq");
      expectClose(got.gk, want.gk, atol, rtol, "dk");
      expectClose(got.gv, want.gv, atol, rtol, "dv");
    });
  });

  it.each(BACKENDS)("[%s] float32 weights within 1.5 ulp of the float64 softmax (exact scores, v = identity)", (b) => {
    setBackend(b);
    // D = 1 and scale 1: the scores a_i·b_j are exact in float32, so what is left is the exp
    // (table + cubic) and two roundings; rows with |scores| ≤ 60 skip the max shift, rows past it do not.
    const S = 32, rowsA = [0.25, -1.5, 3, 7.25, -7.5, 10, -12.5];
    const q = new Tensor(Float32Array.from(rowsA), [rowsA.length, 1]);
    const k = new Tensor(Float32Array.from({ length: S }, (_, j) => (j - 16) / 2), [S, 1]);
    const v = new Tensor(Float32Array.from({ length: S * S }, (_, i) => (i % (S + 1) === 0 ? 1 : 0)), [S, S]);
    const p = sdpa(q, k, v, { scale: 1 }).data;
    for (let i = 0; i < rowsA.length; i++) {
      const sc = Array.from({ length: S }, (_, j) => rowsA[i] * k.data[j]);
      const max = Math.max(...sc), sum = sc.reduce((a, x) => a + Math.exp(x - max), 0);
      const want = sc.map((x) => Math.exp(x - max) / sum);
      expectClose(p.subarray(i * S, (i + 1) * S), want, 1e-38, 1.5 * 2 ** -23, `row ${i}`);
    }
  });

  it("gives 0, not NaN, for a row whose every key is masked, and sends no gradient through it", () => {
    const q = randn([1, 3, 2]), k = randn([1, 4, 2]), v = randn([1, 4, 2]);
    const mask = boolMask([3, 4], (f) => f >= 4 && f < 8); // only row 1 may attend
    const out = sdpa(q, k, v, { attnMask: mask });
    expect(Array.from(out.data.subarray(0, 2))).toEqual([0, 0]);
    expect(Array.from(out.data.subarray(4, 6))).toEqual([0, 0]);
    out.backward(new Tensor(new Float64Array(6).fill(1), out.shape));
    expect(Array.from(q.grad!.data).map((x, i) => (i >= 2 && i < 4 ? 1 : x))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(Array.from(q.grad!.data).every(Number.isFinite)).toBe(true);
    // S = 0: every row is fully masked.
    const empty = sdpa(randn([2, 3]), new Tensor(new Float64Array(0), [0, 3]), new Tensor(new Float64Array(0), [0, 4]));
    expect(empty.shape).toEqual([2, 4]);
    expect(Array.from(empty.data)).toEqual(new Array(8).fill(0));
  });

  it("accumulates into the gradients of the inputs that require grad only", () => {
    const q = randn([2, 3, 4]), k = randn([2, 5, 4], "float64", false), v = randn([2, 5, 2]);
    const up = new Tensor(new Float64Array(12).fill(0.5), [2, 3, 2]);
    sdpa(q, k, v).backward(up);
    expect(k.grad).toBeNull();
    const once = Float64Array.from(q.grad!.data), vOnce = Float64Array.from(v.grad!.data);
    sdpa(q, k, v).backward(up);
    expectClose(q.grad!.data, once.map((x) => 2 * x), 1e-14, 1e-12, "dq twice");
    expectClose(v.grad!.data, vOnce.map((x) => 2 * x), 1e-14, 1e-12, "dv twice");
  });

  it.each(BACKENDS)("[%s] inputs that are other ops' outputs (first producers: beta-0 gemms, no zero-fill) get the same gradients", (b) => {
    setBackend(b);
    for (const [shape, opts] of [[[2, 2, 40, 8], { isCausal: true }], [[2, 3, 6, 4], {}], [[1, 2, 5, 4], { isCausal: true }]] as [number[], AttentionOptions][]) {
      const leaves = [randn(shape, "float32"), randn(shape, "float32"), randn(shape, "float32")];
      const up = new Tensor(Float32Array.from({ length: leaves[0].size }, (_, i) => Math.sin(i)), shape);
      sdpa(leaves[0], leaves[1], leaves[2], opts).backward(up);
      const direct = leaves.map((t) => Float32Array.from(t.grad!.data));
      for (const t of leaves) t.zeroGrad();
      const [q, k, v] = leaves.map((t) => mul(t, 1));
      sdpa(q, k, v, opts).backward(up);
      leaves.forEach((t, i) => expectClose(t.grad!.data, direct[i], 0, 0, `grad ${i} of ${JSON.stringify(shape)}`));
    }
  });

  it.each(BACKENDS)("[%s] runs inside a step arena (outputs and scratch from it) with the heap's results", (b) => {
    setBackend(b);
    const q = randn([2, 2, 70, 8], "float32"), k = randn([2, 2, 70, 8], "float32"), v = randn([2, 2, 70, 8], "float32");
    const up = new Tensor(new Float32Array(2 * 2 * 70 * 8).fill(0.25), [2, 2, 70, 8]);
    const heap = sdpa(q, k, v, { isCausal: true });
    heap.backward(up);
    const heapOut = Float32Array.from(heap.data), heapGq = Float32Array.from(q.grad!.data);
    q.zeroGrad(); k.zeroGrad(); v.zeroGrad();
    const arena = new Arena({ byteLength: 4 << 20 });
    for (let step = 0; step < 2; step++) {
      arena.reset();
      q.zeroGrad();
      const outData = withArena(arena, () => {
        const out = sdpa(q, k, v, { isCausal: true });
        out.backward(up);
        return Float32Array.from(out.data);
      });
      expect(outData).toEqual(heapOut);
      expect(q.grad!.data).toEqual(heapGq);
    }
    expect(arena.stats().overflows).toBe(0);
    const training = arena.stats().highWater;
    // Without a backward to come, the exponentiated scores live in one block's scratch: less memory, same output.
    const inference = new Arena({ byteLength: 4 << 20 });
    const outData = withArena(inference, () => noGrad(() => Float32Array.from(sdpa(q, k, v, { isCausal: true }).data)));
    expect(outData).toEqual(heapOut);
    expect(inference.stats().highWater).toBeLessThan(training / 2);
  });
});

// ---- the golden cases (PyTorch, float64 reference from float32 inputs) ----
const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const goldenFile = [join(root, "fixtures/golden/shape-ops.json"), join(root, "../shared/golden/shape-ops.json")].find((f) => existsSync(f));
interface GTensor { shape: number[]; data: number[] }
interface GCase { name: string; op: string; attrs: { isCausal?: boolean; scale?: number }; inputs: GTensor[]; output: GTensor; upstream: GTensor; grads: GTensor[]; tol: { rtol: number; atol: number } }
const golden: GCase[] = goldenFile
  ? (JSON.parse(readFileSync(goldenFile, "utf8")) as { cases: GCase[] }).cases.filter((c) => c.op === "scaledDotProductAttention")
  : [];

describe.skipIf(golden.length === 0)(`scaledDotProductAttention: golden cases (${goldenFile ?? "none found"})`, () => {
  for (const b of BACKENDS) {
    it.each(golden.map((c) => [c.name, c] as const))(`[${b}] %s`, (_, c) => {
      setBackend(b);
      const [q, k, v] = c.inputs.map((t) => new Tensor(Float32Array.from(t.data), t.shape, true));
      const out = sdpa(q, k, v, { isCausal: c.attrs.isCausal, scale: c.attrs.scale });
      expect(out.shape).toEqual(c.output.shape);
      expectClose(out.data, c.output.data, c.tol.atol, c.tol.rtol, `${c.name} output`);
      out.backward(new Tensor(Float32Array.from(c.upstream.data), c.upstream.shape));
      [q, k, v].forEach((x, i) => expectClose(x.grad!.data, c.grads[i].data, c.tol.atol, c.tol.rtol, `${c.name} grad ${i}`));
    });
  }
});

describe("scaledDotProductAttention: float64 finite differences", () => {
  const g = (opts: () => AttentionOptions) => (q: Tensor, k: Tensor, v: Tensor) => sdpa(q, k, v, opts());
  it("q, k, v: plain, 4-D with T ≠ S and Dv ≠ D", () => {
    expect(gradcheck(g(() => ({})), [randn([2, 2, 3, 4]), randn([2, 2, 5, 4]), randn([2, 2, 5, 3])])).toBe(true);
  });
  it("q, k, v: scale 0.7, 3-D", () => {
    expect(gradcheck(g(() => ({ scale: 0.7 })), [randn([2, 4, 3]), randn([2, 4, 3]), randn([2, 4, 2])])).toBe(true);
  });
  it("q, k, v: scale 20 (scores past ±60: the max-shifted rows)", () => {
    expect(gradcheck(g(() => ({ scale: 20 })), [randn([2, 4, 3]), randn([2, 5, 3]), randn([2, 5, 2])])).toBe(true);
  });
  it("q, k, v: causal, T = S and T < S", () => {
    expect(gradcheck(g(() => ({ isCausal: true })), [randn([2, 5, 3]), randn([2, 5, 3]), randn([2, 5, 2])])).toBe(true);
    expect(gradcheck(g(() => ({ isCausal: true })), [randn([1, 3, 3]), randn([1, 6, 3]), randn([1, 6, 2])])).toBe(true);
  });
  it("q, k, v: causal across query blocks (T = 66)", () => {
    expect(gradcheck(g(() => ({ isCausal: true })), [randn([66, 2]), randn([66, 2]), randn([66, 1])])).toBe(true);
  });
  it("q, k, v: boolean mask with a fully masked row", () => {
    const mask = boolMask([2, 1, 4, 5], (f) => f % 3 !== 0 && !(f >= 5 && f < 10));
    expect(gradcheck(g(() => ({ attnMask: mask })), [randn([2, 3, 4, 2]), randn([2, 3, 5, 2]), randn([2, 3, 5, 3])])).toBe(true);
  });
  it("q, k, v and the float mask itself (broadcast [1, T, S] over 2 batches)", () => {
    const mask = randn([1, 4, 5]);
    expect(gradcheck((q, k, v, m) => sdpa(q, k, v, { attnMask: m }), [randn([2, 4, 3]), randn([2, 5, 3]), randn([2, 5, 2]), mask])).toBe(true);
  });
});

describe("scaledDotProductAttention: errors", () => {
  const q = randn([2, 3, 4]), k = randn([2, 5, 4]), v = randn([2, 5, 6]);
  const cases: [string, () => unknown, RegExp][] = [
    ["k's feature dim differs", () => sdpa(q, randn([2, 5, 3]), v), /expected q \[\.\.\., T, D\], k \[\.\.\., S, D\].*k \[2, 5, 3\]/],
    ["v's key count differs", () => sdpa(q, k, randn([2, 4, 6])), /same leading dims.*v \[2, 4, 6\]/],
    ["leading dims differ", () => sdpa(q, randn([3, 5, 4]), randn([3, 5, 6])), /same leading dims/],
    ["rank differs", () => sdpa(q, randn([1, 2, 5, 4]), randn([1, 2, 5, 6])), /same leading dims/],
    ["1-D q", () => sdpa(randn([4]), k, v), /q must have at least 2 dimensions/],
    ["dtypes differ", () => sdpa(randn([2, 3, 4], "float32"), k, v), /same dtype, got float32, float64 and float64/],
    ["int q", () => sdpa(boolMask([2, 3, 4], () => true), k, v), /q must be a float tensor/],
    ["dropoutP", () => sdpa(q, k, v, { dropoutP: 0.1 }), /dropoutP = 0\.1 is not supported yet/],
    ["mask and causal", () => sdpa(q, k, v, { isCausal: true, attnMask: boolMask([3, 5], () => true) }), /attnMask and isCausal cannot be set together/],
    ["mask not broadcastable", () => sdpa(q, k, v, { attnMask: boolMask([3, 4], () => true) }), /attnMask of shape \[3, 4\] cannot be broadcast to the attention weights \[2, 3, 5\]/],
    ["mask of higher rank", () => sdpa(q, k, v, { attnMask: boolMask([1, 2, 3, 5], () => true) }), /more dimensions than the attention weights/],
    ["mask not a tensor", () => sdpa(q, k, v, { attnMask: [[1]] as unknown as Tensor }), /attnMask must be a Tensor/],
    ["scale NaN", () => sdpa(q, k, v, { scale: NaN }), /scale must be a number/],
  ];
  it.each(cases)("%s", (_, fn, message) => {
    expect(fn).toThrow(message);
  });
});
