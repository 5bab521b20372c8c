import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsFile,
  writeSafetensorsFile,
  type NamedTensor,
} from "../src/safetensors.js";

/** Builds a file by hand: u64 LE header length, the header text as given, then `data`. */
function build(header: string, data: number[] = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Little-endian bytes of typed-array values, written element by element through a DataView. */
function le(kind: "f32" | "f64" | "i64" | "i32" | "u16", values: number[]): number[] {
  const size = { f32: 4, f64: 8, i64: 8, i32: 4, u16: 2 }[kind];
  const view = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, i) => {
    if (kind === "f32") view.setFloat32(i * size, v, true);
    else if (kind === "f64") view.setFloat64(i * size, v, true);
    else if (kind === "i64") view.setBigInt64(i * size, BigInt(v), true);
    else if (kind === "i32") view.setInt32(i * size, v, true);
    else view.setUint16(i * size, v, true);
  });
  return Array.from(new Uint8Array(view.buffer));
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

describe("encodeSafetensors layout", () => {
  it("writes the exact bytes of a tiny file", () => {
    const bytes = encodeSafetensors({ a: { shape: [2], data: new Float32Array([1, -2]) } }, { format: "pt" });
    const header = '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 85 bytes
    const expected = [
      ...[88, 0, 0, 0, 0, 0, 0, 0], // header length 85 padded to 88, u64 little-endian
      ...ascii(header),
      ...[0x20, 0x20, 0x20], // space padding to 8-byte alignment
      ...[0x00, 0x00, 0x80, 0x3f], // 1.0f
      ...[0x00, 0x00, 0x00, 0xc0], // -2.0f
    ];
    expect(Array.from(bytes)).toEqual(expected);
  });

  it("lays tensors out contiguously in insertion order and omits empty metadata", () => {
    const bytes = encodeSafetensors({
      "0.weight": { shape: [1, 2], data: new Float32Array([0.5, 0.25]) },
      "0.bias": { shape: [1], data: new Float32Array([3]) },
    });
    const header = '{"0.weight":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"0.bias":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}';
    const padded = Math.ceil(header.length / 8) * 8;
    expect(Array.from(bytes)).toEqual([
      ...le("i64", [padded]),
      ...ascii(header.padEnd(padded, " ")),
      ...le("f32", [0.5, 0.25, 3]),
    ]);
    expect((8 + padded) % 8).toBe(0);
  });

  it("rejects inconsistent input", () => {
    expect(() => encodeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/shape \[2, 2\] \(4 elements\) but 3 values/);
    expect(() => encodeSafetensors({ w: { shape: [-1], data: new Float32Array(0) } })).toThrow(/non-negative integers/);
    expect(() => encodeSafetensors({ __metadata__: { shape: [], data: new Float32Array(1) } })).toThrow(/reserved/);
    expect(() => encodeSafetensors({}, { n: 1 as unknown as string })).toThrow(/must be a string/);
  });
});

