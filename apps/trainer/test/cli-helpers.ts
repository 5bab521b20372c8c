/** Runs the built CLI (dist/cli.js) as a child process, as a user would. */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

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
