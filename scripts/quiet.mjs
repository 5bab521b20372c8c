#!/usr/bin/env node
// Runs a command with its output held back: nothing is printed when it succeeds, everything (stdout
// and stderr, in order) when it fails, and its exit code is passed on. `pnpm train` builds through
// it, so a user sees the trainer's output, not turbo's banner and task summary:
//   node scripts/quiet.mjs turbo run build --output-logs=errors-only && node apps/trainer/dist/cli.js train
import { spawn } from "node:child_process";
import { constants } from "node:os";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write("usage: node scripts/quiet.mjs <command> [args…]\n");
  process.exit(2);
}
const chunks = [];
const child = spawn(command, args, { stdio: ["inherit", "pipe", "pipe"], shell: process.platform === "win32" });
child.stdout.on("data", (d) => chunks.push(d));
child.stderr.on("data", (d) => chunks.push(d));
child.on("error", (e) => {
  process.stderr.write(`quiet.mjs: cannot run ${command}: ${e.message}\n`);
  process.exit(127);
});
child.on("close", (code, signal) => {
  if (code !== 0) process.stderr.write(Buffer.concat(chunks));
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
