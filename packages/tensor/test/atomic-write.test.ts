import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "../src/atomic-write.js";

describe("writeFileAtomic", () => {
  it("replaces the file whole and leaves no temp file", () => {
    const root = mkdtempSync(join(tmpdir(), "weft-atomic-"));
    const p = join(root, "a.json");
    writeFileAtomic(p, "first");
    writeFileAtomic(p, new TextEncoder().encode("second"));
    expect(readFileSync(p, "utf8")).toBe("second");
    expect(readdirSync(root)).toEqual(["a.json"]);
  });

  it("leaves the old file and no temp file when the write fails", () => {
    const root = mkdtempSync(join(tmpdir(), "weft-atomic-"));
    const p = join(root, "a.json");
    writeFileAtomic(p, "old");
    expect(() => writeFileAtomic(join(root, "missing-dir", "b.json"), "x")).toThrow(/ENOENT/);
    expect(readFileSync(p, "utf8")).toBe("old");
    expect(readdirSync(root)).toEqual(["a.json"]);
  });
});
