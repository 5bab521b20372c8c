/**
 * The benchmarks' command lines: `--name value` (or `--name=value`) options and `--flag`
 * switches, nothing more, read by Node's `util.parseArgs` (non-strict, from its tokens, so each
 * fault keeps this file's own message). Unknown names are an error, so a typo never silently
 * measures the default.
 */
import { parseArgs as parseArgv } from "node:util";

export type Args = Map<string, string | true>;

/**
 * Parses `argv` against the known option names (`flags` take no value).
 * @example parseArgs(["--workers", "2", "--json"], ["workers"], ["json"]) // Map { workers → "2", json → true }
 */
export function parseArgs(argv: readonly string[], options: readonly string[], flags: readonly string[]): Args {
  const shapes = Object.fromEntries([...options.map((o) => [o, { type: "string" as const }]), ...flags.map((f) => [f, { type: "boolean" as const }])]);
  const { tokens } = parseArgv({ args: [...argv], options: shapes, strict: false, allowPositionals: true, tokens: true });
  const out: Args = new Map();
  for (const t of tokens) {
    const raw = argv[t.index]!;
    if (t.kind !== "option" || !t.rawName.startsWith("--")) throw new Error(`unexpected argument ${JSON.stringify(raw)}`);
    const name = t.name;
    if (name === "help") {
      // Every benchmark states its usage in its first line of JSDoc; the known names say the rest.
      process.stdout.write(`options: ${[...options.map((o) => `--${o} VALUE`), ...flags.map((f) => `--${f}`)].join(" ")}\n(see bench/README.md for what each figure means)\n`);
      process.exit(0);
    }
    if (flags.includes(name)) {
      if (t.inlineValue) throw new Error(`--${name} is a switch: it takes no value, got ${JSON.stringify(t.value)}`);
      out.set(name, true);
    } else if (options.includes(name)) {
      // parseArgs takes the next word as the value even when it is an option: not here.
      if (t.value === undefined || (!t.inlineValue && t.value.startsWith("--"))) throw new Error(`--${name} needs a value`);
      out.set(name, t.value);
    } else {
      throw new Error(`unknown option --${name} (known: ${[...options, ...flags].map((o) => `--${o}`).join(" ")})`);
    }
  }
  return out;
}

/** A positive integer option, or `fallback` when absent. */
export function intArg(args: Args, name: string, fallback: number): number {
  const v = args.get(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${String(v)}`);
  return n;
}

/** A comma-separated list of positive integers (`--hidden 256,128`). */
export function intListArg(args: Args, name: string, fallback: number[]): number[] {
  const v = args.get(name);
  if (v === undefined) return fallback;
  const list = String(v).split(",").filter((s) => s !== "").map(Number);
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--${name} must be a comma-separated list of positive integers, got ${String(v)}`);
  return list;
}

/** A string option restricted to `choices`. */
export function choiceArg<T extends string>(args: Args, name: string, choices: readonly T[], fallback: T): T {
  const v = args.get(name);
  if (v === undefined) return fallback;
  if (!choices.includes(v as T)) throw new Error(`--${name} must be one of ${choices.join(", ")}, got ${String(v)}`);
  return v as T;
}

/** The kernel backends a benchmark can compare. */
export type BackendChoice = "js" | "wasm";

/**
 * `--backend js|wasm|both` (default both): the kernel backends to measure, in the order they run
 * (js first). `both` drops wasm where this host cannot run WebAssembly SIMD; naming `wasm` there
 * is an error (from setBackend, when it is selected). `simd` is `wasmSimdSupported()`.
 */
export function backendsArg(args: Args, simd: boolean, name = "backend"): BackendChoice[] {
  const v = choiceArg(args, name, ["js", "wasm", "both"] as const, "both");
  if (v === "both") return simd ? ["js", "wasm"] : ["js"];
  return [v];
}
