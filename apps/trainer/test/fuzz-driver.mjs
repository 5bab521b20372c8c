// The fuzz test's child process (see fuzz.test.ts): builds valid files — a trained run directory,
// a CSV, an IDX pair — then, case after case, mutates one of them (seeded), runs the CLI's main()
// in this process on it and prints one JSON line per case: what was done, the exit code, stderr,
// the time and this process's peak memory. One process for all cases: no start-up per case, and
// the parent can kill it if a case hangs (the last "start" line names that case).
//
// usage: node fuzz-driver.mjs <work dir> <seed> <cases>
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../dist/main.js";

const [dir, seedArg, casesArg] = process.argv.slice(2);
const cases = Number(casesArg);

// mulberry32: a small seeded generator, so a failing case can be replayed from its seed.
let state = Number(seedArg) >>> 0;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];

const quiet = { write: () => true };
async function run(args) {
  let err = "";
  const t0 = performance.now();
  const code = await main(args, { out: quiet, err: { write: (s) => ((err += s), true) } });
  return { code, stderr: err, ms: performance.now() - t0 };
}

// ---- valid files: 4×4 images or 16 CSV features, 3 classes -------------------------------------
mkdirSync(dir, { recursive: true });
const FEATURES = 16;
const csvPath = join(dir, "data.csv");
const rows = ["label," + Array.from({ length: FEATURES }, (_, j) => `p${j}`).join(",")];
for (let i = 0; i < 160; i++) rows.push([i % 3, ...Array.from({ length: FEATURES }, (_, j) => (((i * 31 + j * 17) % 97) / 97 + (i % 3) * (j % 4 === 0 ? 0.3 : 0)).toFixed(3))].join(","));
writeFileSync(csvPath, `${rows.join("\n")}\n`);
const images = Buffer.alloc(16 + 60 * FEATURES);
images.writeUInt32BE(0x803, 0);
images.writeUInt32BE(60, 4);
images.writeUInt32BE(4, 8);
images.writeUInt32BE(4, 12);
for (let i = 16; i < images.length; i++) images[i] = (i * 37) % 256;
const labels = Buffer.alloc(8 + 60);
labels.writeUInt32BE(0x801, 0);
labels.writeUInt32BE(60, 4);
for (let i = 0; i < 60; i++) labels[8 + i] = i % 3;
const imagesPath = join(dir, "images.idx");
const labelsPath = join(dir, "labels.idx");
writeFileSync(imagesPath, images);
writeFileSync(labelsPath, labels);

const base = join(dir, "base");
const trained = await run(["train", "--data", `csv:${csvPath}`, "--splits", "120,20,20", "--hidden", "4", "--workers", "1", "--batch-size", "40", "--epochs", "2", "--early-stopping", "5", "--out", base]);
if (trained.code !== 0) throw new Error(`fuzz setup: training the base run failed: ${trained.stderr}`);
const runDir = join(dir, "run");
cpSync(base, runDir, { recursive: true });
const ck = (f) => join(runDir, "checkpoints", "epoch-2", f);

// ---- mutations -----------------------------------------------------------------------------------
const randomBytes = (n) => Buffer.from(Array.from({ length: n }, () => int(256)));
const BYTE_OPS = {
  truncate: (b) => b.subarray(0, int(b.length)),
  flip: (b) => {
    const c = Buffer.from(b);
    for (let k = 1 + int(8); k > 0; k--) c[int(c.length)] ^= 1 << int(8);
    return c;
  },
  "random-bytes": (b) => {
    const c = Buffer.from(b);
    for (let k = 1 + int(8); k > 0; k--) c[int(c.length)] = int(256);
    return c;
  },
  insert: (b) => {
    const at = int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), randomBytes(1 + int(64)), b.subarray(at)]);
  },
  "grow-duplicate": (b) => {
    const from = int(b.length);
    const len = 1 + int(Math.min(4096, b.length - from));
    const at = int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), b.subarray(from, from + len), b.subarray(at)]);
  },
};

