import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseArgv } from "../src/argv.js";
import { TRAIN_FLAGS, checkSavedOptions, resolveTrainConfig } from "../src/config.js";
import { UsageError } from "../src/errors.js";

const resolve = (argv: string[]) => resolveTrainConfig(parseArgv(argv, TRAIN_FLAGS, "train"), 2);

describe("weft train defaults", () => {
  it("are the issue's default run", () => {
    const { options, run } = resolve([]);
    expect(options).toEqual({
      data: "mnist", splits: [0.8, 0.1, 0.1], epochs: 10, batchSize: 128, workers: 2, lr: 1e-3, optimizer: "adam",
      momentum: 0, weightDecay: 0, l1: 0, arch: "mlp", hidden: [256, 128], activation: "relu", norm: "batch", dropout: 0,
      init: "default", lrSchedule: "none", earlyStopping: null, augment: false, seed: 0,
      task: "classification", labelColumn: null, impute: "none", model: null,
    });
    expect(run).toEqual({ out: null, resume: null, json: false, verbose: false, help: false, workerTimeout: 30, distributed: null });
  });

  it("take the optimiser's own defaults for lr and weight decay", () => {
    expect(resolve(["--optimizer", "sgd"]).options.lr).toBe(0.01);
    expect(resolve(["--optimizer", "adamw"]).options.weightDecay).toBe(0.01);
    expect(resolve(["--optimizer", "adamw", "--weight-decay", "0"]).options.weightDecay).toBe(0);
  });
});

