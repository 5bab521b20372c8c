import { describe, expect, it } from "vitest";
import { choiceArg, intArg, intListArg, parseArgs } from "../src/cli-args.js";

describe("the benchmarks' argument parser (util.parseArgs underneath)", () => {
  const parse = (argv: string[]) => parseArgs(argv, ["workers", "hidden", "backend"], ["json"]);

  it("reads --name value, --name=value and switches", () => {
    const args = parse(["--workers", "2", "--hidden=256,128", "--json"]);
    expect(args).toEqual(new Map<string, string | true>([["workers", "2"], ["hidden", "256,128"], ["json", true]]));
    expect(intArg(args, "workers", 1)).toBe(2);
    expect(intListArg(args, "hidden", [])).toEqual([256, 128]);
    expect(choiceArg(args, "backend", ["js", "wasm"], "js")).toBe("js");
  });

  it("keeps its messages: a stray word, an unknown option with the known ones, a missing value", () => {
    expect(() => parse(["2"])).toThrow(/^unexpected argument "2"$/);
    expect(() => parse(["-w", "2"])).toThrow(/^unexpected argument "-w"$/);
    expect(() => parse(["--worker", "2"])).toThrow(/^unknown option --worker \(known: --workers --hidden --backend --json\)$/);
    expect(() => parse(["--workers"])).toThrow(/^--workers needs a value$/);
    expect(() => parse(["--workers", "--json"])).toThrow(/^--workers needs a value$/);
    expect(() => parse(["--json=yes"])).toThrow(/--json is a switch/);
    expect(() => intArg(parse(["--workers", "x"]), "workers", 1)).toThrow(/--workers must be a non-negative integer, got x/);
  });
});
