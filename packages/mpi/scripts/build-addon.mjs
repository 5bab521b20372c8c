#!/usr/bin/env node
// Builds @weft/mpi's Node-API addon from source: `mpicc` (Open MPI's compiler wrapper) against
// the Node-API headers of the `node-api-headers` package — no node-gyp, no header download, no
// prebuilt binary. Node-API is ABI-stable, so one build loads in every Node ≥ 20.
//
// MPI is optional: at `pnpm install` (npm_lifecycle_event "install") a missing mpicc or a
// failed compile is a notice and exit 0, so the workspace installs without MPI. At `build` a
// present mpicc that fails to compile the addon is an error (a bug to see); a missing one is not.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "addon", "weft_mpi.c");
const target = join(root, "build", "weft_mpi.node");
const installing = process.env.npm_lifecycle_event === "install";
const INSTALL = "apt-get install -y openmpi-bin libopenmpi-dev";

const notice = (msg) => console.log(`@weft/mpi: ${msg}`);

const probe = spawnSync("mpicc", ["--showme:version"], { encoding: "utf8" });
if (probe.error) {
  notice(`mpicc not found: the MPI addon is not built (every other package works without it). To use @weft/mpi: ${INSTALL}, then pnpm --filter @weft/mpi build`);
  process.exit(0);
}
let include;
try {
  include = createRequire(import.meta.url)("node-api-headers").include_dir;
} catch (e) {
  notice(`the node-api-headers package is missing (${e.message}): run pnpm install`);
  process.exit(installing ? 0 : 1);
}
if (existsSync(target) && statSync(target).mtimeMs > statSync(source).mtimeMs) process.exit(0);
mkdirSync(dirname(target), { recursive: true });
const args = ["-O2", "-shared", "-fPIC", "-Wall", "-DNAPI_VERSION=8", "-I", include, source, "-o", target];
const cc = spawnSync("mpicc", args, { encoding: "utf8" });
if (cc.status !== 0) {
  console.error(`@weft/mpi: mpicc ${args.join(" ")} failed:\n${cc.stderr || cc.stdout || cc.error}`);
  process.exit(installing ? 0 : 1);
}
notice(`built ${target}`);
