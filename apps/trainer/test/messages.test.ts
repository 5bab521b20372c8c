// What people read: counts with their nouns in the singular for 1, and `pnpm train` printing the
// trainer's output without turbo's banner.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { plural } from "../src/plural.js";
import { tinyCsv, weftHere } from "./cli-helpers.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "weft-messages-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("plurals", () => {
  it("plural() says 1 epoch, 2 epochs, 1,000 rows, 1 class, 3 classes", () => {
    expect(plural(1, "epoch")).toBe("1 epoch");
    expect(plural(2, "epoch")).toBe("2 epochs");
    expect(plural(1000, "row")).toBe("1,000 rows");
    expect(plural(1, "class", "classes")).toBe("1 class");
    expect(plural(3, "class", "classes")).toBe("3 classes");
  });

  it("a run of 1 epoch on 1 worker says so", async () => {
    const csv = join(root, "tiny.csv");
    writeFileSync(csv, tinyCsv(60, 4));
    const r = await weftHere(["train", "--data", `csv:${csv}`, "--splits", "40,10,10", "--hidden", "4", "--workers", "1", "--epochs", "1", "--batch-size", "20", "--out", join(root, "one")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/, 1 epoch, 1 worker, seed 0\n/);
    expect(r.stdout).not.toMatch(/\b1 (epochs|workers|rows|features|classes)\b/);
    expect(r.stdout).toMatch(/4 features, 3 classes/);
  });
});

describe("pnpm train's build step", () => {
  const quiet = join(repo, "scripts", "quiet.mjs");
  const node = (code: string) => spawnSync(process.execPath, [quiet, process.execPath, "-e", code], { encoding: "utf8" });

  it("goes through scripts/quiet.mjs, which prints nothing when the build succeeds…", () => {
    const scripts = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).scripts;
    expect(scripts.train).toMatch(/^node scripts\/quiet\.mjs turbo run build .*&& node apps\/trainer\/dist\/cli\.js train$/);
    const ok = node("console.log('• turbo 2.11.11'); console.error('• Running build in 7 packages')");
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([0, "", ""]);
  });

  it("…and everything, with its exit code, when it fails", () => {
    const failed = node("console.log('src/a.ts(1,1): error TS2322'); process.exit(3)");
    expect(failed.status).toBe(3);
    expect(failed.stderr).toContain("error TS2322");
  });
});
