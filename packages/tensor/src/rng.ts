/**
 * Seeded, splittable, bit-reproducible random numbers.
 *
 * The generator is xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c):
 * 128 bits of state, period 2^128 − 1, only 32-bit integer arithmetic (`Math.imul`, shifts), so
 * the hot path never touches BigInt and gives the same bits on every machine. The state is
 * filled from the seed by splitmix64 (https://prng.di.unimi.it/splitmix64.c), as the xoshiro
 * authors recommend; seeding and `split` run once per generator, so they may use BigInt.
 *
 * Floating-point results use only `Math.log` and `Math.sqrt` beyond exact arithmetic; V8 ships
 * its own (fdlibm) `Math.log`, so the same Node.js gives the same bits on every machine.
 */

const MASK64 = 0xffff_ffff_ffff_ffffn;
/** splitmix64's increment: the odd 64-bit integer closest to 2^64 / φ. */
const GAMMA = 0x9e37_79b9_7f4a_7c15n;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const TWO_POW_MINUS_24 = 1 / 16777216;
const TWO_POW_MINUS_32 = 1 / TWO_POW_32;
const TWO_POW_MINUS_53 = 1 / TWO_POW_53;
const STATE_ALGORITHM = "xoshiro128**";
const STATE_VERSION = 1;

/** splitmix64's output function (a bijection of 64-bit integers). */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58_476d_1ce4_e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d0_49bb_1331_11ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** Reduces an integer seed or key to 64 bits (two's complement for negatives). */
function toUint64(value: number | bigint, what: string): bigint {
  if (typeof value === "bigint") return BigInt.asUintN(64, value);
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`Rng: ${what} must be an integer (number or bigint), got ${String(value)}`);
  }
  return BigInt.asUintN(64, BigInt(value));
}

/** Rotate a 32-bit integer left by k bits. */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A seeded pseudo-random generator (xoshiro128** seeded through splitmix64).
 *
 * Same seed ⇒ same stream, on every machine. Use {@link Rng.split} to give each worker (or each
 * purpose: init, shuffling, dropout) its own independent stream derived from one run seed, and
 * {@link Rng.state} / {@link Rng.fromState} to checkpoint and resume exactly.
 *
 * @example
 * const rng = new Rng(42);
 * const order = rng.permutation(60_000);      // a shuffled epoch
 * const dropoutRng = rng.split(workerRank);   // per-worker stream; rng itself is not advanced
 */
export class Rng {
  // State as int32 values (small integers in V8); outputs are converted with `>>> 0`.
  #s0 = 0;
  #s1 = 0;
  #s2 = 0;
  #s3 = 0;
  /** The 64-bit seed this stream was derived from; `split` hashes it with the key. */
  #seed: bigint;
  /** Marsaglia's polar method makes normals in pairs; the second waits here. */
  #hasSpare = false;
  #spare = 0;

  /**
   * @param seed any integer; numbers and bigints are taken modulo 2^64 (negatives as two's
   *   complement), so `new Rng(-1)` and `new Rng(2n ** 64n - 1n)` are the same stream.
   */
  constructor(seed: number | bigint) {
    this.#seed = toUint64(seed, "seed");
    let x = this.#seed;
    x = (x + GAMMA) & MASK64;
    const a = mix64(x);
    x = (x + GAMMA) & MASK64;
    const b = mix64(x);
    // Two distinct splitmix64 outputs can't both be zero (mix64 is a bijection), so the
    // state is never the all-zero fixed point.
    this.#s0 = Number(a & 0xffff_ffffn) | 0;
    this.#s1 = Number(a >> 32n) | 0;
    this.#s2 = Number(b & 0xffff_ffffn) | 0;
    this.#s3 = Number(b >> 32n) | 0;
  }

