/**
 * Convolution's im2col / col2im and max pooling, a kernel family over {@link WasmKernelsCore}
 * (assembly/conv.ts, pool.ts). Operands in this instance's memory (the engine's step arena) run
 * in place; otherwise only the slice a call touches is staged (one sample's channels of x, not
 * the whole batch), and max pooling's int32 winners through an int32 view.
 */
import { align } from "./core.js";
import type { ConvGeometry, PoolGeometry } from "../interface.js";
import type { WasmKernels } from "./kernels.js";

/** Address of `len` float32 of `a` from element `off`: in place, or copied (when `read`) to scratch at `at`. */
function place(k: WasmKernels, a: Float32Array, off: number, len: number, at: number, read: boolean): number {
  if (k.holds(a)) return a.byteOffset + off * 4;
  if (read && len > 0) k.put(a, off, len, at);
  return at;
}

/** Copies `len` float32 at address `ptr` back into `a` from element `off` (nothing when in place). */
function back(k: WasmKernels, a: Float32Array, off: number, len: number, ptr: number): void {
  if (k.holds(a) || len === 0) return;
  a.set(k.viewAt(ptr, len), off);
}

/** Bytes of scratch for operands not in memory. */
const need = (k: WasmKernels, a: Float32Array | Int32Array, len: number): number => (k.holds(a) ? 0 : align(len * 4));

/** An int32 view of `len` values at byte address `ptr` of the memory. */
const int32At = (k: WasmKernels, ptr: number, len: number): Int32Array => new Int32Array(k.memory.buffer, ptr, len);

export const convKernels = {
  /** See Kernels.im2col (float32). */
  im2col(this: WasmKernels, x: Float32Array, xOff: number, g: ConvGeometry, col: Float32Array): void {
    const len = g.c * g.h * g.w, colLen = g.c * g.kh * g.kw * g.oh * g.ow;
    if (col.length < colLen || x.length < xOff + len) throw new Error(`WasmKernels.im2col: col needs ${colLen} elements and x ${xOff + len}, got ${col.length} and ${x.length}`);
    const base = this.reserve(need(this, x, len) + need(this, col, colLen));
    const xp = place(this, x, xOff, len, base, true);
    const cp = place(this, col, 0, colLen, base + need(this, x, len), false);
    this.exports.im2col(xp, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, cp);
    back(this, col, 0, colLen, cp);
  },

  /** See Kernels.col2im (float32). */
  col2im(this: WasmKernels, col: Float32Array, g: ConvGeometry, gx: Float32Array, gxOff: number): void {
    const len = g.c * g.h * g.w, colLen = g.c * g.kh * g.kw * g.oh * g.ow;
    if (col.length < colLen || gx.length < gxOff + len) throw new Error(`WasmKernels.col2im: col needs ${colLen} elements and gx ${gxOff + len}, got ${col.length} and ${gx.length}`);
    const base = this.reserve(need(this, col, colLen) + need(this, gx, len));
    const cp = place(this, col, 0, colLen, base, true);
    const gp = place(this, gx, gxOff, len, base + need(this, col, colLen), true);
    this.exports.col2im(cp, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, gp);
    back(this, gx, gxOff, len, gp);
  },

  /** See Kernels.maxPool2dForward (float32 x and out). */
  maxPool2dForward(this: WasmKernels, x: Float32Array, planes: number, g: PoolGeometry, out: Float32Array, argmax: Int32Array): void {
    const len = planes * g.h * g.w, outLen = planes * g.oh * g.ow;
    if (x.length < len || out.length < outLen || argmax.length < outLen) throw new Error(`WasmKernels.maxPool2dForward: x needs ${len} elements, out and argmax ${outLen}`);
    const base = this.reserve(need(this, x, len) + need(this, out, outLen) + need(this, argmax, outLen));
    const xp = place(this, x, 0, len, base, true);
    const op = place(this, out, 0, outLen, base + need(this, x, len), false);
    const ap = this.holds(argmax) ? argmax.byteOffset : base + need(this, x, len) + need(this, out, outLen);
    this.exports.maxPool2dForward(xp, planes, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow, op, ap);
    back(this, out, 0, outLen, op);
    if (!this.holds(argmax) && outLen > 0) argmax.set(int32At(this, ap, outLen));
  },

  /** See Kernels.maxPool2dBackward (float32 gy and gx). */
  maxPool2dBackward(this: WasmKernels, gy: Float32Array, argmax: Int32Array, planes: number, g: PoolGeometry, gx: Float32Array, assign = false): void {
    const len = planes * g.h * g.w, outLen = planes * g.oh * g.ow;
    if (gx.length < len || gy.length < outLen || argmax.length < outLen) throw new Error(`WasmKernels.maxPool2dBackward: gx needs ${len} elements, gy and argmax ${outLen}`);
    const base = this.reserve(need(this, gy, outLen) + need(this, argmax, outLen) + need(this, gx, len));
    const gp = place(this, gy, 0, outLen, base, true);
    let ap = argmax.byteOffset;
    if (!this.holds(argmax)) {
      ap = base + need(this, gy, outLen);
      if (outLen > 0) int32At(this, ap, outLen).set(argmax.subarray(0, outLen));
    }
    const xp = place(this, gx, 0, len, base + need(this, gy, outLen) + need(this, argmax, outLen), !assign);
    this.exports.maxPool2dBackward(gp, ap, planes, g.h * g.w, g.oh * g.ow, xp, assign ? 1 : 0);
    back(this, gx, 0, len, xp);
  },
};