describe("decodeSafetensors", () => {
  it("round-trips tensors, shapes and metadata bit-exactly", () => {
    const nan = new Float32Array(new Uint32Array([0x7fc01234]).buffer)[0]!;
    const tensors: Record<string, NamedTensor> = {
      "layer.weight": { shape: [2, 3], data: new Float32Array([1, 2, 3, -4, 5.5, 1e-30]) },
      scalar: { shape: [], data: new Float32Array([Math.PI]) },
      empty: { shape: [0, 4], data: new Float32Array(0) },
      odd: { shape: [3], data: new Float32Array([nan, -0, Infinity]) },
    };
    // A tensor literally named "__proto__" (an object literal would set the prototype instead).
    Object.defineProperty(tensors, "__proto__", { value: { shape: [1], data: new Float32Array([7]) }, enumerable: true });
    const { tensors: back, metadata } = decodeSafetensors(encodeSafetensors(tensors, { format: "pt", step: "12" }));
    expect(metadata).toEqual({ format: "pt", step: "12" });
    expect(Object.keys(back)).toEqual(["layer.weight", "scalar", "empty", "odd", "__proto__"]);
    for (const [name, t] of Object.entries(tensors)) {
      const got = Object.getOwnPropertyDescriptor(back, name)!.value as NamedTensor;
      expect(got.shape).toEqual(t.shape);
      expect(got.data).toBeInstanceOf(Float32Array);
      expect(new Uint32Array(got.data.slice().buffer)).toEqual(new Uint32Array(t.data.slice().buffer));
    }
  });

  it("accepts tensors over a SharedArrayBuffer and subarray views", () => {
    const shared = new Float32Array(new SharedArrayBuffer(40));
    shared.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const { tensors } = decodeSafetensors(encodeSafetensors({ v: { shape: [2, 2], data: shared.subarray(3, 7) } }));
    expect(Array.from(tensors["v"]!.data)).toEqual([3, 4, 5, 6]);
  });

  it("reads data at an unaligned position into a fresh array", () => {
    const file = encodeSafetensors({ w: { shape: [3], data: new Float32Array([1.5, -2.5, 3.25]) } });
    const holder = new Uint8Array(file.length + 3);
    holder.set(file, 3);
    const view = holder.subarray(3);
    const { tensors } = decodeSafetensors(view);
    expect(Array.from(tensors["w"]!.data)).toEqual([1.5, -2.5, 3.25]);
    holder.fill(0);
    expect(Array.from(tensors["w"]!.data)).toEqual([1.5, -2.5, 3.25]); // a copy, not a view
  });

  it("converts F64, I64, I32, F16 and BF16 to float32", () => {
    const header = JSON.stringify({
      f64: { dtype: "F64", shape: [2], data_offsets: [0, 16] },
      i64: { dtype: "I64", shape: [], data_offsets: [16, 24] },
      i32: { dtype: "I32", shape: [2], data_offsets: [24, 32] },
      f16: { dtype: "F16", shape: [5], data_offsets: [32, 42] },
      bf16: { dtype: "BF16", shape: [2], data_offsets: [42, 46] },
    });
    const data = [
      ...le("f64", [0.1, -1e300]),
      ...le("i64", [12345]), // e.g. BatchNorm's num_batches_tracked
      ...le("i32", [-7, 2 ** 30]),
      // float16: 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), -inf
      ...le("u16", [0x3c00, 0xc000, 0x7bff, 0x0001, 0xfc00]),
      // bfloat16: 1.0, -3.140625
      ...le("u16", [0x3f80, 0xc049]),
    ];
    const { tensors } = decodeSafetensors(build(header, data));
    expect(Array.from(tensors["f64"]!.data)).toEqual([Math.fround(0.1), -Infinity]);
    expect(tensors["i64"]!.shape).toEqual([]);
    expect(Array.from(tensors["i64"]!.data)).toEqual([12345]);
    expect(Array.from(tensors["i32"]!.data)).toEqual([-7, 2 ** 30]);
    expect(Array.from(tensors["f16"]!.data)).toEqual([1, -2, 65504, 2 ** -24, -Infinity]);
    expect(Array.from(tensors["bf16"]!.data)).toEqual([1, -3.140625]);
  });

  it("returns tensors in data order and empty metadata when there is none", () => {
    const header = JSON.stringify({
      second: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
      first: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
    });
    const { tensors, metadata } = decodeSafetensors(build(header, le("f32", [1, 2])));
    expect(Object.keys(tensors)).toEqual(["first", "second"]);
    expect(tensors["second"]!.data[0]).toBe(2);
    expect(metadata).toEqual({});
  });
});

describe("decodeSafetensors errors", () => {
  const ok = (offsets: [number, number], extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ w: { dtype: "F32", shape: [2], data_offsets: offsets, ...extra } });

  const cases: [string, Uint8Array, RegExp][] = [
    ["a file shorter than 8 bytes", new Uint8Array(5), /5 bytes, shorter than the 8-byte header-length prefix/],
    ["a header length larger than the file", build("{}").subarray(0, 9), /header length 2 exceeds the 1 bytes after the 8-byte prefix/],
    ["a header that is not JSON", build("{not json"), /header is not valid UTF-8 JSON/],
    ["a header that is not UTF-8", build("{}").map((b, i) => (i === 8 ? 0xff : b)), /not valid UTF-8 JSON/],
    ["a header that is an array", build("[]"), /not an object/],
    ["a missing dtype", build(JSON.stringify({ w: { shape: [1], data_offsets: [0, 4] } }), le("f32", [1])), /tensor "w": missing "dtype"; expected one of F64, F32/],
    ["an unknown dtype", build(ok([0, 8], { dtype: "Q7" }), le("f32", [1, 2])), /unsupported dtype "Q7"; expected one of/],
    ["a bad shape", build(ok([0, 8], { shape: [2.5] }), le("f32", [1, 2])), /shape \[2.5\] is not an array of non-negative integers/],
    ["a shape/offsets size mismatch", build(ok([0, 4]), le("f32", [1, 2])), /shape \[2\] of F32 needs 8 bytes but data_offsets \[0, 4\] span 4/],
    ["offsets in the wrong order", build(ok([8, 0]), le("f32", [1, 2])), /data_offsets \[8, 0\] out of range: begin is after end/],
    ["malformed offsets", build(ok([0, 8, 9] as unknown as [number, number]), le("f32", [1, 2])), /expected \[begin, end\]/],
    ["a truncated data section", build(ok([0, 8]), le("f32", [1])), /data_offsets \[0, 8\] run past the end of the 4-byte data section/],
    ["non-string metadata", build(JSON.stringify({ __metadata__: { epoch: 3 } })), /"__metadata__"."epoch" is 3; expected a string/],
    ["a non-object entry", build(JSON.stringify({ w: 5 })), /tensor "w": entry is 5; expected \{dtype, shape, data_offsets\}/],
    // As the reference reader (safetensors' `validate`): the tensors tile the data section exactly.
    [
      "tensors over one region (memory amplification)",
      build(JSON.stringify(Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`t${i}`, { dtype: "U8", shape: [8], data_offsets: [0, 8] }]))), new Array(8).fill(1)),
      /tensor "t1": data_offsets \[0, 8\] overlap tensor "t0" \(\[0, 8\]\)/,
    ],
    [
      "a gap between tensors",
      build(JSON.stringify({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }), le("f32", [1, 2, 3])),
      /bytes \[4, 8\) of the data section belong to no tensor/,
    ],
    ["a first tensor that does not start the data section", build(ok([4, 12]), le("f32", [0, 1, 2])), /bytes \[0, 4\) of the data section belong to no tensor/],
    ["trailing bytes", build(ok([0, 8]), le("f32", [1, 2, 3])), /4 trailing bytes after the last tensor: the data section is 12 bytes, the tensors end at 8/],
    ["a duplicate tensor name", build('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', le("f32", [1, 2])), /duplicate key "w"/],
    ["a duplicate key written with an escape", build('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0077":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', le("f32", [1, 2])), /duplicate key "w"/],
    ["a duplicate field inside an entry", build('{"w":{"dtype":"F32","dtype":"U8","shape":[4],"data_offsets":[0,4]}}', le("f32", [1])), /tensor "w": duplicate key "dtype"/],
    ["a header nested 100,000 deep", build(`{"w":${"[".repeat(100_000)}${"]".repeat(100_000)}}`), /header nests 65 levels deep or more \(a safetensors header has 3\)/],
    ["a header length over the format's 100 MB", (() => { const b = build("{}"); new DataView(b.buffer).setBigUint64(0, 200_000_000n, true); return b; })(), /header length 200000000 is over the 100000000 bytes the format allows/],
  ];

  it.each(cases)("rejects %s with a helpful message", (_what, bytes, message) => {
    expect(() => decodeSafetensors(bytes, "model.safetensors")).toThrow(message);
    expect(() => decodeSafetensors(bytes, "model.safetensors")).toThrow(/^model\.safetensors: invalid safetensors: /);
  });

  it("leaves the source out when none is given", () => {
    expect(() => decodeSafetensors(new Uint8Array(2))).toThrow(/^invalid safetensors: file is 2 bytes/);
  });

  it("catches a valid file cut short", () => {
    const file = encodeSafetensors({ w: { shape: [4], data: new Float32Array(4) } });
    expect(() => decodeSafetensors(file.subarray(0, file.length - 1))).toThrow(/run past the end of the 15-byte data section/);
  });
});

