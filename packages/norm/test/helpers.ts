/** Test helpers: golden-style closeness checks, random tensors and a lockstep fake Communicator. */
import { Rng, Tensor, formatShape, type Communicator } from "@weft/tensor";

export interface Tol {
  rtol: number;
  atol: number;
}

/** Throws unless `actual` has `expected.length` elements each within atol + rtol·|expected|. */
export function expectClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} elements, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const b = expected[i];
    if (!(Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b))) {
      throw new Error(`${what}: element ${i} is ${a}, expected ${b} (rtol ${tol.rtol}, atol ${tol.atol})`);
    }
  }
}

/** Throws unless the shapes are equal. */
export function expectShape(what: string, actual: readonly number[], expected: readonly number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`${what}: shape ${formatShape(actual)}, expected ${formatShape(expected)}`);
  }
}

/** N(mean, std) values, rounded to float32. */
export function randomData(rng: Rng, n: number, mean = 0, std = 1): Float32Array {
  const a = new Float32Array(n);
  rng.fillNormal(a, mean, std);
  return a;
}

export function randomTensor(rng: Rng, shape: number[], options: { mean?: number; std?: number; requiresGrad?: boolean; float64?: boolean } = {}): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const f32 = randomData(rng, n, options.mean ?? 0, options.std ?? 1);
  return new Tensor(options.float64 ? Float64Array.from(f32) : f32, shape, options.requiresGrad ?? false);
}

/** Records every allReduce (a copy of what was passed in); a world of `worldSize` that sums nothing. */
export class SpyCommunicator implements Communicator {
  readonly calls: Float64Array[] = [];
  barriers = 0;
  constructor(
    readonly rank = 0,
    readonly worldSize = 1,
  ) {}
  allReduce(data: Float32Array | Float64Array): void {
    this.calls.push(Float64Array.from(data));
  }
  barrier(): void {
    this.barriers++;
  }
}

/** Thrown by a replaying rank when it reaches a collective whose result is not known yet. */
class Pause {}

/**
 * Rank `rank`'s view of a lockstep run: collective k returns `known[k]` (the rank-ordered sum of
 * every rank's k-th contribution) or, when not known yet, records this rank's contribution and
 * pauses the rank by throwing.
 */
class ReplayCommunicator implements Communicator {
  calls = 0;
  barriers = 0;
  contribution: Float32Array | Float64Array | null = null;
  constructor(
    readonly rank: number,
    readonly worldSize: number,
    private readonly known: { kind: string; data: Float64Array }[],
  ) {}
  allReduce(data: Float32Array | Float64Array): void {
    const k = this.calls++;
    const done = this.known[k];
    if (done === undefined) {
      this.contribution = data instanceof Float64Array ? Float64Array.from(data) : Float32Array.from(data);
      throw new Pause();
    }
    if (done.kind !== data.constructor.name || done.data.length !== data.length) {
      throw new Error(`rank ${this.rank}: collective ${k} is ${data.constructor.name}[${data.length}] here but ${done.kind}[${done.data.length}] elsewhere`);
    }
    data.set(done.data);
  }
  barrier(): void {
    this.barriers++;
  }
}

export type RankResult<T> = { ok: true; value: T; calls: number } | { ok: false; error: Error; calls: number };

/**
 * Runs `program` as W ranks in lockstep, in one thread: each round re-runs every rank from the
 * start, replaying the collectives already resolved, until each rank pauses at its next one; the
 * paused ranks' contributions are checked for equal type and size and summed in rank order
 * (float64). Ends when no rank pauses. A round where only some ranks pause is a broken
 * collective contract (the real run would deadlock): it throws. `program` must be deterministic
 * and start from scratch (it is run 1 + #collectives times per rank).
 */
export function runLockstep<T>(worldSize: number, program: (comm: Communicator) => T): { results: RankResult<T>[]; collectives: { kind: string; data: Float64Array }[] } {
  const known: { kind: string; data: Float64Array }[] = [];
  for (;;) {
    const comms: ReplayCommunicator[] = [];
    const results: RankResult<T>[] = [];
    let paused = 0;
    for (let r = 0; r < worldSize; r++) {
      const comm = new ReplayCommunicator(r, worldSize, known);
      comms.push(comm);
      try {
        results.push({ ok: true, value: program(comm), calls: comm.calls });
      } catch (e) {
        if (e instanceof Pause) paused++;
        else results.push({ ok: false, error: e as Error, calls: comm.calls });
      }
    }
    if (paused === 0) return { results, collectives: known };
    if (paused !== worldSize) {
      throw new Error(`collective ${known.length}: only ${paused} of ${worldSize} ranks called allReduce (a real run would hang)`);
    }
    const first = comms[0].contribution!;
    const sum = new Float64Array(first.length);
    for (const c of comms) {
      const data = c.contribution!;
      if (data.constructor !== first.constructor || data.length !== first.length) {
        throw new Error(`collective ${known.length}: rank ${c.rank} passes ${data.constructor.name}[${data.length}], rank 0 ${first.constructor.name}[${first.length}]`);
      }
      for (let i = 0; i < sum.length; i++) sum[i] += data[i];
    }
    known.push({ kind: first.constructor.name, data: sum });
  }
}
