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
import { closeSync, fstatSync, openSync, readSync, type Stats } from "node:fs";
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

/** The reference reader's cap on the header (safetensors' `MAX_HEADER_SIZE`). */
const MAX_HEADER_BYTES = 100_000_000;
/**
 * How deep the header JSON may nest. A header is 3 levels deep (entries, their fields, the
 * shape array); room is left for nested fields the reference reader ignores, but not for the
 * 100k-deep arrays that would overflow the stack of whatever walks the parsed value.
 */
const MAX_HEADER_DEPTH = 64;
/** The largest file read whole (Node's own limit for one read into a Buffer). */
const MAX_FILE_BYTES = 2 ** 31 - 1;

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
 * and what was expected. As the reference reader (safetensors' `validate`) does, it refuses a
 * header over 100 MB, duplicate keys, and data offsets that do not tile the data section
 * exactly — an overlap, a gap or trailing bytes — so the tensors never hold more bytes than the
 * file has (overlapping entries would otherwise multiply one region into any amount of memory).
 */
export function decodeSafetensors(bytes: Uint8Array, source?: string): SafetensorsContents {
  const fail = (what: string): Error => new Error(`${source === undefined ? "" : `${source}: `}invalid safetensors: ${what}`);
  if (bytes.length < 8) {
    throw fail(`file is ${bytes.length} bytes, shorter than the 8-byte header-length prefix`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw fail(`header length ${headerLength} is over the ${MAX_HEADER_BYTES} bytes the format allows (corrupt, or not a safetensors file)`);
  }
  if (headerLength > BigInt(bytes.length - 8)) {
    throw fail(`header length ${headerLength} exceeds the ${bytes.length - 8} bytes after the 8-byte prefix (truncated or not a safetensors file)`);
  }
  const dataStart = 8 + Number(headerLength);
  const dataLength = bytes.length - dataStart;
  let header: unknown;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart));
    header = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid UTF-8 JSON (${(e as Error).message}); expected a JSON object of tensor entries`);
  }
  const structure = scanJson(text);
  if (structure) throw fail(structure);
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
        if (typeof v !== "string") throw fail(`"${METADATA_KEY}"."${k}" is ${preview(v)}; expected a string`);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw fail(`${where}: entry is ${preview(entry)}; expected {dtype, shape, data_offsets}`);
    }
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (dtype === undefined) throw fail(`${where}: missing "dtype"; expected one of ${Object.keys(DTYPES).join(", ")}`);
    if (typeof dtype !== "string" || !Object.hasOwn(DTYPES, dtype)) {
      throw fail(`${where}: unsupported dtype ${preview(dtype)}; expected one of ${Object.keys(DTYPES).join(", ")}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw fail(`${where}: shape ${preview(shape)} is not an array of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw fail(`${where}: data_offsets ${preview(offsets)}; expected [begin, end], two non-negative integers`);
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

  found.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let previous: (typeof found)[number] | null = null;
  for (const t of found) {
    if (t.begin < at) {
      throw fail(`tensor "${t.name}": data_offsets [${t.begin}, ${t.end}] overlap tensor "${previous!.name}" ([${previous!.begin}, ${previous!.end}]); tensors must not share bytes`);
    }
    if (t.begin > at) throw fail(`bytes [${at}, ${t.begin}) of the data section belong to no tensor; tensors must be contiguous`);
    at = t.end;
    previous = t;
  }
  if (at !== dataLength) {
    throw fail(`${dataLength - at} trailing bytes after the last tensor: the data section is ${dataLength} bytes, the tensors end at ${at}`);
  }
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

/**
 * Reads and decodes a safetensors file; errors about its contents name `path`. Only a regular
 * file of at most 2 GiB is read (a device such as /dev/zero, or a FIFO, would be read forever);
 * a symbolic link is followed to what it names.
 */
export function readSafetensorsFile(path: string): SafetensorsContents {
  const fd = openSync(path, "r");
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${path}: not a regular file (${fileKind(stat)}); expected a safetensors file`);
    if (stat.size > MAX_FILE_BYTES) {
      throw new Error(`${path}: invalid safetensors: the file is ${stat.size} bytes; safetensors files of up to 2 GiB (${MAX_FILE_BYTES} bytes) can be read`);
    }
    const bytes = Buffer.allocUnsafe(stat.size);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(fd, bytes, done, bytes.length - done, done);
      if (n === 0) break; // shrank while being read: decoded as it is (the checks name the truncation)
      done += n;
    }
    return decodeSafetensors(bytes.subarray(0, done), path);
  } finally {
    closeSync(fd);
  }
}

function fileKind(s: Stats): string {
  if (s.isDirectory()) return "a directory";
  if (s.isCharacterDevice()) return "a character device";
  if (s.isBlockDevice()) return "a block device";
  if (s.isFIFO()) return "a FIFO";
  if (s.isSocket()) return "a socket";
  return "not a plain file";
}

/**
 * One pass over JSON text (already known to parse): the first structural fault the reference
 * reader refuses and JSON.parse lets through — a duplicate key in any object (JSON.parse keeps
 * the last; serde refuses a duplicate field) — or nesting deeper than {@link MAX_HEADER_DEPTH}.
 * Returns the message, or null.
 */
function scanJson(text: string): string | null {
  // Per open container: null for an array, else the keys seen so far and whether a key is next.
  const stack: ({ keys: Set<string>; expectKey: boolean; lastKey: string; owner: string } | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      const top = stack[stack.length - 1];
      if (top && top.expectKey) {
        const key = JSON.parse(text.slice(start, i + 1)) as string;
        if (top.keys.has(key)) return `${top.owner}duplicate key ${preview(key)}`;
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= MAX_HEADER_DEPTH) return `header nests ${MAX_HEADER_DEPTH + 1} levels deep or more (a safetensors header has 3)`;
      const parent = stack[stack.length - 1];
      // Name the tensor in errors about its fields: the key this object is the value of.
      const name = stack.length === 1 && parent ? parent.lastKey : null;
      const owner = name === null ? "" : name === METADATA_KEY ? `"${METADATA_KEY}": ` : `tensor ${preview(name)}: `;
      stack.push(c === 0x7b ? { keys: new Set(), expectKey: true, lastKey: "", owner } : null);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = true;
    }
  }
  return null;
}

/** A value for an error message: JSON, cut to 60 characters. */
function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = "(a value that cannot be shown)";
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
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
