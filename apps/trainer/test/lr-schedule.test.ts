import { describe, expect, it } from "vitest";
import { lrAt, parseLrSchedule } from "../src/lr-schedule.js";

// Reference sequences: torch.optim.lr_scheduler (1.13) with the same options, get_last_lr() per epoch.
const CASES: [spec: string, base: number, epochs: number, expected: number[]][] = [
  ["none", 0.01, 3, [0.01, 0.01, 0.01]],
  ["step:2", 1, 5, [1, 1, 0.1, 0.1, 0.01]],
  ["step:1:0.5", 0.8, 3, [0.8, 0.4, 0.2]],
  ["exponential:0.5", 1, 3, [1, 0.5, 0.25]],
  ["cosine", 1, 4, [1, 0.8535533905932737, 0.5, 0.14644660940672627]],
  ["cosine:0.1", 1, 2, [1, 0.55]],
  ["linear", 0.3, 7, [0.1, 0.14, 0.18, 0.22, 0.26, 0.3, 0.3]],
  ["linear:0.5:1:2", 1, 4, [0.5, 0.75, 1, 1]],
];

describe.each(CASES)("--lr-schedule %s", (spec, base, epochs, expected) => {
  it("gives PyTorch's per-epoch learning rates", () => {
    const s = parseLrSchedule(spec);
    const got = expected.map((_, e) => lrAt(s, base, e, epochs));
    got.forEach((lr, e) => expect(lr).toBeCloseTo(expected[e]!, 12));
  });
});

describe("parseLrSchedule", () => {
  it.each(["step", "step:0", "step:2:0", "exponential", "exponential:2", "cosine:-1", "linear:0", "linear:0.5:2", "linear:0.5:1:0", "warmup", "none:3", "step:1:0.5:9"])("rejects %j", (spec) => {
    expect(() => parseLrSchedule(spec)).toThrow();
  });
});