// Every flag that takes a value: accepted values (and what they become) and rejected ones.
const CASES: [flag: string, good: [string, unknown][], bad: string[], range: RegExp][] = [
  ["data", [["mnist", "mnist"], ["idx:a.gz,b.gz", "idx:a.gz,b.gz"], ["csv:x.csv", "csv:x.csv"]], ["cifar", "idx:a", "csv:"], /mnist, idx:<images>,<labels> or csv:<file>/],
  ["splits", [["0.8,0.1,0.1", [0.8, 0.1, 0.1]], ["900,50,50", [900, 50, 50]]], ["0.5,0.5,0.5", "0.8,0.2", "10.5,1,1", "0.9,0.1,0"], /fractions that sum to 1/],
  ["epochs", [["1", 1], ["25", 25]], ["0", "-1", "2.5", "abc", "", "1e9"], /integer in \[1, 1000000\]/],
  ["batch-size", [["2", 2], ["512", 512]], ["0", "65537", "12x"], /integer in \[1, 65536\]/],
  ["workers", [["1", 1], ["8", 8]], ["0", "257", "two"], /integer in \[1, 256\]/],
  ["lr", [["0.1", 0.1], ["1e-4", 1e-4]], ["0", "-0.1", "11", "fast", "0x10"], /number in \(0, 10\]/],
  ["optimizer", [["adam", "adam"], ["adamw", "adamw"], ["sgd", "sgd"], ["rmsprop", "rmsprop"]], ["Adam", "lbfgs"], /one of adam, adamw, sgd, rmsprop/],
  ["weight-decay", [["0", 0], ["0.05", 0.05]], ["-0.1", "2"], /number in \[0, 1\]/],
  ["l1", [["0", 0], ["1e-5", 1e-5]], ["-1", "1.5", "x"], /number in \[0, 1\]/],
  ["hidden", [["256,128", [256, 128]], ["64", [64]], ["none", []]], ["0", "12,x", "1,,2", "-4", Array(17).fill(8).join(",")], /integer in \[1, 65536\]/],
  ["activation", [["relu", "relu"], ["gelu", "gelu"], ["tanh", "tanh"], ["sigmoid", "sigmoid"], ["leaky-relu", "leaky-relu"]], ["softmax", "ReLU"], /one of relu, gelu, tanh, sigmoid, leaky-relu/],
  ["norm", [["batch", "batch"], ["layer", "layer"], ["none", "none"]], ["group"], /one of batch, layer, none/],
  ["dropout", [["0", 0], ["0.5", 0.5]], ["1", "-0.1", "half"], /number in \[0, 1\)/],
  ["init", [["he", "he"], ["xavier", "xavier"], ["default", "default"]], ["orthogonal"], /one of he, xavier, default/],
  ["lr-schedule", [["none", "none"], ["step:3", "step:3"], ["step:3:0.5", "step:3:0.5"], ["exponential:0.9", "exponential:0.9"], ["cosine", "cosine"], ["linear:0.1:1:3", "linear:0.1:1:3"]], ["step", "step:0", "exponential", "cosine:-1", "linear:0", "warmup", "none:1"], /none \| step:<stepSize>/],
  ["early-stopping", [["3", 3], ["off", null]], ["0", "-2", "1.5", "soon"], /integer in \[1, 100000\]/],
  ["seed", [["0", 0], ["12345", 12345]], ["-1", "1.5", "seed"], /integer in \[0, /],
  ["task", [["classification", "classification"]], ["Regression", "clustering"], /one of classification, regression/],
  ["impute", [["none", "none"]], ["median", "zero"], /one of none, mean/],
  ["label-column", [], ["", "a,,b", " "], /a column name or 0-based index/],
  ["out", [["runs/x", "runs/x"]], [""], /directory path/],
  ["resume", [], [""], /run directory/],
  ["config", [], [""], /JSON file path/],
];

describe.each(CASES)("--%s", (flag, good, bad, range) => {
  const key = TRAIN_FLAGS.find((f) => f.name === flag)!.key;
  it.each(good)("accepts %j", (value, parsed) => {
    const { options, run } = resolve([`--${flag}`, value]);
    expect({ ...options, ...run }[key as keyof typeof options]).toEqual(parsed);
  });
  it.each(bad)("rejects %j, naming the flag and the accepted range", (value) => {
    expect(() => resolve([`--${flag}=${value}`])).toThrow(UsageError);
    try {
      resolve([`--${flag}=${value}`]);
    } catch (e) {
      expect((e as Error).message).toMatch(new RegExp(`^--${flag}\\b`));
      expect((e as Error).message).toMatch(range);
    }
  });
});

describe("--momentum", () => {
  it("is a number in [0, 1) for sgd and rmsprop", () => {
    expect(resolve(["--optimizer", "sgd", "--momentum", "0.9"]).options.momentum).toBe(0.9);
    expect(resolve(["--optimizer", "rmsprop", "--momentum", "0"]).options.momentum).toBe(0);
    expect(() => resolve(["--optimizer", "sgd", "--momentum", "1"])).toThrow(/--momentum must be a number in \[0, 1\)/);
  });
  it("is refused with adam (whose momentum is beta1)", () => {
    expect(() => resolve(["--momentum", "0.9"])).toThrow(/--momentum applies to --optimizer sgd or rmsprop/);
  });
});

describe("switches and combinations", () => {
  it("--augment, --json, --verbose are switches", () => {
    const { options, run } = resolve(["--augment", "--json", "--verbose=true"]);
    expect([options.augment, run.json, run.verbose]).toEqual([true, true, true]);
    expect(() => resolve(["--augment=yes"])).toThrow(/--augment is a switch/);
  });
  it("rejects unknown flags with a suggestion, repeated flags, stray words and missing values", () => {
    expect(() => resolve(["--optimiser", "sgd"])).toThrow(/unknown flag --optimiser \(did you mean --optimizer\?\)/);
    expect(() => resolve(["--epochs", "2", "--epochs", "3"])).toThrow(/--epochs is given twice/);
    expect(() => resolve(["epochs"])).toThrow(/unexpected argument "epochs"/);
    expect(() => resolve(["--epochs"])).toThrow(/--epochs needs a value/);
    expect(() => resolve(["--epochs", "--json"])).toThrow(/--epochs needs a value/);
  });
  it("reads --name=value, negative values, -h, and names a single-dash word as it was typed (util.parseArgs underneath)", () => {
    expect(parseArgv(["--lr=0.5", "--seed", "-1", "-h"], TRAIN_FLAGS, "train")).toEqual(new Map<string, string | boolean>([["lr", "0.5"], ["seed", "-1"], ["help", true]]));
    expect(() => resolve(["-xv"])).toThrow(/^unexpected argument "-xv": flags start with -- \(see weft train --help\)$/);
    expect(() => resolve(["--json=yes"])).toThrow(/--json is a switch: give it alone, or as --json=true or --json=false, got "yes"/);
    expect(() => resolve(["--epoch=3"])).toThrow(/unknown flag --epoch \(did you mean --epochs\?\)/);
    expect(() => resolve(["--zzzzzzzz"])).toThrow(/^unknown flag --zzzzzzzz \(see weft train --help\)$/);
  });
  it("skips a lone -- (pnpm train -- --epochs 2)", () => {
    expect(resolve(["--", "--epochs", "2"]).options.epochs).toBe(2);
  });
  it("refuses --augment on CSV data, batch size 1 under BatchNorm, dropout without hidden layers", () => {
    expect(() => resolve(["--data", "csv:x.csv", "--augment"])).toThrow(/--augment .* needs --data mnist or idx/);
    expect(() => resolve(["--batch-size", "1"])).toThrow(/--batch-size must be at least 2 with --norm batch/);
    expect(resolve(["--batch-size", "1", "--norm", "none"]).options.batchSize).toBe(1);
    expect(() => resolve(["--hidden", "none", "--dropout", "0.2"])).toThrow(/--dropout needs hidden layers/);
  });
  it("--task, --label-column and --impute: CSV data only; classification has one label column", () => {
    const csv = ["--data", "csv:x.csv"];
    expect(resolve([...csv, "--task", "regression", "--label-column", "price,rent", "--impute", "mean"]).options).toMatchObject({ task: "regression", labelColumn: "price,rent", impute: "mean" });
    expect(resolve([...csv, "--label-column", "-1"]).options.labelColumn).toBe("-1");
    expect(() => resolve(["--task", "regression"])).toThrow(/--task regression .* needs --data csv:<file>/);
    expect(() => resolve(["--label-column", "label"])).toThrow(/--label-column .* needs --data csv:<file>/);
    expect(() => resolve(["--impute", "mean"])).toThrow(/--impute .* needs --data csv:<file>/);
    expect(() => resolve([...csv, "--label-column", "a,b"])).toThrow(/classification takes one label column \(several are for --task regression\)/);
  });
  it("a config.json saved before --task, --label-column and --impute existed loads with what those runs did", () => {
    const { options } = resolve(["--data", "csv:x.csv"]);
    const old: Record<string, unknown> = { ...options };
    for (const k of ["task", "labelColumn", "impute"]) delete old[k];
    expect(checkSavedOptions(old, "config.json")).toEqual({ ...options, task: "classification", labelColumn: "0", impute: "none" });
    const mnist: Record<string, unknown> = { ...resolve([]).options };
    for (const k of ["task", "labelColumn", "impute"]) delete mnist[k];
    expect(checkSavedOptions(mnist, "config.json")).toEqual(resolve([]).options);
  });
  it("--resume takes only --epochs, --json, --verbose beside it", () => {
    expect(resolve(["--resume", "runs/a", "--epochs", "5", "--json"]).run.resume).toBe("runs/a");
    expect(() => resolve(["--resume", "runs/a", "--lr", "0.1", "--seed", "3"])).toThrow(/--lr, --seed cannot be given with it/);
  });
});

describe("--config", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it("reads camelCase keys with JSON values; flags override it", () => {
    const p = file("ok.json", JSON.stringify({ batchSize: 64, hidden: [32, 16], lrSchedule: "cosine", augment: true, earlyStopping: 2, lr: "0.01" }));
    const { options } = resolve(["--config", p, "--lr", "0.002"]);
    expect(options).toMatchObject({ batchSize: 64, hidden: [32, 16], lrSchedule: "cosine", augment: true, earlyStopping: 2, lr: 0.002 });
  });
  it("names the key and the file of a bad value, and refuses unknown keys", () => {
    expect(() => resolve(["--config", file("bad.json", '{"batchSize": 0}')])).toThrow(/--batch-size \(key "batchSize" in .*bad\.json\) must be an integer in \[1, 65536\], got 0/);
    expect(() => resolve(["--config", file("unknown.json", '{"batch_size": 64}')])).toThrow(/unknown key "batch_size" \(known: data, splits, epochs, batchSize/);
    expect(() => resolve(["--config", file("broken.json", "{epochs: 2")])).toThrow(/cannot read it as JSON/);
    expect(() => resolve(["--config", file("list.json", "[1]")])).toThrow(/expected a JSON object/);
    expect(() => resolve(["--config", join(dir, "missing.json")])).toThrow(UsageError);
  });
});

describe("--arch cnn", () => {
  it("builds the default CNN over the flat rows (Unflatten first), with PyTorch's keys, and refuses non-square images", async () => {
    const { modelSpec } = await import("../src/model.js");
    const { buildModel } = await import("@weft/parallel");
    const options = resolve(["--arch", "cnn"]).options;
    expect(options.arch).toBe("cnn");
    // Its recipe's defaults; an explicit value wins.
    expect([options.augment, options.lrSchedule]).toEqual([true, "cosine"]);
    expect(resolve(["--arch", "cnn", "--lr-schedule", "none"]).options.lrSchedule).toBe("none");
    expect(resolve(["--arch", "cnn", "--data", "csv:x.csv"]).options.augment).toBe(false);
    const spec = modelSpec(options, 784, 10);
    expect(spec.map((l) => l.type)).toEqual(["Unflatten", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU", "Linear"]);
    const state = buildModel(spec).stateDict();
    expect(Object.keys(state).filter((k) => !k.includes("running") && !k.includes("num_batches"))).toEqual(["1.weight", "2.weight", "2.bias", "5.weight", "6.weight", "6.bias", "10.weight", "10.bias", "12.weight", "12.bias"]);
    expect(state["10.weight"].shape).toEqual([128, 3136]);
    expect(() => modelSpec(options, 30, 10)).toThrow(/--arch cnn needs square images/);
  });
});
