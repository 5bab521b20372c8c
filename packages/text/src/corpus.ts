/**
 * A corpus of documents (names, or the lines of a text file) as a character-level language-model
 * dataset: every document followed by "\n" (the end-of-document character, which also starts the
 * next one), split by document into train / validation / test, each split one stream of ids.
 */
import { readFileSync } from "node:fs";
import { Rng } from "@weft/tensor";
import { CharVocabulary } from "./vocabulary.js";
import { namesCorpus } from "./names.js";

/** The end of a document; a stream starts with it, so a document's first character is predicted from it. */
export const END = "\n";

export interface CorpusSplits {
  /** The vocabulary of the whole corpus, END included. */
  vocab: CharVocabulary;
  /**
   * Documents of each split, in the seeded shuffle's order: neighbours in a stream are unrelated
   * (in the corpus's sorted order a name's predecessor would give away its first letters).
   */
  documents: { train: string[]; val: string[]; test: string[] };
  /** Each split as ids: END, then every document followed by END. */
  streams: { train: Int32Array; val: Int32Array; test: Int32Array };
}

export interface SplitOptions {
  /** Fraction of documents for validation (default 0.1). */
  valFraction?: number;
  /** Fraction of documents for test (default 0.1). */
  testFraction?: number;
  /** Seed of the shuffle that assigns documents to splits (default 0). */
  seed?: number;
}

/**
 * The lines of a UTF-8 text file, each one document (blank lines dropped, `\r\n` accepted). A
 * missing file or one without text is an error naming the path.
 */
export function readTextDocuments(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`text:${path}: cannot read the file (${(e as Error).message})`);
  }
  const docs = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (docs.length === 0) throw new Error(`text:${path}: the file has no non-empty lines`);
  return docs;
}

/** Documents of a data source: `names` (the names corpus) or `text:<file>` (the lines of a UTF-8 file). */
export function loadDocuments(source: string): readonly string[] {
  if (source === "names") return namesCorpus();
  if (source.startsWith("text:") && source.length > 5) return readTextDocuments(source.slice(5));
  throw new Error(`unknown text data ${JSON.stringify(source)}: use "names" (the built-in names corpus) or "text:<file>" (one document a line, UTF-8)`);
}

/**
 * Splits documents at random (seeded) into train / validation / test — by document, so that no
 * name is in two splits — and encodes each split as one stream.
 */
export function splitCorpus(documents: readonly string[], options: SplitOptions = {}): CorpusSplits {
  const valF = options.valFraction ?? 0.1, testF = options.testFraction ?? 0.1;
  if (!(valF >= 0 && testF >= 0 && valF + testF < 1)) throw new Error(`splitCorpus: valFraction ${valF} and testFraction ${testF} must be ≥ 0 and sum below 1`);
  for (const d of documents) if (d.includes(END)) throw new Error(`splitCorpus: a document may not contain "\\n" (got ${JSON.stringify(d)})`);
  const n = documents.length;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(options.seed ?? 0);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nVal = Math.round(n * valF), nTest = Math.round(n * testF);
  const pick = (from: number, to: number): string[] => Array.from(order.subarray(from, to), (i) => documents[i]);
  const docs = { test: pick(0, nTest), val: pick(nTest, nTest + nVal), train: pick(nTest + nVal, n) };
  const vocab = CharVocabulary.fromText(END + documents.join(""));
  const stream = (ds: string[]): Int32Array => vocab.encode(END + ds.map((d) => d + END).join(""));
  return { vocab, documents: docs, streams: { train: stream(docs.train), val: stream(docs.val), test: stream(docs.test) } };
}

/** Rows of a window dataset: `x[r] = ids[o … o+T−1]`, `y[r] = ids[o+1 … o+T]` (the next character at every position). */
export interface Windows {
  x: Int32Array;
  y: Int32Array;
  rows: number;
  blockSize: number;
}

/**
 * Windows of `blockSize` inputs (and their next-character targets) starting every `stride`
 * positions of a stream: stride 1 for training (every context), stride = blockSize to score each
 * character of a held-out stream once; the last window is shifted back to end at the stream's end
 * (its first targets then counted twice only when the stream is not a multiple of the stride).
 */
export function windows(ids: Int32Array, blockSize: number, stride = 1): Windows {
  if (!Number.isInteger(blockSize) || blockSize <= 0) throw new Error(`windows: blockSize must be a positive integer, got ${blockSize}`);
  if (ids.length < blockSize + 1) throw new Error(`windows: a stream of ${ids.length} ids is too short for windows of ${blockSize} (+ 1 target)`);
  const last = ids.length - blockSize - 1;
  const starts: number[] = [];
  for (let o = 0; o <= last; o += stride) starts.push(o);
  if (starts[starts.length - 1] !== last) starts.push(last);
  const rows = starts.length;
  const x = new Int32Array(rows * blockSize), y = new Int32Array(rows * blockSize);
  starts.forEach((o, r) => {
    x.set(ids.subarray(o, o + blockSize), r * blockSize);
    y.set(ids.subarray(o + 1, o + blockSize + 1), r * blockSize);
  });
  return { x, y, rows, blockSize };
}
