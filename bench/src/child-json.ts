/** Runs a benchmark script in a fresh Node process and returns the JSON line it prints last. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** `script` is a file next to this one in dist/ (e.g. `train.js`). */
export function runJsonChild<T>(script: string, args: readonly string[], timeoutMs = 600_000): Promise<T> {
  const file = fileURLToPath(new URL(`./${script}`, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file, ...args, "--json"], { timeout: timeoutMs, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const line = stdout.split("\n").filter((l) => l.startsWith("{")).pop();
      if (err || !line) reject(new Error(`${script} ${args.join(" ")} failed: ${err?.message ?? "no JSON output"}\n${stderr.trim()}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}
