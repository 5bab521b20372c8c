// A run that cannot fit is refused during validation — exit 2, before the run directory exists —
// naming the limit and a value that fits (the issue's --batch-size 65536 --hidden 65536,65536
// allocated past 11 GB; --hidden 16384,16384 and --workers 85 died in WebAssembly.Memory()).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveTrainConfig } from "../src/config.js";
import { checkRunMemory, runMemory, type MemoryLimits } from "../src/run-memory.js";
import { oneParagraph, weftHere } from "./cli-helpers.js";

const root = mkdtempSync(join(tmpdir(), "weft-memory-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const MNIST = { features: 784, classes: 10, rows: 10_000, loadedBytes: 10_000 * 785 * 4 };
const GiB = 2 ** 30;
const WASM_ON_16_GIB: MemoryLimits = { sharedBytes: 4 * GiB, machineBytes: 16 * GiB };
const JS_ON_8_GIB: MemoryLimits = { sharedBytes: null, machineBytes: 8 * GiB };

/** The options `weft train <flags>` resolves to (2 cores by default). */
const options = (...flags: string[]) => {
  const raw = new Map<string, string>();
  for (let i = 0; i < flags.length; i += 2) raw.set(flags[i]!.slice(2), flags[i + 1]!);
  return resolveTrainConfig(raw, 2).options;
};
const refusal = (fn: () => void): string => {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected the run to be refused");
};

describe("the run's memory, checked before anything is allocated", () => {
  it("lets the default run and the README's figures through (about 0.4 GiB)", () => {
    const m = runMemory(options(), MNIST, true);
    expect(m.parameters).toBe(235_146 + 2 * (256 + 128)); // the Linear layers, then BatchNorm's weight and bias
    expect(m.totalBytes).toBeLessThan(0.5 * GiB);
    expect(() => checkRunMemory(options(), MNIST, WASM_ON_16_GIB)).not.toThrow();
    expect(() => checkRunMemory(options("--workers", "16", "--batch-size", "1024"), MNIST, WASM_ON_16_GIB)).not.toThrow();
  });

  it("--hidden 16384,16384 over the 4 GiB wasm memory: names the limit and widths that fit", () => {
    const m = refusal(() => checkRunMemory(options("--hidden", "16384,16384"), MNIST, WASM_ON_16_GIB));
    expect(m).toMatch(/^the run needs 7\.44 GiB of shared memory \(281,5\d\d,\d{3} parameters × 7 copies \+ 2 workers × 0\.05 GiB of arena and scratch\), over the 4\.00 GiB a wasm memory holds\. Any one of these fits: /);
    const widths = /--hidden (\d+),(\d+)/.exec(m)!;
    expect(Number(widths[1])).toBe(Number(widths[2]));
    // The suggestion fits, and is the largest scaled width that does (to 1/1024 of the original).
    expect(() => checkRunMemory(options("--hidden", `${widths[1]},${widths[2]}`), MNIST, WASM_ON_16_GIB)).not.toThrow();
    const more = Number(widths[1]) + 16;
    expect(() => checkRunMemory(options("--hidden", `${more},${more}`), MNIST, WASM_ON_16_GIB)).toThrow();
    expect(m).toContain("WEFT_BACKEND=js (no 4 GiB limit)");
  });

  it("--workers 85: 85 × 48 MiB of arena and scratch is over 4 GiB; --workers 83 fits (84 × 48 MiB + 89 copies of the parameters do not)", () => {
    const m = refusal(() => checkRunMemory(options("--workers", "85"), MNIST, WASM_ON_16_GIB));
    expect(m).toMatch(/^the run needs 4\.06 GiB of shared memory \(235,914 parameters × 90 copies \+ 85 workers × 0\.05 GiB of arena and scratch\), over the 4\.00 GiB a wasm memory holds\. Any one of these fits: --workers 83; /);
    expect(() => checkRunMemory(options("--workers", "83"), MNIST, WASM_ON_16_GIB)).not.toThrow();
    expect(() => checkRunMemory(options("--workers", "84"), MNIST, WASM_ON_16_GIB)).toThrow();
  });

  it("a batch whose activations outgrow the machine: names its memory and the largest batch that fits", () => {
    const o = options("--batch-size", "65536", "--hidden", "8192,8192", "--workers", "1");
    const m = refusal(() => checkRunMemory(o, MNIST, JS_ON_8_GIB));
    expect(m).toMatch(/^the run needs about \d+\.\d GiB of memory \(.* GiB shared: .*\), more than this machine's 8\.00 GiB\. Any one of these fits: --batch-size (\d+); --hidden \d+,\d+$/);
    const b = Number(/--batch-size (\d+)/.exec(m)![1]);
    expect(() => checkRunMemory({ ...o, batchSize: b }, MNIST, JS_ON_8_GIB)).not.toThrow();
    expect(() => checkRunMemory({ ...o, batchSize: b + 1 }, MNIST, JS_ON_8_GIB)).toThrow();
  });

  it("a saved run that does not fit this machine says so, without suggesting flags --resume refuses", () => {
    const m = refusal(() => checkRunMemory(options("--hidden", "16384,16384"), MNIST, WASM_ON_16_GIB, "/runs/r/config.json"));
    expect(m).toMatch(/^\/runs\/r\/config\.json: the run needs 7\.44 GiB .* over the 4\.00 GiB a wasm memory holds: the options saved there need a machine with more memory \(or WEFT_BACKEND=js\)$/);
  });

  it("weft train: exit 2 within seconds, one paragraph, and no run directory (any backend, any machine)", async () => {
    const out = join(root, "never");
    // 16 layers of 65,536: 69 G parameters — more than any machine this runs on, under either backend.
    const r = await weftHere(["train", "--batch-size", "65536", "--hidden", Array(16).fill(65536).join(","), "--splits", "1000,200,200", "--out", out]);
    expect(r.code, r.stderr).toBe(2);
    expect(oneParagraph(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/^weft train: the run needs .* GiB .*\. Any one of these fits: --hidden \d+(,\d+){15}/);
    expect(r.ms).toBeLessThan(10_000);
    expect(existsSync(out)).toBe(false);
  });
});
