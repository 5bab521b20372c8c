/**
 * `--lr-schedule`: PyTorch's per-epoch schedulers from @weft/optim, written as a short string.
 *
 *   none                                   constant lr
 *   step:<stepSize>[:<gamma>]              StepLR (gamma default 0.1)
 *   exponential:<gamma>                    ExponentialLR
 *   cosine[:<etaMin>]                      CosineAnnealingLR with tMax = the run's epochs
 *   linear[:<start>[:<end>[:<iters>]]]     LinearLR (PyTorch's defaults 1/3, 1, 5)
 *
 * The workers take the learning rate per `runSteps` call, so the trainer never holds an
 * optimiser; {@link lrAt} replays the scheduler over a stand-in `{ lr }` from epoch 0. That is
 * exactly PyTorch's sequence (chainable forms included) and needs no state to resume.
 */
import { CosineAnnealingLR, ExponentialLR, LinearLR, StepLR, type LRScheduler, type SchedulableOptimizer } from "@weft/optim";

export type LrSchedule =
  | { type: "none" }
  | { type: "step"; stepSize: number; gamma: number }
  | { type: "exponential"; gamma: number }
  | { type: "cosine"; etaMin: number }
  | { type: "linear"; startFactor: number; endFactor: number; totalIters: number };

export const LR_SCHEDULE_FORMS = "none | step:<stepSize>[:<gamma>] | exponential:<gamma> | cosine[:<etaMin>] | linear[:<startFactor>[:<endFactor>[:<totalIters>]]]";

/** Parses the flag's string; throws a plain Error saying what is wrong (the caller names the flag). */
export function parseLrSchedule(text: string): LrSchedule {
  const [type, ...args] = text.trim().split(":");
  const num = (i: number, what: string, ok: (v: number) => boolean, range: string, fallback?: number): number => {
    const s = args[i];
    if (s === undefined || s === "") {
      if (fallback === undefined) throw new Error(`${type} needs <${what}>`);
      return fallback;
    }
    const v = Number(s);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) || !ok(v)) throw new Error(`${type}: <${what}> must be ${range}, got ${JSON.stringify(s)}`);
    return v;
  };
  const arity = (n: number): void => {
    if (args.length > n) throw new Error(`${type} takes at most ${n} value${n === 1 ? "" : "s"} after it, got ${args.length}`);
  };
  switch (type) {
    case "none":
      arity(0);
      return { type: "none" };
    case "step":
      arity(2);
      return {
        type: "step",
        stepSize: num(0, "stepSize", (v) => Number.isInteger(v) && v >= 1, "an integer ≥ 1"),
        gamma: num(1, "gamma", (v) => v > 0 && v <= 1, "a number in (0, 1]", 0.1),
      };
    case "exponential":
      arity(1);
      return { type: "exponential", gamma: num(0, "gamma", (v) => v > 0 && v <= 1, "a number in (0, 1]") };
    case "cosine":
      arity(1);
      return { type: "cosine", etaMin: num(0, "etaMin", (v) => v >= 0 && Number.isFinite(v), "a number ≥ 0", 0) };
    case "linear":
      arity(3);
      return {
        type: "linear",
        startFactor: num(0, "startFactor", (v) => v > 0 && v <= 1, "a number in (0, 1]", 1 / 3),
        endFactor: num(1, "endFactor", (v) => v >= 0 && v <= 1, "a number in [0, 1]", 1),
        totalIters: num(2, "totalIters", (v) => Number.isInteger(v) && v >= 1, "an integer ≥ 1", 5),
      };
    default:
      throw new Error(`unknown schedule ${JSON.stringify(type)}`);
  }
}

/** The learning rate of 0-based `epoch` for a run of `epochs` epochs starting at `baseLr`. */
export function lrAt(schedule: LrSchedule, baseLr: number, epoch: number, epochs: number): number {
  if (schedule.type === "none") return baseLr;
  const opt: SchedulableOptimizer = { lr: baseLr };
  let s: LRScheduler;
  switch (schedule.type) {
    case "step":
      s = new StepLR(opt, { stepSize: schedule.stepSize, gamma: schedule.gamma });
      break;
    case "exponential":
      s = new ExponentialLR(opt, { gamma: schedule.gamma });
      break;
    case "cosine":
      s = new CosineAnnealingLR(opt, { tMax: epochs, etaMin: schedule.etaMin });
      break;
    case "linear":
      s = new LinearLR(opt, { startFactor: schedule.startFactor, endFactor: schedule.endFactor, totalIters: schedule.totalIters });
      break;
  }
  for (let e = 0; e < epoch; e++) s.step();
  return opt.lr;
}