/** Paths to every node of a JSON value (not too deep), for a mutation to pick from. */
function nodes(v, path = [], out = []) {
  out.push(path);
  if (path.length < 6 && v && typeof v === "object") for (const k of Object.keys(v).slice(0, 50)) nodes(v[k], [...path, k], out);
  return out;
}
const SWAPS = [() => null, () => true, () => "x", () => "", () => [], () => ({}), () => -1, () => 0, () => 1e308, () => 2 ** 53, () => -(2 ** 31), () => 0.5, () => "NaN", () => [1, 2, 3]];
function mutateJsonValue(root) {
  const all = nodes(root);
  const path = pick(all);
  const get = (p) => p.reduce((o, k) => o[k], root);
  const op = pick(["swap-type", "grow", "delete", "add-key", "nest-deep"]);
  if (path.length === 0) return [op === "nest-deep" ? JSON.parse("[".repeat(3000) + "]".repeat(3000)) : pick(SWAPS)(), op];
  const parent = get(path.slice(0, -1));
  const key = path[path.length - 1];
  const cur = parent[key];
  if (op === "swap-type") parent[key] = pick(SWAPS)();
  else if (op === "grow") parent[key] = typeof cur === "number" ? cur * pick([1e6, -1, 1e300, 1.5]) + pick([0, 1]) : Array.isArray(cur) ? [...cur, ...cur, 7] : typeof cur === "string" ? cur.repeat(1 + int(50)) + "9" : { ...cur, extra: 1 };
  else if (op === "delete") Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key];
  else if (op === "add-key") (cur && typeof cur === "object" && !Array.isArray(cur) ? cur : parent)[`k${int(100)}`] = pick(SWAPS)();
  else {
    const depth = 1000 + int(2000);
    parent[key] = JSON.parse("[".repeat(depth) + "]".repeat(depth));
  }
  return [root, op];
}
function mutateJson(bytes) {
  if (rand() < 0.25) {
    const name = pick(Object.keys(BYTE_OPS));
    return [BYTE_OPS[name](bytes), `bytes:${name}`];
  }
  let value;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    return [BYTE_OPS.flip(bytes), "bytes:flip"];
  }
  const [out, op] = mutateJsonValue(value);
  return [Buffer.from(JSON.stringify(out)), `json:${op}`];
}

function mutateSafetensors(bytes) {
  if (rand() < 0.4) {
    const name = pick(Object.keys(BYTE_OPS));
    return [BYTE_OPS[name](bytes), `bytes:${name}`];
  }
  // Through the header: parse, mutate, re-encode with a correct length so deeper checks are reached.
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8"));
  const data = bytes.subarray(8 + n);
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  const t = header[pick(names)];
  const op = pick(["dtype", "shape", "offsets", "overlap", "duplicate-key", "metadata", "json", "nest-deep", "huge-length"]);
  let text;
  if (op === "dtype") t.dtype = pick(["U8", "F16", "I64", "BF16", "F64", "BOOL", "Q4", 5]);
  else if (op === "shape") t.shape = pick([[], [2 ** 40], [-1], [1.5], "3", [0], [...t.shape, 2], t.shape.slice(1)]);
  else if (op === "offsets") t.data_offsets = pick([[0, 2 ** 53], [t.data_offsets[1], t.data_offsets[0]], [t.data_offsets[0] + 4, t.data_offsets[1] + 4], [0], "x"]);
  else if (op === "overlap") for (const k of names) header[k].data_offsets = [0, header[k].data_offsets[1] - header[k].data_offsets[0]];
  else if (op === "metadata") header.__metadata__ = pick([{ step: 7 }, [], "x", { type: "SGD" }, { step: "-1" }, { step: "1e9" }]);
  else if (op === "json") mutateJsonValue(header);
  if (op === "duplicate-key") {
    const s = JSON.stringify(header);
    const k = pick(names);
    text = s.slice(0, -1) + `,${JSON.stringify(k)}:${JSON.stringify(header[k])}}`;
  } else if (op === "nest-deep") {
    text = `{"w":${"[".repeat(70_000)}${"]".repeat(70_000)}}`;
  } else text = JSON.stringify(header);
  const json = Buffer.from(text);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(op === "huge-length" ? BigInt(pick([2 ** 40, 100_000_001, json.length + 1, 2 ** 63])) : BigInt(json.length));
  return [Buffer.concat([prefix, json, data]), `header:${op}`];
}

function mutateIdx(bytes) {
  if (rand() < 0.5) {
    const name = pick(Object.keys(BYTE_OPS));
    return [BYTE_OPS[name](bytes), `bytes:${name}`];
  }
  const c = Buffer.from(bytes);
  const op = pick(["dim", "magic", "ndims"]);
  if (op === "dim") c.writeUInt32BE(pick([0, 1, 2 ** 31, 2 ** 32 - 1, 65_536, c.readUInt32BE(4) + 1]), 4 + 4 * int(c[3] || 1));
  else if (op === "magic") c.writeUInt32BE(pick([0x801, 0x803, 0x804, 0x00000c03, 0x08030000]), 0);
  else c[3] = pick([0, 1, 2, 4, 255]);
  return [c, `header:${op}`];
}

