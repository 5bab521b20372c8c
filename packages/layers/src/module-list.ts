/** ModuleList: child modules in a list, registered as "0", "1", …, as torch.nn.ModuleList. */
import type { Tensor } from "@weft/tensor";
import { Module, isModule } from "./module.js";

/**
 * Holds modules in order, registered under their indices (state-dict keys `0.weight`, `1.weight`,
 * …), as torch.nn.ModuleList; it has no forward of its own — a model loops over it. A plain array
 * of modules is not registered (PyTorch's rule too): put the modules in a ModuleList.
 *
 * `list[i]` reads (and, for 0 ≤ i < length, replaces in place) a module; `at(i)` takes negative
 * indices; `append`, `extend`, `insert` and `pop` as Python's list; iteration yields the modules.
 *
 * @example
 * const blocks = new ModuleList([new Linear(8, 8), new Linear(8, 8)]);
 * for (const block of blocks) x = block.forward(x); // x: [N, 8] → [N, 8]
 */
export class ModuleList<T extends Module = Module> extends Module implements Iterable<T> {
  [index: number]: T;
  // #private: the scan of own properties does not see it, so it is never taken for an entry.
  #length = 0;

  constructor(modules: Iterable<T> = []) {
    super();
    this.extend(modules);
  }

  /** The number of modules. */
  get length(): number {
    return this.#length;
  }

  /** The module at `index` (negative: from the end), or undefined, as Array.prototype.at. */
  at(index: number): T | undefined {
    const i = index < 0 ? index + this.#length : index;
    return Number.isInteger(i) && i >= 0 && i < this.#length ? this[i] : undefined;
  }

  /** Adds `module` at the end, registered as its index. */
  append(module: T): this {
    this.put(this.#length, module, "append");
    this.#length++;
    return this;
  }

  /** Appends each of `modules`, in order. */
  extend(modules: Iterable<T>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** Inserts `module` before `index` (clamped; negative from the end), as Python's list.insert. */
  insert(index: number, module: T): this {
    const items = [...this];
    const n = items.length;
    const i = index < 0 ? Math.max(0, n + index) : Math.min(n, index);
    if (!isModule(module)) throw new TypeError(`ModuleList.insert: expected a Module, got ${String(module)}`);
    items.splice(i, 0, module);
    for (let k = i; k < items.length; k++) this.put(k, items[k], "insert"); // re-keyed from i on, as PyTorch
    this.#length = items.length;
    return this;
  }

  /** Removes and returns the module at `index` (default the last), re-keying those after it. */
  pop(index = -1): T {
    const n = this.#length;
    const i = index < 0 ? n + index : index;
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`ModuleList.pop: index ${index} is out of range for ${n} modules`);
    const items = [...this];
    const [removed] = items.splice(i, 1);
    for (let k = i; k < items.length; k++) this.put(k, items[k], "pop");
    this.unregister(String(n - 1));
    this.#length = n - 1;
    return removed;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = 0; i < this.#length; i++) yield this[i];
  }

  /** A ModuleList is not called: loop over it (or use Sequential). */
  forward(_x: Tensor): Tensor {
    throw new Error("ModuleList has no forward: loop over it (for (const m of list) x = m.forward(x)), or use Sequential");
  }

  /** Index `i` holds `module`: the property, and the entry of that name in place. */
  private put(i: number, module: T, caller: string): void {
    if (!isModule(module)) throw new TypeError(`ModuleList.${caller}: expected a Module, got ${String(module)}`);
    this[i] = module;
    this.registerModule(String(i), module);
  }
}
