/**
 * Splits a command line into `--flag value` pairs, as most CLIs read them: `--name value`,
 * `--name=value`, and bare boolean flags (`--json`). A lone `--` is skipped, so both
 * `pnpm train --epochs 2` and `pnpm train -- --epochs 2` work. Only the shape is checked here;
 * the values are validated by the command's flag table.
 */
import { UsageError } from "./errors.js";

/** What the parser needs to know about each flag: whether it takes a value. */
export interface FlagShape {
  name: string;
  boolean?: boolean;
}

/** Flag name (without `--`) → its raw value: a string, or `true` for a bare boolean flag. */
export type RawFlags = Map<string, string | boolean>;

export function parseArgv(argv: readonly string[], flags: readonly FlagShape[], command: string): RawFlags {
  const known = new Map(flags.map((f) => [f.name, f]));
  const out: RawFlags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === "--") continue;
    if (token === "-h") {
      out.set("help", true);
      continue;
    }
    if (!token.startsWith("--")) {
      throw new UsageError(`unexpected argument ${JSON.stringify(token)}: flags start with -- (see weft ${command} --help)`);
    }
    const eq = token.indexOf("=");
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const def = known.get(name);
    if (!def) throw new UsageError(`unknown flag --${name}${suggest(name, [...known.keys()])} (see weft ${command} --help)`);
    if (out.has(name)) throw new UsageError(`--${name} is given twice`);
    if (def.boolean) {
      if (eq < 0) out.set(name, true);
      else {
        const v = token.slice(eq + 1);
        if (v !== "true" && v !== "false") throw new UsageError(`--${name} is a switch: give it alone, or as --${name}=true or --${name}=false, got ${JSON.stringify(v)}`);
        out.set(name, v === "true");
      }
      continue;
    }
    if (eq >= 0) {
      out.set(name, token.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || (next.startsWith("--") && next.length > 2)) throw new UsageError(`--${name} needs a value (see weft ${command} --help)`);
    out.set(name, next);
    i++;
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
