/**
 * Winograd F(2×2, 3×3)'s transforms, a kernel family over {@link WasmKernelsCore}
 * (assembly/winograd.ts): the js kernels' bits (kernels/js/winograd.ts).
 */
import { copyIn } from "./core.js";
import type { WasmKernels } from "./kernels.js";

const READ_1_WRITE_1 = copyIn(1, 1);
const READ_2 = copyIn(2);

function need(op: string, name: string, a: Float32Array, n: number): void {
  if (a.length < n) throw new Error(`WasmKernels.${op}: ${name} needs ${n} elements, got ${a.length}`);
}

export const winogradKernels = {
  /** See Kernels.winogradWeights. */
  winogradWeights(this: WasmKernels, w: Float32Array, cOut: number, cIn: number, flip: boolean, u: Float32Array): void {
    need("winogradWeights", "weight", w, cOut * cIn * 9);
    need("winogradWeights", "u", u, 16 * cOut * cIn);
    if (cOut * cIn === 0) return;
    this.stage(READ_1_WRITE_1, 0, w, u);
    this.exports.winogradWeights(this.ptrs[0], cOut, cIn, flip ? 1 : 0, this.ptrs[1]);
    this.unstage(u, 1);
  },
  /** See Kernels.winogradInput. */
  winogradInput(this: WasmKernels, x: Float32Array, n: number, c: number, h: number, w: number, v: Float32Array): void {
    const th = (h + 1) >> 1, tw = (w + 1) >> 1;
    need("winogradInput", "x", x, n * c * h * w);
    need("winogradInput", "v", v, 16 * c * n * th * tw);
    if (n * c * h * w === 0) return;
    const pad = this.stage(READ_1_WRITE_1, 4 * (2 * th + 2) * (2 * tw + 2), x, v);
    this.exports.winogradInput(this.ptrs[0], n, c, h, w, this.ptrs[1], pad);
    this.unstage(v, 1);
  },
  /** See Kernels.winogradOutput. */
  winogradOutput(this: WasmKernels, m: Float32Array, n: number, c: number, h: number, w: number, y: Float32Array, accumulate: boolean): void {
    const th = (h + 1) >> 1, tw = (w + 1) >> 1;
    need("winogradOutput", "m", m, 16 * c * n * th * tw);
    need("winogradOutput", "y", y, n * c * h * w);
    if (n * c * h * w === 0) return;
    this.stage(accumulate ? READ_2 : READ_1_WRITE_1, 0, m, y);
    this.exports.winogradOutput(this.ptrs[0], n, c, h, w, this.ptrs[1], accumulate ? 1 : 0);
    this.unstage(y, 1);
  },
};
