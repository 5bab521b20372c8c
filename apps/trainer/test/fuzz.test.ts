// Bounded fuzzing of everything weft reads from disk: a fixed seed, 300 cases, a few seconds.
// fuzz-driver.mjs (one child process, the CLI's main() in-process) mutates valid safetensors
// (top-level and checkpoint model, optimizer, best), IDX images and labels, CSV and the run
// directory's JSON (config.json, checkpoint.json, state.json) — truncating, flipping bytes,
// inserting and duplicating ranges, growing values, swapping types, nesting deep, breaking the
// safetensors header through its JSON — and runs eval, predict or train --resume on the result.
//
// Every outcome must be clean: exit 2 with one paragraph naming the mutated file, or exit 0 when
// the mutation left a valid file (a flipped weight, pixel or digit: weft cannot tell). Never a
// hang (the child is killed at the deadline; its last line names the case), an exit 1 or a stack
// trace, or memory past a bound.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { oneParagraph, requireBuild } from "./cli-helpers.js";

const SEED = 12;
const CASES = 300;
const DEADLINE_MS = 45_000;
const MAX_CASE_MS = 3_000;
/** Peak resident memory of the child beyond what it had after building the valid files. */
const MAX_GROWTH_BYTES = 256 * 2 ** 20;

interface Outcome {
  case: number;
  target: string;
  file: string;
  op: string;
  code: number;
  stderr: string;
  ms: number;
  maxRss: number;
}

const root = mkdtempSync(join(tmpdir(), "weft-fuzz-"));
const lines: Record<string, unknown>[] = [];
let exit: { code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number };

beforeAll(async () => {
  requireBuild();
  const driver = fileURLToPath(new URL("./fuzz-driver.mjs", import.meta.url));
  const t0 = performance.now();
  const child = spawn(process.execPath, [driver, join(root, "work"), String(SEED), String(CASES)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), DEADLINE_MS);
  exit = await new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr: err, ms: performance.now() - t0 })));
  clearTimeout(timer);
  for (const l of out.split("\n")) if (l.trim()) lines.push(JSON.parse(l));
}, DEADLINE_MS + 10_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe(`fuzzing the files weft reads (seed ${SEED}, ${CASES} cases)`, () => {
  it("runs every case to the end, in seconds, without a hang", () => {
    const last = lines.filter((l) => "start" in l).pop();
    expect(exit.signal, `killed at the deadline during ${JSON.stringify(last)}`).toBeNull();
    expect(exit.code, exit.stderr).toBe(0);
    expect(lines.at(-1)).toEqual({ done: CASES });
    const outcomes = lines.filter((l) => "case" in l) as unknown as Outcome[];
    expect(outcomes).toHaveLength(CASES);
    const slow = outcomes.filter((o) => o.ms > MAX_CASE_MS);
    expect(slow.map((o) => `${o.case} ${o.target} ${o.op}: ${o.ms} ms`)).toEqual([]);
  });

  it("ends every case with exit 2 naming the mutated file in one paragraph, or exit 0 for a file still valid", () => {
    const outcomes = lines.filter((l) => "case" in l) as unknown as Outcome[];
    const unclean = outcomes.filter((o) => {
      if (o.code === 0) return false;
      if (o.code !== 2 || !oneParagraph(o.stderr) || /--verbose shows the stack trace/.test(o.stderr)) return true;
      // A resume whose mutated file passed every check gets as far as the epoch count (the
      // run has 2; --epochs 1 is refused): the file was still valid, and nothing ran.
      return !o.stderr.includes(o.file) && !/--epochs 1: the run in .* has already completed 2 epochs/.test(o.stderr);
    });
    expect(unclean.map((o) => `case ${o.case} (${o.target}, ${o.op}): exit ${o.code}: ${o.stderr}`)).toEqual([]);
    // Not vacuous: most mutations are refused, by every reader, through every kind of mutation.
    const refused = outcomes.filter((o) => o.code === 2);
    expect(refused.length).toBeGreaterThan(0.75 * CASES);
    for (const target of new Set(outcomes.map((o) => o.target))) expect(refused.some((o) => o.target === target), target).toBe(true);
    const ops = new Set(outcomes.map((o) => o.op));
    for (const op of ["bytes:truncate", "bytes:flip", "bytes:insert", "bytes:grow-duplicate", "json:swap-type", "json:grow", "json:nest-deep", "header:overlap", "header:duplicate-key", "header:nest-deep", "header:dim", "text:field"]) {
      expect(ops.has(op), op).toBe(true);
    }
  });

  it("keeps memory bounded: overlapping tensors, huge shapes and IDX dimensions allocate nothing of their size", () => {
    const setup = lines.find((l) => "setup" in l) as { baselineRss: number };
    const outcomes = lines.filter((l) => "case" in l) as unknown as Outcome[];
    const peak = Math.max(...outcomes.map((o) => o.maxRss));
    expect(peak - setup.baselineRss).toBeLessThan(MAX_GROWTH_BYTES);
  });
});