const CSV_FIELDS = ["", "NaN", "1e39", "-1e39", "abc", "1e-400", "9".repeat(400), "0x10", '"5"', "  3 ", "-0", "Infinity", "1,2", "-1", "3.5", "70000", "\uFEFF1", "1\r"];
function mutateCsv(bytes) {
  if (rand() < 0.3) {
    const name = pick(Object.keys(BYTE_OPS));
    return [BYTE_OPS[name](bytes), `bytes:${name}`];
  }
  const lines = bytes.toString("utf8").split("\n");
  const i = int(lines.length);
  const op = pick(["field", "field", "delete-line", "duplicate-line", "blank", "short-row", "long-row"]);
  if (op === "field") {
    const f = lines[i].split(",");
    f[int(f.length)] = pick(CSV_FIELDS);
    lines[i] = f.join(",");
  } else if (op === "delete-line") lines.splice(i, 1);
  else if (op === "duplicate-line") lines.splice(i, 0, lines[i]);
  else if (op === "blank") lines.splice(i, 0, pick(["", "   ", "\r", ",,,"]));
  else if (op === "short-row") lines[i] = lines[i].split(",").slice(0, -1).join(",");
  else lines[i] = `${lines[i]},${pick(["1", ""])}`;
  return [Buffer.from(lines.join("\n")), `text:${op}`];
}

// ---- targets: a file, how to mutate it, and the command that reads it ------------------------------
const TARGETS = [
  { name: "model.safetensors (eval)", file: join(runDir, "model.safetensors"), mutate: mutateSafetensors, args: () => ["eval", "--model", runDir] },
  { name: "model.safetensors (predict)", file: join(runDir, "model.safetensors"), mutate: mutateSafetensors, args: () => ["predict", "--model", runDir, "--input", csvPath] },
  { name: "checkpoint model.safetensors", file: ck("model.safetensors"), mutate: mutateSafetensors, args: () => ["train", "--resume", runDir, "--epochs", "1"] },
  { name: "checkpoint optimizer.safetensors", file: ck("optimizer.safetensors"), mutate: mutateSafetensors, args: () => ["train", "--resume", runDir, "--epochs", "1"] },
  { name: "checkpoint best.safetensors", file: ck("best.safetensors"), mutate: mutateSafetensors, args: () => ["train", "--resume", runDir, "--epochs", "1"] },
  { name: "config.json (resume)", file: join(runDir, "config.json"), mutate: mutateJson, args: () => ["train", "--resume", runDir, "--epochs", "1"] },
  { name: "config.json (eval)", file: join(runDir, "config.json"), mutate: mutateJson, args: () => ["eval", "--model", runDir] },
  { name: "checkpoint.json", file: join(runDir, "checkpoint.json"), mutate: mutateJson, args: () => ["train", "--resume", runDir, "--epochs", "1"] },
  { name: "state.json", file: ck("state.json"), mutate: mutateJson, args: () => ["train", "--resume", runDir, "--epochs", "1"] },
  { name: "IDX images (eval)", file: imagesPath, mutate: mutateIdx, args: () => ["eval", "--model", runDir, "--data", `idx:${imagesPath},${labelsPath}`] },
  { name: "IDX labels (eval)", file: labelsPath, mutate: mutateIdx, args: () => ["eval", "--model", runDir, "--data", `idx:${imagesPath},${labelsPath}`] },
  { name: "IDX images (predict)", file: imagesPath, mutate: mutateIdx, args: () => ["predict", "--model", runDir, "--input", imagesPath] },
  { name: "CSV (eval)", file: csvPath, mutate: mutateCsv, args: () => ["eval", "--model", runDir, "--data", `csv:${csvPath}`] },
  { name: "CSV (predict)", file: csvPath, mutate: mutateCsv, args: () => ["predict", "--model", runDir, "--input", csvPath] },
  // The run's own data file, read back on --resume: a changed file must be refused too.
  { name: "CSV (resume)", file: csvPath, mutate: mutateCsv, args: () => ["train", "--resume", runDir, "--epochs", "1"] },
];

const baseline = process.resourceUsage().maxRSS * 1024;
console.log(JSON.stringify({ setup: true, baselineRss: baseline, trainMs: trained.ms }));
for (let c = 0; c < cases; c++) {
  const target = TARGETS[c % TARGETS.length];
  const original = readFileSync(target.file);
  const [mutated, op] = target.mutate(original);
  console.log(JSON.stringify({ start: c, target: target.name, op }));
  writeFileSync(target.file, mutated);
  let r;
  try {
    r = await run(target.args());
  } finally {
    writeFileSync(target.file, original);
  }
  console.log(JSON.stringify({ case: c, target: target.name, file: target.file, runDir, op, code: r.code, stderr: r.stderr, ms: r.ms, maxRss: process.resourceUsage().maxRSS * 1024 }));
}
console.log(JSON.stringify({ done: cases }));
