import { describe, expect, it } from "vitest";
import { Arena, activeArena, allocFloat32, allocLike, tensor, withArena, relu, matmul, Tensor } from "../src/index.js";

describe("Arena", () => {
  it("hands out zeroed, 64-byte-aligned views of its buffer and counts the bytes", () => {
    const buffer = new ArrayBuffer(4096);
    const arena = new Arena({ buffer, byteOffset: 128, byteLength: 1024 });
    const a = arena.float32(3);
    const b = arena.float64(5);
    const c = arena.int32(1);
    const d = arena.uint8(7);
    for (const v of [a, b, c, d]) {
      expect(v.buffer).toBe(buffer);
      expect(v.byteOffset % 64).toBe(0);
      expect(Array.from(v).every((x) => x === 0)).toBe(true);
    }
    expect([a.byteOffset, b.byteOffset, c.byteOffset, d.byteOffset]).toEqual([128, 192, 256, 320]);
    expect(arena.stats()).toEqual({ used: 256, highWater: 256, overflows: 0, overflowBytes: 0 });
  });

  it("returns the same view objects, zeroed again, when a step repeats its requests", () => {
    const arena = new Arena({ byteLength: 1 << 12 });
    const step = () => {
      arena.reset();
      const x = arena.float32(10);
      const y = arena.float64(4);
      x.fill(7);
      y.fill(-1);
      return [x, y] as const;
    };
    const [x1, y1] = step();
    const [x2, y2] = step();
    expect(x2).toBe(x1);
    expect(y2).toBe(y1);
    arena.reset();
    const x3 = arena.float32(10);
    expect(Array.from(x3)).toEqual(new Array(10).fill(0));
    // A different request at the same place gets a new view of the right type and length.
    arena.reset();
    const z = arena.float64(10);
    expect(z).toBeInstanceOf(Float64Array);
    expect(z.length).toBe(10);
  });

  it("serves what does not fit from the heap and says so", () => {
    const arena = new Arena({ byteLength: 128 });
    arena.float32(16); // 64 bytes
    arena.float32(16); // 64 bytes: full
    const over = arena.float32(4);
    expect(over.buffer).not.toBe(arena.buffer);
    expect(Array.from(over)).toEqual([0, 0, 0, 0]);
    expect(arena.stats()).toEqual({ used: 128, highWater: 192, overflows: 1, overflowBytes: 16 });
    arena.reset();
    expect(arena.stats().used).toBe(0);
    expect(arena.stats().highWater).toBe(192);
  });

  it("says so when its buffer was detached (a plain wasm memory that grew), instead of handing out dead views", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const arena = new Arena({ buffer: memory.buffer, byteOffset: 0, byteLength: 1024 });
    arena.float32(4);
    memory.grow(1);
    arena.reset();
    expect(() => arena.float32(4)).toThrow(/buffer has been detached .* shared memory/);
  });

  it("rejects a range outside its buffer or a misaligned start", () => {
    expect(() => new Arena({ buffer: new ArrayBuffer(100), byteOffset: 64, byteLength: 64 })).toThrow(/must lie inside the buffer's 100 bytes/);
    expect(() => new Arena({ buffer: new ArrayBuffer(100), byteOffset: 8 })).toThrow(/multiple of 64/);
  });
});

describe("withArena", () => {
  it("routes op outputs and non-leaf gradients into the arena, and restores the heap after", () => {
    const arena = new Arena({ byteLength: 1 << 16 });
    const w = tensor([[1, -2], [3, 4]], undefined, { requiresGrad: true });
    const x = tensor([[0.5, -1], [2, 1]]);
    let hidden: Tensor | null = null;
    const loss = withArena(arena, () => {
      expect(activeArena()).toBe(arena);
      hidden = relu(matmul(x, w));
      const l = hidden.sum();
      l.backward();
      return l;
    });
    expect(activeArena()).toBe(null);
    expect(hidden!.data.buffer).toBe(arena.buffer);
    expect(loss.data.buffer).toBe(arena.buffer);
    // Leaf gradients are never arena memory: they outlive the step.
    expect(w.grad!.data.buffer).not.toBe(arena.buffer);
    expect(allocFloat32(2).buffer).not.toBe(arena.buffer);
    expect(arena.stats().used).toBeGreaterThan(0);
  });

  it("gives the same numbers as the heap", () => {
    const run = (arena: Arena | null) => {
      const w = tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], undefined, { requiresGrad: true });
      const x = tensor([[1, 2], [3, -4], [0.5, 0.25]]);
      const l = withArena(arena, () => {
        const y = matmul(x, w).sigmoid().mul(2).sum();
        y.backward();
        return y.item();
      });
      return [l, ...Array.from(w.grad!.data)];
    };
    const arena = new Arena({ byteLength: 1 << 14 });
    const heap = run(null);
    expect(run(arena)).toEqual(heap);
    arena.reset();
    expect(run(arena)).toEqual(heap);
  });

  it("restores the previous arena when the function throws, and nests", () => {
    const outer = new Arena({ byteLength: 1024 });
    const inner = new Arena({ byteLength: 1024 });
    withArena(outer, () => {
      expect(() => withArena(inner, () => { throw new Error("boom"); })).toThrow("boom");
      expect(activeArena()).toBe(outer);
      expect(allocLike(new Float64Array(1), 2).buffer).toBe(outer.buffer);
    });
    expect(activeArena()).toBe(null);
  });
});
