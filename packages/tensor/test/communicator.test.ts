import { describe, expect, it } from "vitest";
import { LocalCommunicator, type Communicator } from "../src/communicator.js";

describe("LocalCommunicator", () => {
  it("is rank 0 of a world of 1", () => {
    const comm: Communicator = new LocalCommunicator();
    expect(comm.rank).toBe(0);
    expect(comm.worldSize).toBe(1);
  });

  it("allReduce leaves float32 and float64 data bit-identical (the sum over one rank)", () => {
    const comm = new LocalCommunicator();
    const f32 = new Float32Array([1.5, -0, Number.NaN, 3e-41, Infinity]);
    const before32 = new Uint32Array(f32.slice().buffer);
    comm.allReduce(f32);
    expect(new Uint32Array(f32.buffer)).toEqual(before32);

    const f64 = new Float64Array(new SharedArrayBuffer(24));
    f64.set([0.1, -2, 1e300]);
    comm.allReduce(f64.subarray(1));
    expect(Array.from(f64)).toEqual([0.1, -2, 1e300]);

    comm.allReduce(new Float32Array(0)); // empty shards still take part in collectives
  });

  it("barrier returns immediately, any number of times", () => {
    const comm = new LocalCommunicator();
    for (let i = 0; i < 3; i++) expect(comm.barrier()).toBeUndefined();
  });
});
