import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CharVocabulary, END, loadDocuments, namesCorpus, splitCorpus, windows } from "../src/index.js";

describe("namesCorpus", () => {
  const names = namesCorpus();
  it("≈ 8,400 unique lower-case names from the two @stdlib lists, sorted", () => {
    expect(names.length).toBe(8422); // 4,951 female + 3,898 male, 427 in both
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(names);
    for (const n of names) expect(n).toMatch(/^[a-z-]+$/);
    expect(names).toContain("emma");
    expect(names).toContain("aaron");
  });
});

describe("CharVocabulary", () => {
  it("sorted distinct code points; encode/decode round trip; unknown characters named", () => {
    const v = CharVocabulary.fromText("héllo hello\n");
    expect(v.chars).toEqual(["\n", " ", "e", "h", "l", "o", "é"]);
    expect(v.decode(v.encode("hole"))).toBe("hole");
    expect(() => v.encode("hex")).toThrow(/character "x" at position 2 is not in the vocabulary/);
    expect(() => v.decode([9])).toThrow(/id 9 at position 0 is outside 0 … 6/);
  });
});

describe("splitCorpus", () => {
  const docs = namesCorpus();
  const s = splitCorpus(docs, { seed: 1 });
  it("splits by document, 80/10/10, disjoint and complete", () => {
    const { train, val, test } = s.documents;
    expect(val.length).toBe(842);
    expect(test.length).toBe(842);
    expect(train.length + val.length + test.length).toBe(docs.length);
    expect(new Set([...train, ...val, ...test]).size).toBe(docs.length);
  });
  it("each stream is END, then every document and END; the vocabulary is END, '-' and a–z", () => {
    expect(s.vocab.size).toBe(28);
    expect(s.vocab.decode(s.streams.val)).toBe(END + s.documents.val.map((d) => d + END).join(""));
  });
  it("the same seed gives the same split; another seed another", () => {
    expect(splitCorpus(docs, { seed: 1 }).documents.val).toEqual(s.documents.val);
    expect(splitCorpus(docs, { seed: 2 }).documents.val).not.toEqual(s.documents.val);
  });
});

describe("windows", () => {
  const ids = Int32Array.from([0, 1, 2, 3, 4, 5, 6]);
  it("inputs and next-character targets at every stride, the last window ending at the stream's end", () => {
    const w = windows(ids, 3, 3);
    expect(w.rows).toBe(2);
    expect(Array.from(w.x)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(w.y)).toEqual([1, 2, 3, 4, 5, 6]);
    const v = windows(ids, 4, 2);
    expect(Array.from(v.x)).toEqual([0, 1, 2, 3, 2, 3, 4, 5]);
    expect(windows(ids, 2, 1).rows).toBe(5);
  });
  it("names a stream too short", () => {
    expect(() => windows(ids, 7)).toThrow(/too short for windows of 7/);
  });
});

describe("loadDocuments", () => {
  it("names, or the non-empty lines of a UTF-8 file; anything else is an error saying what is accepted", () => {
    expect(loadDocuments("names")).toBe(namesCorpus());
    const dir = mkdtempSync(join(tmpdir(), "weft-text-"));
    const f = join(dir, "lines.txt");
    writeFileSync(f, "Zoë\r\n\nĀda\nbob\n", "utf8");
    expect(loadDocuments(`text:${f}`)).toEqual(["Zoë", "Āda", "bob"]);
    expect(() => loadDocuments(`text:${join(dir, "missing.txt")}`)).toThrow(/cannot read the file/);
    expect(() => loadDocuments("mnist")).toThrow(/use "names" .* or "text:<file>"/);
  });
});
