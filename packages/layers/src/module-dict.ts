/** ModuleDict: child modules by name, as torch.nn.ModuleDict. */
import type { Tensor } from "@weft/tensor";
import { Module, isModule } from "./module.js";

/**
 * Holds named modules in insertion order (state-dict keys `encoder.weight`, …), as
 * torch.nn.ModuleDict, with a Map's methods: `get`, `set` (replaces in place), `has`, `delete`,
 * `keys`, `values`, `entries`, `size`. It has no forward of its own. A name is a non-empty string
 * without "."; entries are not properties (`dict.get("fc")`, not `dict.fc`), so any name is free.
 *
 * Differs from PyTorch on purpose: iteration yields `[name, module]` pairs, as a JavaScript Map's
 * does (PyTorch's yields the names: use `keys()`).
 *
 * @example
 * const heads = new ModuleDict({ cls: new Linear(8, 3), reg: new Linear(8, 1) });
 * const y = heads.get("cls")!.forward(x); // x: [N, 8] → [N, 3]
 */
export class ModuleDict<T extends Module = Module> extends Module implements Iterable<[string, T]> {
  // #private: invisible to the scan of own properties; the registry is kept in step by set/delete.
  readonly #map = new Map<string, T>();

  constructor(modules: Iterable<readonly [string, T]> | Record<string, T> = {}) {
    super();
    this.update(modules);
  }

  get size(): number {
    return this.#map.size;
  }

  get(name: string): T | undefined {
    return this.#map.get(name);
  }

  has(name: string): boolean {
    return this.#map.has(name);
  }

  /** Sets `name` to `module`: in place if the name is there (same position), else at the end. */
  set(name: string, module: T): this {
    if (!isModule(module)) throw new TypeError(`ModuleDict.set("${name}"): expected a Module, got ${String(module)}`);
    this.registerModule(name, module);
    this.#map.set(name, module);
    return this;
  }

  /** Removes `name`; whether it was there. */
  delete(name: string): boolean {
    if (!this.#map.has(name)) return false;
    this.unregister(name);
    return this.#map.delete(name);
  }

  /** Sets each entry of `modules` (pairs or a record), in order. */
  update(modules: Iterable<readonly [string, T]> | Record<string, T>): this {
    const entries = Symbol.iterator in modules ? (modules as Iterable<readonly [string, T]>) : Object.entries(modules as Record<string, T>);
    for (const [name, m] of entries) this.set(name, m);
    return this;
  }

  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  values(): IterableIterator<T> {
    return this.#map.values();
  }

  entries(): IterableIterator<[string, T]> {
    return this.#map.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, T]> {
    return this.#map.entries();
  }

  /** A ModuleDict is not called: pick a module from it. */
  forward(_x: Tensor): Tensor {
    throw new Error('ModuleDict has no forward: call one of its modules (dict.get("name")!.forward(x))');
  }
}
