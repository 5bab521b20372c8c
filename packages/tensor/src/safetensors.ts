/**
 * Hugging Face safetensors (https://github.com/huggingface/safetensors) for named float32 tensors.
 *
 * Layout: an 8-byte little-endian uint64 N, then N bytes of UTF-8 JSON
 * `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {..}}`,
 * then the raw little-endian data; offsets count from the start of the data section. We write
 * what the reference writer writes — compact JSON, `__metadata__` first, the header padded with
 * spaces so the data starts 8-byte aligned, tensors contiguous in the given order — so files load
 * in PyTorch with `safetensors.torch.load_file` unchanged.
 */
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic-write.js";

/** A named tensor as stored in a file: a row-major shape and its float32 data. */
export interface NamedTensor {
  /** Dimensions, outermost first; `[]` is a scalar (one element). */
  shape: number[];
  /** Row-major data; its length is the product of `shape`. */
  data: Float32Array;
}

/** What {@link decodeSafetensors} and {@link readSafetensorsFile} return. */
export interface SafetensorsContents {
  /** Tensors by name, in order of their position in the data section. */
  tensors: Record<string, NamedTensor>;
  /** The `__metadata__` string map (empty when the file has none). */
  metadata: Record<string, string>;
}

const METADATA_KEY = "__metadata__";

/** Bytes per element and a reader (little-endian) for each dtype we can decode into float32. */
const DTYPES: Record<string, { size: number; read: (view: DataView, at: number) => number }> = {
  F64: { size: 8, read: (v, at) => v.getFloat64(at, true) },
  F32: { size: 4, read: (v, at) => v.getFloat32(at, true) },
  F16: { size: 2, read: (v, at) => float16ToNumber(v.getUint16(at, true)) },
  // bfloat16 is the top half of a float32; readAsFloat32 widens it by bits, not through here.
  BF16: { size: 2, read: (v, at) => v.getUint16(at, true) },
  // int64 (e.g. BatchNorm's num_batches_tracked) becomes the nearest float.
  I64: { size: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  U64: { size: 8, read: (v, at) => Number(v.getBigUint64(at, true)) },
  I32: { size: 4, read: (v, at) => v.getInt32(at, true) },
  U32: { size: 4, read: (v, at) => v.getUint32(at, true) },
  I16: { size: 2, read: (v, at) => v.getInt16(at, true) },
  U16: { size: 2, read: (v, at) => v.getUint16(at, true) },
  I8: { size: 1, read: (v, at) => v.getInt8(at) },
  U8: { size: 1, read: (v, at) => v.getUint8(at) },
  BOOL: { size: 1, read: (v, at) => (v.getUint8(at) === 0 ? 0 : 1) },
};

/**
 * Serialises tensors (in the record's own key order) and optional string metadata to the
 * safetensors format. Data is copied bit-exactly (NaN payloads included).
 *
 * @example
 * const bytes = encodeSafetensors({ "0.weight": { shape: [2, 3], data: new Float32Array(6) } }, { format: "pt" });
 */
export function encodeSafetensors(tensors: Record<string, NamedTensor>, metadata?: Record<string, string>): Uint8Array {
  const entries = Object.entries(tensors);
  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new TypeError(`safetensors: metadata value for "${k}" must be a string, got ${typeof v}`);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === METADATA_KEY) throw new Error(`safetensors: "${METADATA_KEY}" is reserved and cannot name a tensor`);
    const numel = checkedNumel(t.shape, `tensor "${name}"`);
    if (!(t.data instanceof Float32Array)) throw new TypeError(`safetensors: tensor "${name}" data must be a Float32Array`);
    if (numel !== t.data.length) {
      throw new Error(`safetensors: tensor "${name}" has shape [${t.shape.join(", ")}] (${numel} elements) but ${t.data.length} values`);
    }
    const end = offset + t.data.byteLength;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: "F32", shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength); // pad with spaces, as the format allows
  let at = 8 + headerLength;
  const view = new DataView(out.buffer);
  for (const [, t] of entries) {
    if (isLittleEndian()) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    } else {
      for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i]!, true);
    }
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Parses safetensors bytes. Every tensor comes back as a fresh `Float32Array` (F64, F16, BF16
 * and the integer dtypes are converted to the nearest float32), so `bytes` may be unaligned or
 * reused afterwards. Throws an `Error` naming `source` (a file name, if given), what is wrong
 * and what was expected. Each tensor's offsets are checked against its shape and the data
 * section; unlike the reference reader, gaps or overlaps between tensors are
 * tolerated.
 */
