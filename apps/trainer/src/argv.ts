/**
 * Splits a command line into `--flag value` pairs with Node's `util.parseArgs`, as most CLIs read
 * them: `--name value`, `--name=value`, and bare boolean flags (`--json`). A lone `--` is skipped,
 * so both `pnpm train --epochs 2` and `pnpm train -- --epochs 2` work. Only the shape is checked
 * here; the values are validated by the command's flag table. parseArgs runs non-strict, with its
 * tokens, so that every fault gets weft's own message (an unknown flag with a did-you-mean, a
 * flag given twice, a switch given a value, a missing value) rather than parseArgs' generic one.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors.js";

/** What the parser needs to know about each flag: whether it takes a value. */
export interface FlagShape {
  name: string;
  boolean?: boolean;
}

/** Flag name (without `--`) → its raw value: a string, or `true` for a bare boolean flag. */
export type RawFlags = Map<string, string | boolean>;

export function parseArgv(argv: readonly string[], flags: readonly FlagShape[], command: string): RawFlags {
  const args = argv.filter((t) => t !== "--");
  const known = new Map(flags.map((f) => [f.name, f]));
  const options = Object.fromEntries(flags.map((f) => [f.name, { type: f.boolean ? ("boolean" as const) : ("string" as const) }]));
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const out: RawFlags = new Map();
  for (const t of tokens) {
    const raw = args[t.index]!;
    if (t.kind === "option-terminator") continue;
    if (raw === "-h") {
      out.set("help", true);
      continue;
    }
    if (t.kind === "positional" || !t.rawName.startsWith("--")) {
      throw new UsageError(`unexpected argument ${JSON.stringify(raw)}: flags start with -- (see weft ${command} --help)`);
    }
    const name = t.name;
    const def = known.get(name);
    if (!def) throw new UsageError(`unknown flag --${name}${suggest(name, [...known.keys()])} (see weft ${command} --help)`);
    if (out.has(name)) throw new UsageError(`--${name} is given twice`);
    if (def.boolean) {
      if (!t.inlineValue) out.set(name, true);
      else {
        const v = t.value ?? "";
        if (v !== "true" && v !== "false") throw new UsageError(`--${name} is a switch: give it alone, or as --${name}=true or --${name}=false, got ${JSON.stringify(v)}`);
        out.set(name, v === "true");
      }
      continue;
    }
    // parseArgs takes the next word as the value even when it is a flag (`--epochs --json`): not here.
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith("--") && t.value.length > 2)) {
      throw new UsageError(`--${name} needs a value (see weft ${command} --help)`);
    }
    out.set(name, t.value);
  }
  return out;
}

/** ` (did you mean --x?)` for the closest known name within a small edit distance. */
function suggest(name: string, names: string[]): string {
  let best = "";
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(name, n);
    if (d < bestD) [best, bestD] = [n, d];
  }
  return bestD <= Math.max(2, name.length / 3) ? ` (did you mean --${best}?)` : "";
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
