/** Runs the built CLI (dist/cli.js) as a child process, as a user would. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The built CLI — or, with WEFT_TEST_CLI=<path of a cli.js>, another build (see {@link weftHere}). */
export const CLI = process.env.WEFT_TEST_CLI ?? fileURLToPath(new URL("../dist/cli.js", import.meta.url));

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (pnpm test at the root does; or cd apps/trainer && npx tsc -p tsconfig.json)`);
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Starts `weft <args>`; `onStart` gets the child (e.g. to kill it). */
export function weft(args: string[], options: { env?: Record<string, string>; onStart?: (child: ChildProcess) => void } = {}): Promise<Result> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  options.onStart?.(child);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }));
  });
}

/** Small, fast runs: 1,000 training digits, a small MLP, two workers. */
export const SMALL = ["--splits", "1000,200,200", "--hidden", "32,16", "--workers", "2", "--batch-size", "100"];

/**
 * Runs `weft <args>` in this process — main() with captured streams: no process start-up, so a
 * test can afford many runs. With WEFT_TEST_CLI=<path of a cli.js>, runs that build in a child
 * instead, killed after `timeoutMs` (code null): how a test is checked against another build,
 * such as main's before a fix, where a case may hang.
 */
export async function weftHere(args: string[], timeoutMs = 30_000): Promise<Result> {
  const other = process.env.WEFT_TEST_CLI;
  if (other) {
    const t0 = performance.now();
    const child = spawn(process.execPath, [other, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    return new Promise((resolve) => child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 });
    }));
  }
  const { main } = await import("../src/main.js");
  let stdout = "";
  let stderr = "";
  const t0 = performance.now();
  const code = await main(args, { out: { write: (s: string) => (stdout += s) }, err: { write: (s: string) => (stderr += s) } });
  return { code, signal: null, stdout, stderr, ms: performance.now() - t0 };
}

/** A small CSV dataset (label first, `features` columns, 3 classes), deterministic. */
export function tinyCsv(rows: number, features: number): string {
  const lines = ["label," + Array.from({ length: features }, (_, j) => `f${j}`).join(",")];
  for (let i = 0; i < rows; i++) {
    const label = i % 3;
    lines.push([label, ...Array.from({ length: features }, (_, j) => (Math.sin(i * 7.3 + j * 1.7) + label * (j % 2 ? 0.8 : -0.5)).toFixed(4))].join(","));
  }
  return `${lines.join("\n")}\n`;
}

/** One paragraph on stderr: a single line, no stack frames. */
export function oneParagraph(stderr: string): boolean {
  return stderr.trim().split("\n").length === 1 && !/^\s+at /m.test(stderr);
}
