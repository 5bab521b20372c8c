// Compiles the WebAssembly SIMD kernels (assembly/*.ts) and writes them, base64-encoded, into
// src/kernels/wasm/binary.generated.ts, so that tsc ships them inside dist/ and every thread
// instantiates them synchronously — no fetch, no file read, no native binary at run time.
//
// Why AssemblyScript rather than hand-written WAT: the kernels are a few hundred lines of
// TypeScript-like code with typed locals, loops and inlined helpers instead of thousands of
// stack-machine instructions; Binaryen (bundled with asc) optimises them at -O3; it is the
// same language family as the rest of the package, so any contributor can read and change it;
// and the build needs nothing but an npm devDependency (assemblyscript), no wabt or clang.
//
// Two variants of the same code are built, differing only in the memory they import:
//   private — a plain (non-shared) memory: the default per-thread instance, whose staging copies
//             are 2× faster with Float32Array.set than into a SharedArrayBuffer (22 vs 44 µs for
//             the Linear forward's operands, measured in scripts/bench-wasm.mjs);
//   shared  — a shared memory (its buffer is a SharedArrayBuffer), for a caller that puts
//             parameters, gradients and optimiser state in one memory shared by all workers.
// A module declares its memory import as shared or not, and instantiation rejects the other
// kind, hence two modules (about 6 KB each).
//
// Usage: node scripts/build-wasm.mjs [--force] [--wat DIR]
//   Skips compiling when binary.generated.ts is newer than assembly/ and this script (asc takes
//   ~5 s); --force compiles anyway. --wat DIR also writes kernels-{private,shared}.wat there.

import asc from "assemblyscript/asc";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "src", "kernels", "wasm", "binary.generated.ts");
const watIndex = process.argv.indexOf("--wat");
const watDir = watIndex > 0 ? process.argv[watIndex + 1] : null;
if (watIndex > 0 && !watDir) throw new Error("build-wasm: --wat needs a directory");
const force = process.argv.includes("--force") || watDir !== null;

/** True when the generated file exists and is newer than every input. */
async function upToDate() {
  let built;
  try { built = (await stat(out)).mtimeMs; } catch { return false; }
  const inputs = [fileURLToPath(import.meta.url)];
  for (const f of await readdir(join(root, "assembly"), { recursive: true })) inputs.push(join(root, "assembly", f));
  for (const f of inputs) if ((await stat(f)).mtimeMs > built) return false;
  return true;
}
if (!force && await upToDate()) {
  console.log("build-wasm: src/kernels/wasm/binary.generated.ts is up to date");
  process.exit(0);
}

const common = [
  join(root, "assembly", "index.ts"),
  "-O3", "--runtime", "stub", "--noAssert",
  "--enable", "simd",
  // Kernels own no memory: every pointer comes from the JS side, so the memory is imported.
  "--importMemory", "--noExportMemory", "--initialMemory", "0",
  // No `abort` import: --noAssert removes the asserts, and nothing else can abort.
  "--use", "abort=",
];
const sharedFlags = ["--enable", "threads", "--sharedMemory", "--maximumMemory", "65536"];
const variants = {
  private: [],
  shared: sharedFlags,
  // The same code with relaxed SIMD enabled (ASC_FEATURE_RELAXED_SIMD): gemm's multiply-adds
  // become f32x4.relaxed_madd (FMA). Node 20 validates these modules only when run with
  // --experimental-wasm-relaxed-simd; src/kernels/wasm/module.ts picks them when it does.
  privateRelaxed: ["--enable", "relaxed-simd"],
  sharedRelaxed: ["--enable", "relaxed-simd", ...sharedFlags],
};
const relaxed = (name) => name.endsWith("Relaxed");

async function compile(name, extra) {
  const files = new Map();
  const stderr = [];
  const { error } = await asc.main([...common, ...extra, "--outFile", `${name}.wasm`, ...(watDir ? ["--textFile", `${name}.wat`] : [])], {
    stdout: { write: () => true },
    stderr: { write: (s) => { stderr.push(String(s)); return true; } },
    writeFile: (file, contents) => { files.set(file, contents); },
    readFile: async (file, baseDir) => { try { return await readFile(join(baseDir, file), "utf8"); } catch { return null; } },
  });
  if (error) throw new Error(`asc (${name} variant) failed: ${error.message}\n${stderr.join("")}`);
  if (stderr.length) process.stderr.write(stderr.join(""));
  const wasm = files.get(`${name}.wasm`);
  if (!wasm) throw new Error(`asc (${name} variant) wrote no binary`);
  if (watDir) {
    await mkdir(watDir, { recursive: true });
    await writeFile(join(watDir, `kernels-${name}.wat`), files.get(`${name}.wat`));
  }
  // A relaxed-SIMD module validates only on a host that enables relaxed SIMD; check the others.
  if (!relaxed(name) && !WebAssembly.validate(wasm)) throw new Error(`asc (${name} variant) produced a module this Node cannot validate`);
  return Buffer.from(wasm);
}

const built = {};
for (const [name, extra] of Object.entries(variants)) built[name] = await compile(name, extra);

const text = `// Generated by scripts/build-wasm.mjs from assembly/*.ts — do not edit; run \`npm run build\`.
// The WebAssembly SIMD kernel module, base64-encoded: \`private\` imports a plain memory,
// \`shared\` a shared one (see the script for why there are two).

/** ${built.private.length} bytes. */
export const kernelsPrivateBase64 =
  "${built.private.toString("base64")}";

/** ${built.shared.length} bytes. */
export const kernelsSharedBase64 =
  "${built.shared.toString("base64")}";

/** ${built.privateRelaxed.length} bytes: \`private\` with relaxed SIMD (FMA in gemm). */
export const kernelsPrivateRelaxedBase64 =
  "${built.privateRelaxed.toString("base64")}";

/** ${built.sharedRelaxed.length} bytes: \`shared\` with relaxed SIMD (FMA in gemm). */
export const kernelsSharedRelaxedBase64 =
  "${built.sharedRelaxed.toString("base64")}";
`;
let old = null;
try { old = await readFile(out, "utf8"); } catch { /* first build */ }
// Rewrite only on change, so tsc's and turbo's up-to-date checks are not disturbed for nothing.
if (old !== text) await writeFile(out, text);
console.log(`build-wasm: private ${built.private.length} B, shared ${built.shared.length} B (+ relaxed-SIMD variants) → ${join("src", "kernels", "wasm", "binary.generated.ts")}${old === text ? " (unchanged)" : ""}`);
