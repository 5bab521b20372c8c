/** What mpi.test.ts and mpi-trainer.test.ts share: starting `mpirun` (or any command) and waiting for it. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const addon = fileURLToPath(new URL("../build/weft_mpi.node", import.meta.url));

/** Open MPI and the built addon, or an error saying what to do. */
export function requireMpi(): void {
  if (spawnSync("mpirun", ["--version"]).error) throw new Error("Open MPI is not installed: run scripts/ensure-mpi.sh (as root: apt-get install -y openmpi-bin libopenmpi-dev), then pnpm build");
  if (!existsSync(addon)) throw new Error(`the @weft/mpi addon ${addon} is not built: pnpm --filter @weft/mpi build`);
}

export interface Job { code: number | null; stdout: string; stderr: string; /** stdout and stderr as they came */ output: string; ms: number }

/** Runs `cmd args` to its end (SIGKILL after `timeoutMs`): exit code, output, wall time. */
export function run(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 50_000): Promise<Job> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "", output = "";
    p.stdout.on("data", (d) => ((stdout += d), (output += d)));
    p.stderr.on("data", (d) => ((stderr += d), (output += d)));
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output, ms: performance.now() - t0 });
    });
  });
}

/** `mpirun --allow-run-as-root --oversubscribe <args>` (Open MPI required: fails, never skips, without it). */
export function mpirun(args: string[], env: Record<string, string> = {}): Promise<Job> {
  requireMpi();
  return run("mpirun", ["--allow-run-as-root", "--oversubscribe", ...args], env);
}