  /** A uniform 32-bit unsigned integer in [0, 2^32). Advances the stream by one step. */
  nextUint32(): number {
    const s0 = this.#s0;
    const s1 = this.#s1;
    const s2 = this.#s2 ^ s0;
    const s3 = this.#s3 ^ s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    this.#s0 = s0 ^ s3;
    this.#s1 = s1 ^ s2;
    this.#s2 = s2 ^ (s1 << 9);
    this.#s3 = rotl(s3, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits (two 32-bit draws, as genrand_res53 does). */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) * TWO_POW_MINUS_53;
  }

  /**
   * A uniform float in [low, high). Results that floating-point rounding would put on `high`
   * are redrawn, so `high` itself never appears (unless `low === high`, which returns `low`).
   */
  uniformRange(low: number, high: number): number {
    checkRange(low, high, "uniformRange");
    const width = high - low;
    for (;;) {
      const v = low + width * this.uniform();
      if (v < high || !(low < high)) return v;
    }
  }

  /**
   * A standard normal sample (mean 0, standard deviation 1), by Marsaglia's polar method: each
   * accepted pair of uniforms yields two normals; the second is cached and returned next (the
   * cache is part of {@link Rng.state}).
   */
  normal(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.#spare = v * m;
    this.#hasSpare = true;
    return u * m;
  }

