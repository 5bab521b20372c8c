import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { DataError, loadIdx } from "../src/data/index.js";

const dir = mkdtempSync(join(tmpdir(), "weft-idx-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An IDX file: big-endian magic, big-endian uint32 dims, then the bytes. */
function idx(magic: number, dims: number[], data: ArrayLike<number>): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Uint8Array.from(data))]);
}

/** 3 images of 2×3 and their labels. */
const PIXELS = [0, 255, 51, 102, 0, 0, 1, 2, 3, 4, 5, 6, 255, 255, 255, 0, 0, 128];
const LABELS = [7, 0, 9];
const images = () => idx(0x803, [3, 2, 3], PIXELS);
const labels = () => idx(0x801, [3], LABELS);

let files = 0;
function write(bytes: Buffer, name = "file"): string {
  const path = join(dir, `${files++}-${name}`);
  writeFileSync(path, bytes);
  return path;
}

/** Runs `fn`, expects a DataError naming `file`, and returns its message. */
function failure(fn: () => unknown, file: string): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).file).toBe(file);
    expect((err as Error).message).toContain(file);
    return (err as Error).message;
  }
  throw new Error("expected a DataError");
}

describe("loadIdx", () => {
  it("loads plain IDX images and labels, scaled to [0, 1]", () => {
    const ds = loadIdx(write(images()), write(labels()));
    expect(ds.n).toBe(3);
    expect(ds.features).toBe(6);
    expect(ds.shape).toEqual([2, 3]);
    expect(ds.classes).toBe(10);
    expect(Array.from(ds.y)).toEqual(LABELS);
    expect(ds.x).toEqual(Float32Array.from(PIXELS, (v) => v / 255));
    expect(ds.x[1]).toBe(1);
    expect(ds.source).toMatch(/^idx:/);
  });

  it("loads gzipped files (detected by the magic bytes, whatever the name), one or both", () => {
    const plain = loadIdx(write(images()), write(labels()));
    const gz = loadIdx(write(gzipSync(images()), "images.gz"), write(gzipSync(labels()), "labels"));
    expect(gz.x).toEqual(plain.x);
    expect(gz.y).toEqual(plain.y);
    const mixed = loadIdx(write(images(), "images.gz"), write(gzipSync(labels())));
    expect(mixed.y).toEqual(plain.y);
  });

  it("can allocate into shared memory and honours a classes option", () => {
    const ds = loadIdx(write(images()), write(labels()), { shared: true, classes: 12 });
    expect(ds.x.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ds.y.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ds.classes).toBe(12);
  });

  it("rejects a wrong magic number, printing got and expected in hex", () => {
    const bad = write(idx(0x802, [3, 2, 3], PIXELS));
    const msg = failure(() => loadIdx(bad, write(labels())), bad);
    expect(msg).toContain("wrong magic number 0x00000802");
    expect(msg).toContain("expected 0x00000803");
  });

  it("says when images and labels are swapped", () => {
    const l = write(labels());
    const msg = failure(() => loadIdx(l, write(images())), l);
    expect(msg).toContain("0x00000801");
    expect(msg).toMatch(/swapped/);
  });

  it("rejects a file that is not IDX at all (e.g. a PNG) by its magic", () => {
    const png = write(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(failure(() => loadIdx(png, write(labels())), png)).toContain("wrong magic number 0x89504e47");
  });

  it("rejects truncated images, stating expected and actual byte counts", () => {
    const full = images();
    const cut = write(full.subarray(0, full.length - 5));
    const msg = failure(() => loadIdx(cut, write(labels())), cut);
    expect(msg).toContain("truncated");
    expect(msg).toContain(`expected ${full.length} bytes`);
    expect(msg).toContain(`got ${full.length - 5}`);
  });

  it("rejects a truncated header and truncated labels", () => {
    const header = write(images().subarray(0, 10));
    expect(failure(() => loadIdx(header, write(labels())), header)).toMatch(/truncated: expected a 16-byte header, got 10 bytes/);
    const tiny = write(Buffer.from([0, 0]));
    expect(failure(() => loadIdx(tiny, write(labels())), tiny)).toMatch(/truncated/);
    const l = labels();
    const cut = write(l.subarray(0, l.length - 1));
    expect(failure(() => loadIdx(write(images()), cut), cut)).toContain(`expected ${l.length} bytes`);
  });

  it("rejects a truncated gzip stream, naming the file", () => {
    const gz = gzipSync(images());
    const cut = write(gz.subarray(0, gz.length >> 1));
    expect(failure(() => loadIdx(cut, write(labels())), cut)).toMatch(/gzip/);
  });

  it("rejects trailing bytes after the declared data", () => {
    const long = write(Buffer.concat([images(), Buffer.from([1, 2])]));
    expect(failure(() => loadIdx(long, write(labels())), long)).toMatch(/2 trailing bytes/);
  });

  it("rejects image and label counts that differ", () => {
    const twoLabels = write(idx(0x801, [2], [1, 2]));
    const msg = failure(() => loadIdx(write(images()), twoLabels), twoLabels);
    expect(msg).toContain("2 labels");
    expect(msg).toContain("3 images");
  });

  it("rejects a label out of range, naming the record", () => {
    const l = write(idx(0x801, [3], [1, 10, 2]));
    const msg = failure(() => loadIdx(write(images()), l), l);
    expect(msg).toContain("label 10 of record 1");
    expect(msg).toContain("expected 0..9");
    const five = write(labels());
    expect(failure(() => loadIdx(write(images()), five, { classes: 5 }), five)).toContain("label 7 of record 0");
  });

  it("rejects empty files and missing files", () => {
    const empty = write(Buffer.alloc(0));
    expect(failure(() => loadIdx(empty, write(labels())), empty)).toMatch(/empty/);
    const emptyLabels = write(Buffer.alloc(0));
    expect(failure(() => loadIdx(write(images()), emptyLabels), emptyLabels)).toMatch(/empty.*labels/);
    const missing = join(dir, "no-such-file");
    expect(failure(() => loadIdx(missing, write(labels())), missing)).toMatch(/cannot read/);
  });
});
