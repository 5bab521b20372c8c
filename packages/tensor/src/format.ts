/**
 * Printing a tensor the way PyTorch's repr does: `tensor([[ 1.0000, -2.5000], …], requiresGrad=true)`.
 * Floats get 4 decimals (scientific when the magnitudes span too much, as torch's
 * `_tensor_str`), integer-valued floats print as `1.`, and past 1,000 elements each dim shows its
 * first and last 3 entries around `...`.
 */
import type { Tensor, TensorData } from "./tensor.js";

const SUMMARIZE = 1000;
const EDGE = 3;

function elementFormatter(t: Tensor<TensorData>, shown: readonly number[]): (v: number) => string {
  if (t.dtype === "int32") return (v) => String(v);
  const finite = shown.filter((v) => Number.isFinite(v));
  const abs = finite.map(Math.abs).filter((v) => v !== 0);
  const allInts = finite.every((v) => Number.isInteger(v));
  const max = abs.length ? Math.max(...abs) : 0;
  const min = abs.length ? Math.min(...abs) : 0;
  const special = (v: number): string | null => (Number.isNaN(v) ? "nan" : v === Infinity ? "inf" : v === -Infinity ? "-inf" : null);
  if (allInts && max < 1e8) return (v) => special(v) ?? `${v.toFixed(0)}.`;
  if (max / min > 1000 || max > 1e8 || min < 1e-4) {
    return (v) => special(v) ?? v.toExponential(4).replace(/e([+-])(\d)$/, "e$10$2");
  }
  return (v) => special(v) ?? v.toFixed(4);
}

/** The indices of dim `n` that are printed: all, or the first and last EDGE when summarising. */
function shownIndices(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE) return Array.from({ length: n }, (_, i) => i);
  return [0, 1, 2, -1, n - 3, n - 2, n - 1];
}

export function formatTensor(t: Tensor<TensorData>): string {
  const suffix: string[] = [];
  if (t.dtype !== "float32") suffix.push(`dtype=${t.dtype}`);
  if (t.requiresGrad) suffix.push("requiresGrad=true");
  const tail = suffix.length ? `, ${suffix.join(", ")}` : "";
  if (t.size === 0) return `tensor([]${t.ndim === 1 ? "" : `, size=[${t.shape.join(", ")}]`}${tail})`;
  const summarize = t.size > SUMMARIZE;
  const strides: number[] = [];
  let s = 1;
  for (let d = t.ndim - 1; d >= 0; d--) {
    strides[d] = s;
    s *= t.shape[d];
  }
  // Collect the printed values first, to choose one format and one width for all of them.
  const shown: number[] = [];
  const collect = (dim: number, off: number): void => {
    if (dim === t.ndim) {
      shown.push(t.data[off]);
      return;
    }
    for (const i of shownIndices(t.shape[dim], summarize)) if (i >= 0) collect(dim + 1, off + i * strides[dim]);
  };
  collect(0, 0);
  const fmt = elementFormatter(t, shown);
  const width = Math.max(...shown.map((v) => fmt(v).length));
  const cell = (v: number): string => fmt(v).padStart(width);
  const indent = "tensor(".length;
  const build = (dim: number, off: number): string => {
    if (dim === t.ndim) return cell(t.data[off]);
    const parts: string[] = [];
    for (const i of shownIndices(t.shape[dim], summarize)) parts.push(i < 0 ? "..." : build(dim + 1, off + i * strides[dim]));
    if (dim === t.ndim - 1) return `[${parts.join(", ")}]`;
    const sep = `,${"\n".repeat(t.ndim - dim - 1)}${" ".repeat(indent + dim + 1)}`;
    return `[${parts.join(sep)}]`;
  };
  return `tensor(${build(0, 0)}${tail})`;
}