export function decodeSafetensors(bytes: Uint8Array, source?: string): SafetensorsContents {
  const fail = (what: string): Error => new Error(`${source === undefined ? "" : `${source}: `}invalid safetensors: ${what}`);
  if (bytes.length < 8) {
    throw fail(`file is ${bytes.length} bytes, shorter than the 8-byte header-length prefix`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(bytes.length - 8)) {
    throw fail(`header length ${headerLength} exceeds the ${bytes.length - 8} bytes after the 8-byte prefix (truncated or not a safetensors file)`);
  }
  const dataStart = 8 + Number(headerLength);
  const dataLength = bytes.length - dataStart;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    throw fail(`header is not valid UTF-8 JSON (${(e as Error).message}); expected a JSON object of tensor entries`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw fail("header JSON is not an object; expected {name: {dtype, shape, data_offsets}, ...}");
  }

  const metadata: Record<string, string> = {};
  const found: { name: string; shape: number[]; begin: number; end: number; dtype: string }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
        throw fail(`"${METADATA_KEY}" must be an object of string values`);
      }
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== "string") throw fail(`"${METADATA_KEY}"."${k}" is ${JSON.stringify(v)}; expected a string`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw fail(`${where}: entry is ${JSON.stringify(entry)}; expected {dtype, shape, data_offsets}`);
    }
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (dtype === undefined) throw fail(`${where}: missing "dtype"; expected one of ${Object.keys(DTYPES).join(", ")}`);
    if (typeof dtype !== "string" || !Object.hasOwn(DTYPES, dtype)) {
      throw fail(`${where}: unsupported dtype ${JSON.stringify(dtype)}; expected one of ${Object.keys(DTYPES).join(", ")}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw fail(`${where}: shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw fail(`${where}: data_offsets ${JSON.stringify(offsets)}; expected [begin, end], two non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw fail(`${where}: data_offsets [${begin}, ${end}] out of range: begin is after end`);
    const numel = shape.reduce((a: number, b: number) => a * b, 1);
    const expectedBytes = numel * DTYPES[dtype]!.size;
    if (end - begin !== expectedBytes) {
      throw fail(`${where}: shape [${shape.join(", ")}] of ${dtype} needs ${expectedBytes} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    if (end > dataLength) {
      throw fail(`${where}: data_offsets [${begin}, ${end}] run past the end of the ${dataLength}-byte data section (file truncated?)`);
    }
    found.push({ name, shape: shape as number[], begin, end, dtype });
  }

  found.sort((a, b) => a.begin - b.begin);
  const tensors: Record<string, NamedTensor> = {};
  for (const { name, shape, begin, end, dtype } of found) {
    setOwn(tensors, name, { shape, data: readAsFloat32(bytes, dataStart + begin, dataStart + end, dtype) });
  }
  return { tensors, metadata };
}

/**
 * Writes tensors to `path` atomically: the bytes go to `${path}.tmp-<pid>`, are flushed to
 * disk, and the file is renamed over `path`, so a crash never leaves a half-written checkpoint.
 */
export function writeSafetensorsFile(path: string, tensors: Record<string, NamedTensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Reads and decodes a safetensors file; errors about its contents name `path`. */
export function readSafetensorsFile(path: string): SafetensorsContents {
  return decodeSafetensors(readFileSync(path), path);
}

/** Product of a shape's dimensions, after checking each is a non-negative integer. */
function checkedNumel(shape: number[], where: string): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`safetensors: ${where} shape ${JSON.stringify(shape)} is not an array of non-negative integers`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

/** Copies bytes [start, end) of dtype `dtype` into a fresh Float32Array. */
function readAsFloat32(bytes: Uint8Array, start: number, end: number, dtype: string): Float32Array {
  if (dtype === "F32" && isLittleEndian()) {
    // Copy into a fresh, aligned buffer, whatever the alignment of `bytes`. (Not `bytes.slice`:
    // on a Node Buffer, as readFileSync returns, slice is a view of the shared pool.)
    const copy = new Uint8Array(end - start);
    copy.set(bytes.subarray(start, end));
    return new Float32Array(copy.buffer);
  }
  const { size, read } = DTYPES[dtype]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, end - start);
  const out = new Float32Array((end - start) / size);
  if (dtype === "BF16") {
    const bits = new Uint32Array(out.buffer); // host order, as `out` will read it
    for (let i = 0; i < out.length; i++) bits[i] = read(view, 2 * i) << 16;
    return out;
  }
  for (let i = 0; i < out.length; i++) out[i] = read(view, i * size);
  return out;
}

/** Sets an own enumerable property, even for names like "__proto__". */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** IEEE 754 binary16 bits to a number (exact). */
function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}