  /**
   * A uniform integer in [0, n), without modulo bias. `n` is an integer in [1, 2^53].
   *
   * n ≤ 2^21 uses Lemire's nearly divisionless method ("Fast random integer generation in an
   * interval", 2019): the high 32 bits of x·n for a 32-bit draw x, rejecting the few x whose
   * low bits fall below (2^32 − n) mod n. x·n < 2^53 there, so the product is exact in a double.
   * Larger n reject draws in the incomplete last block of 2^32 (or 2^53) and take x mod n.
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_53) {
      throw new RangeError(`Rng.int: n must be an integer in [1, 2^53], got ${n}`);
    }
    if (n <= 2097152) {
      let x = this.nextUint32();
      let low = Math.imul(x, n) >>> 0; // low 32 bits of x·n
      if (low < n) {
        const threshold = (TWO_POW_32 - n) % n;
        while (low < threshold) {
          x = this.nextUint32();
          low = Math.imul(x, n) >>> 0;
        }
      }
      return (x * n - low) * TWO_POW_MINUS_32;
    }
    if (n <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      let x: number;
      do x = this.nextUint32();
      while (x >= limit);
      return x % n;
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % n);
    let x: number;
    do x = (this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6);
    while (x >= limit);
    return x % n;
  }

  /**
   * `true` with probability `p` (in [0, 1]), from one 32-bit draw: the probability is exact to
   * 2^-32, and `p = 0` / `p = 1` give never / always.
   */
  bernoulli(p: number): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Rng.bernoulli: p must be in [0, 1], got ${p}`);
    return this.nextUint32() < p * TWO_POW_32;
  }

  /**
   * A uniformly random permutation of 0..n−1 (Fisher–Yates, drawing from the end of the array
   * down, as Knuth's Algorithm P).
   */
  permutation(n: number): Uint32Array {
    if (!Number.isInteger(n) || n < 0 || n > TWO_POW_32) {
      throw new RangeError(`Rng.permutation: n must be an integer in [0, 2^32], got ${n}`);
    }
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }

  /**
   * Fills `out` with uniform values in [low, high) (default [0, 1)).
   *
   * A `Float32Array` gets one 32-bit draw per element (24 random bits, a float32's precision,
   * as torch's float `uniform_` uses); a value that rounds onto `high` in float32 is redrawn.
   * A `Float64Array` gets {@link Rng.uniformRange} per element (53 random bits).
   */
  fillUniform(out: Float32Array | Float64Array, low = 0, high = 1): void {
    checkRange(low, high, "fillUniform");
    const width = high - low;
    if (out instanceof Float32Array) {
      // Redraw only when some float32 below `high` is reachable; otherwise every draw rounds
      // onto the same value and a redraw would loop forever.
      const redraw = Math.fround(low) < high;
      for (let i = 0; i < out.length; i++) {
        let v: number;
        do v = Math.fround(low + width * ((this.nextUint32() >>> 8) * TWO_POW_MINUS_24));
        while (v >= high && redraw);
        out[i] = v;
      }
    } else {
      for (let i = 0; i < out.length; i++) out[i] = this.uniformRange(low, high);
    }
  }

  /** Fills `out` with normal values of the given mean (default 0) and standard deviation (default 1). */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    if (!Number.isFinite(mean) || !(std >= 0) || !Number.isFinite(std)) {
      throw new RangeError(`Rng.fillNormal: need a finite mean and a finite std >= 0, got mean=${mean}, std=${std}`);
    }
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }

  /**
   * An independent child generator for `key` (a worker rank, an epoch, a purpose id).
   *
   * The child's seed is a splitmix64 hash of this generator's seed and `key`; it depends on
   * neither how far this generator has advanced nor the parent's cached normal, and the parent
   * is not advanced. Distinct keys (mod 2^64) give distinct child seeds — the map key → child
   * seed is a bijection — and `split` can be chained (`rng.split(epoch).split(rank)`).
   */
  split(key: number | bigint): Rng {
    const k = toUint64(key, "split key");
    // mix64 is a bijection and GAMMA is odd, so key ↦ childSeed is injective for a fixed seed.
    return new Rng(mix64((mix64(this.#seed) + (k + 1n) * GAMMA) & MASK64));
  }

  /**
   * The complete generator state as a JSON string: the four xoshiro words, the seed (for
   * `split`) and the cached normal (bit-exact). {@link Rng.fromState} restores it so the
   * restored generator continues the identical stream.
   */
  state(): string {
    return JSON.stringify({
      algorithm: STATE_ALGORITHM,
      version: STATE_VERSION,
      s: [this.#s0 >>> 0, this.#s1 >>> 0, this.#s2 >>> 0, this.#s3 >>> 0],
      seed: this.#seed.toString(16).padStart(16, "0"),
      spare: this.#hasSpare ? float64ToHex(this.#spare) : null,
    });
  }

  /** Restores a generator from a string made by {@link Rng.state}. Throws on a malformed state. */
  static fromState(s: string): Rng {
    const bad = (why: string): Error => new Error(`Rng.fromState: ${why}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch {
      throw bad("state is not valid JSON; expected a string produced by Rng.state()");
    }
    if (typeof parsed !== "object" || parsed === null) throw bad("state is not a JSON object");
    const o = parsed as Record<string, unknown>;
    if (o["algorithm"] !== STATE_ALGORITHM || o["version"] !== STATE_VERSION) {
      throw bad(`unsupported state: algorithm ${String(o["algorithm"])} version ${String(o["version"])}, expected ${STATE_ALGORITHM} version ${STATE_VERSION}`);
    }
    const words = o["s"];
    if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_POW_32)) {
      throw bad("`s` must be an array of four uint32 values");
    }
    if (words.every((w) => w === 0)) throw bad("`s` is all zero, which xoshiro128** can never reach");
    const seed = o["seed"];
    if (typeof seed !== "string" || !/^[0-9a-f]{16}$/.test(seed)) throw bad("`seed` must be 16 lowercase hex digits");
    const spare = o["spare"];
    if (spare !== null && (typeof spare !== "string" || !/^[0-9a-f]{16}$/.test(spare))) {
      throw bad("`spare` must be null or 16 lowercase hex digits");
    }
    const rng = new Rng(BigInt(`0x${seed}`));
    rng.#s0 = words[0] | 0;
    rng.#s1 = words[1] | 0;
    rng.#s2 = words[2] | 0;
    rng.#s3 = words[3] | 0;
    rng.#hasSpare = spare !== null;
    rng.#spare = typeof spare === "string" ? hexToFloat64(spare) : 0;
    return rng;
  }
}

function checkRange(low: number, high: number, where: string): void {
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low <= high) || !Number.isFinite(high - low)) {
    throw new RangeError(`Rng.${where}: need finite low <= high with a finite width, got low=${low}, high=${high}`);
  }
}

function float64ToHex(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, "0");
}

function hexToFloat64(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}