describe("safetensors files", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-safetensors-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes atomically and reads back", () => {
    const path = join(dir, "model.safetensors");
    const tensors = { "0.weight": { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) } };
    writeSafetensorsFile(path, tensors, { format: "pt" });
    writeSafetensorsFile(path, { "0.weight": { shape: [2, 2], data: new Float32Array([5, 6, 7, 8]) } }); // overwrite
    expect(readdirSync(dir)).toEqual(["model.safetensors"]); // no temporary file left behind
    const { tensors: back, metadata } = readSafetensorsFile(path);
    expect(metadata).toEqual({});
    expect(back["0.weight"]!.shape).toEqual([2, 2]);
    expect(Array.from(back["0.weight"]!.data)).toEqual([5, 6, 7, 8]);
  });

  it("leaves no temporary file when encoding fails, and keeps the old file", () => {
    const path = join(dir, "keep.safetensors");
    writeSafetensorsFile(path, { a: { shape: [1], data: new Float32Array([1]) } });
    expect(() => writeSafetensorsFile(path, { a: { shape: [2], data: new Float32Array([1]) } })).toThrow(/2 elements/);
    expect(readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
    expect(Array.from(readSafetensorsFile(path).tensors["a"]!.data)).toEqual([1]);
  });

  it("refuses what is not a regular file (a directory, a device, a link to one) instead of reading forever", () => {
    const sub = join(dir, "a-directory.safetensors");
    mkdirSync(sub);
    expect(() => readSafetensorsFile(sub)).toThrow(`${sub}: not a regular file (a directory); expected a safetensors file`);
    // /dev/zero reads forever; a link to it is the same trap.
    const devices = ["/dev/zero", "/dev/null"].filter((d) => existsSync(d));
    for (const device of devices) {
      const link = join(dir, `link-to-${device.slice(5)}.safetensors`);
      symlinkSync(device, link);
      expect(() => readSafetensorsFile(link)).toThrow(`${link}: not a regular file (a character device); expected a safetensors file`);
    }
  });

  it("names the path of a file over 2 GiB (sparse: no disk used)", () => {
    const big = join(dir, "big.safetensors");
    writeFileSync(big, "");
    truncateSync(big, 2 ** 31 + 8);
    expect(() => readSafetensorsFile(big)).toThrow(`${big}: invalid safetensors: the file is 2147483656 bytes; safetensors files of up to 2 GiB (2147483647 bytes) can be read`);
    rmSync(big);
  });

  it("names the file in decoding errors", () => {
    const path = join(dir, "broken.safetensors");
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    expect(() => readSafetensorsFile(path)).toThrow(`${path}: invalid safetensors: file is 3 bytes`);
  });
});
