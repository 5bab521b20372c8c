/**
 * Module, Parameter and the state dict, after torch.nn.Module: parameters, buffers and child
 * modules are registered in assignment order, which is the order of the flat buffer and of the
 * state dict.
 *
 * A child Module or a Parameter assigned to a property (`this.fc1 = new Linear(…)`) is registered
 * under the property's name, as `torch.nn.Module.__setattr__` does. The mechanism is a lazy scan:
 * every read of the registry (`parameters()`, `stateDict()`, `train()`, …) and every explicit
 * `register*` call first syncs the module's own enumerable properties into it. Not a Proxy
 * returned from the constructor, which would see each assignment: every `this.x` a method reads
 * would then pass through the Proxy — ≈ 100× for the read itself, ≈ 5× for Dropout's forward,
 * which reads `this.rng` and `this.p` per element, ≈ 1.3× for a batch-1 train step of a small
 * residual MLP — while the scan costs nothing between reads and ≈ 5–15 µs per `parameters()` of an
 * 11-module model (`pnpm bench:module`, bench/results/module-access.md; a loaded 2-vCPU machine).
 */
import { Tensor, formatShape, shapeSize, type FloatArray } from "@weft/tensor";

// Brands, not `instanceof`: a Module or Parameter from another copy of this package (a test that
// imports src/ next to @weft/norm, which imports dist/) must register too, not silently be skipped.
const MODULE = Symbol.for("@weft/layers.Module");
const PARAMETER = Symbol.for("@weft/layers.Parameter");

/** Whether `v` is a {@link Parameter} (of any copy of @weft/layers). */
export function isParameter(v: unknown): v is Parameter {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[PARAMETER] === true;
}

/** Whether `v` is a {@link Module} (of any copy of @weft/layers). */
export function isModule(v: unknown): v is Module {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[MODULE] === true;
}

/** A tensor that is a model parameter: requires grad, is optimised and all-reduced. */
export class Parameter extends Tensor {
  static {
    Object.defineProperty(this.prototype, PARAMETER, { value: true });
  }

  constructor(data: FloatArray, shape: readonly number[]) {
    super(data, shape, true);
  }
}

/** A state-dict entry as given to {@link Module.loadStateDict}: a tensor, or plain shape + data. */
export type StateEntry = Tensor | { shape: readonly number[]; data: ArrayLike<number> };

/** The flat storage of a model's parameters and of their gradients. */
export interface FlatParameters {
  params: Float32Array;
  grads: Float32Array;
  /** Each parameter's name, offset and length in the flat arrays, in order. */
  layout: { name: string; offset: number; size: number; shape: readonly number[] }[];
}

type Kind = "parameter" | "buffer" | "module";

/** How an error message names a value: its class and shape, or its type. */
function describe(v: unknown): string {
  if (v instanceof Tensor) return `a ${v.constructor.name} of shape ${formatShape(v.shape)}`;
  if (typeof v === "object" && v !== null) return `a ${v.constructor?.name ?? "object"}`;
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/**
 * The base of every layer and model, as torch.nn.Module.
 *
 * What is registered:
 * - A Parameter or a Module in an own enumerable property, under the property's name. Entries of
 *   properties are ordered as the properties were created (`Object.keys` order), which is the
 *   order of assignment — except that a TypeScript field declared without an initializer
 *   (`fc1!: Linear`) is created right after `super()` (useDefineForClassFields, implied by the
 *   ES2022 target), so declared fields are ordered as declared; `declare fc1: Linear` creates
 *   nothing. Properties assigned before an explicit `register*` call come before its entry.
 * - What `registerParameter`, `registerBuffer` and `registerModule` are given. Buffers are only
 *   registered this way (a Tensor property is just a property), as in PyTorch.
 *
 * A name is one entry, as in PyTorch's one namespace: reassigning a property replaces its entry in
 * place (same position); null (or undefined) on a registered name keeps the slot (PyTorch's None:
 * no state-dict key, the position kept for a later value); a Parameter assigned to a module's name
 * (or the reverse) moves the entry; any other value on a registered name is a TypeError when the
 * registry is next read; `delete this.name` removes the entry. An explicit `register*` of a name
 * that is also a property sets the property too, so the two never differ. The registry follows
 * the properties' values at each read: what is assigned and replaced between two reads is not seen.
 *
 * Not registered: anything in a plain array or object (use {@link ModuleList} / {@link ModuleDict}),
 * `#private` fields (invisible to the scan), non-enumerable properties (a way to keep a reference
 * to a module that is not a child), properties on the prototype (getters). Integer-like names
 * (`this[0]`) sort first in `Object.keys` order; ModuleList is the way to name children by index.
 */
export abstract class Module {
  static {
    Object.defineProperty(this.prototype, MODULE, { value: true });
  }

  /** Training mode (dropout active, BatchNorm uses batch statistics). */
  training = true;
  // The registry: non-enumerable (defined in the constructor), so the scan and console.log skip it.
  private declare readonly _params: Map<string, Parameter | null>;
  private declare readonly _buffers: Map<string, Tensor | null>;
  private declare readonly _modules: Map<string, Module | null>;
  /** The value each property-backed name had at the last sync: a different value is an assignment. */
  private declare readonly _synced: Map<string, unknown>;

  constructor() {
    const hidden = (value: unknown): PropertyDescriptor => ({ value, enumerable: false, writable: false, configurable: false });
    Object.defineProperties(this, {
      _params: hidden(new Map()),
      _buffers: hidden(new Map()),
      _modules: hidden(new Map()),
      _synced: hidden(new Map()),
    });
  }

  /** x → y. Shapes are documented by each module. */
  abstract forward(x: Tensor): Tensor;

  /** Registers `p` (or an empty slot, null) as parameter `name`; as PyTorch's register_parameter. */
  protected registerParameter(name: string, p: Parameter | null): void {
    if (p !== null && !isParameter(p)) throw new TypeError(`${this.constructor.name}.registerParameter("${name}"): expected a Parameter or null, got ${describe(p)}`);
    this.register(name, p, "parameter", "registerParameter");
  }

  /** Registers `t` (or an empty slot, null) as buffer `name`: saved in the state dict, never optimised. */
  protected registerBuffer(name: string, t: Tensor | null): void {
    if (t !== null && !(t instanceof Tensor)) throw new TypeError(`${this.constructor.name}.registerBuffer("${name}"): expected a Tensor or null, got ${describe(t)}`);
    this.register(name, t, "buffer", "registerBuffer");
  }

  /** Registers `m` (or an empty slot, null) as child module `name`; as PyTorch's register_module. */
  protected registerModule(name: string, m: Module | null): void {
    if (m !== null && !isModule(m)) throw new TypeError(`${this.constructor.name}.registerModule("${name}"): expected a Module or null, got ${describe(m)}`);
    this.register(name, m, "module", "registerModule");
  }

  /** Removes entry `name` (parameter, buffer or module) and the property of that name: `del self.name`. */
  protected unregister(name: string): void {
    this.syncProperties();
    if (Object.hasOwn(this, name)) delete (this as Record<string, unknown>)[name];
    this._synced.delete(name);
    this.removeEntry(name);
  }

  private register(name: string, value: unknown, kind: Kind, caller: string): void {
    const where = `${this.constructor.name}.${caller}("${name}")`;
    if (typeof name !== "string" || name === "" || name.includes(".")) throw new Error(`${where}: a name must be a non-empty string without "."`);
    // Properties assigned before this call take their places first: the order is the order of assignment.
    this.syncProperties();
    const other = this.entryKind(name);
    if (other !== undefined && other !== kind) throw new Error(`${where}: "${name}" is already a registered ${other}`);
    if (Object.hasOwn(this, name)) {
      const current = (this as Record<string, unknown>)[name];
      if (current !== value && current != null && other !== kind) {
        throw new Error(`${where}: "${name}" is already a property holding ${describe(current)}`);
      }
      // One namespace: the property and the entry are the same object (this.weight is what is optimised).
      if (current !== value) Reflect.set(this, name, value);
      this._synced.set(name, value);
    }
    this.setEntry(name, value, kind);
  }

  /**
   * Brings the registry up to date with the own enumerable properties: a new or reassigned property
   * holding a Parameter or Module is (re-)registered, null on a registered name empties its slot, a
   * deleted property removes its entry. PyTorch's __setattr__ / __delattr__ rules, applied lazily.
   */
  private syncProperties(): void {
    const synced = this._synced;
    for (const name of synced.keys()) {
      if (!Object.hasOwn(this, name)) {
        synced.delete(name);
        this.removeEntry(name);
      }
    }
    const self = this as Record<string, unknown>;
    for (const name of Object.keys(this)) {
      const value = self[name];
      if (synced.has(name)) {
        if (synced.get(name) === value) continue;
      } else if ((typeof value !== "object" || value === null || (!isParameter(value) && !isModule(value))) && this.entryKind(name) === undefined) {
        continue; // a plain property
      }
      this.assignProperty(name, value);
      synced.set(name, value);
    }
  }

  /** PyTorch's __setattr__ for a property whose value changed. */
  private assignProperty(name: string, value: unknown): void {
    if (isParameter(value)) return this.setEntry(name, value, "parameter");
    if (isModule(value)) return this.setEntry(name, value, "module");
    const kind = this.entryKind(name);
    if (kind === undefined) return;
    if (value === null || value === undefined) return this.setEntry(name, null, kind);
    if (kind === "buffer" && value instanceof Tensor) return this.setEntry(name, value, kind);
    const expected = { parameter: "a Parameter", module: "a Module", buffer: "a Tensor" }[kind];
    throw new TypeError(`${this.constructor.name}.${name} holds ${describe(value)}, but "${name}" is a registered ${kind}: assign ${expected} or null`);
  }

  private entryKind(name: string): Kind | undefined {
    if (this._params.has(name)) return "parameter";
    if (this._modules.has(name)) return "module";
    if (this._buffers.has(name)) return "buffer";
    return undefined;
  }

  /** Sets entry `name`; one kind per name (a Parameter assigned where a Module was moves it, as PyTorch). */
  private setEntry(name: string, value: unknown, kind: Kind): void {
    if (kind !== "parameter") this._params.delete(name);
    if (kind !== "buffer") this._buffers.delete(name);
    if (kind !== "module") this._modules.delete(name);
    this.placeEntry(kind === "parameter" ? this._params : kind === "buffer" ? this._buffers : this._modules, name, value);
  }

  /**
   * In place if `name` is there (PyTorch's dicts). A new name that is a property goes before the
   * first entry whose property was created after it: property entries keep the properties'
   * creation order, whenever a sync first sees them (`m.fc = null` and back before any read leaves
   * fc where it was). Anything else goes at the end.
   */
  private placeEntry(map: Map<string, unknown>, name: string, value: unknown): void {
    if (map.has(name) || !Object.hasOwn(this, name)) {
      map.set(name, value);
      return;
    }
    const order = Object.keys(this);
    const at = order.indexOf(name);
    let before: string | undefined;
    for (const k of map.keys()) {
      if (order.indexOf(k) > at) {
        before = k;
        break;
      }
    }
    if (before === undefined) {
      map.set(name, value);
      return;
    }
    const entries = [...map];
    map.clear();
    for (const [k, v] of entries) {
      if (k === before) map.set(name, value);
      map.set(k, v);
    }
  }

  private removeEntry(name: string): void {
    this._params.delete(name);
    this._buffers.delete(name);
    this._modules.delete(name);
  }

  /** Direct children, in order (empty slots skipped; a child held twice is listed once). */
  namedChildren(): [string, Module][] {
    this.syncProperties();
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    for (const [n, m] of this._modules) {
      if (m && !seen.has(m)) {
        seen.add(m);
        out.push([n, m]);
      }
    }
    return out;
  }

  /**
   * This module and all descendants, depth-first, with dotted names ("" for the root). A module
   * reachable twice (shared, or a cycle) is listed once, under its first name, as PyTorch's memo does.
   */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, name: string): void => {
      if (seen.has(m)) return;
      seen.add(m);
      m.syncProperties();
      out.push([name, m]);
      for (const [n, c] of m._modules) if (c) visit(c, name ? `${name}.${n}` : n);
    };
    visit(this, prefix);
    return out;
  }

  /**
   * Parameters with PyTorch's dotted names (`0.weight`), in declaration order; a parameter held
   * twice (tied weights) is listed once, under its first name, as PyTorch's named_parameters.
   */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, p] of m._params) {
        if (p && !seen.has(p)) {
          seen.add(p);
          out.push([prefix ? `${prefix}.${n}` : n, p]);
        }
      }
    }
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Buffers (running statistics, …): state that is saved but not optimised; each once. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, b] of m._buffers) {
        if (b && !seen.has(b)) {
          seen.add(b);
          out.push([prefix ? `${prefix}.${n}` : n, b]);
        }
      }
    }
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Zeroes every parameter's gradient in place (gradients may be views into shared memory). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /**
   * PyTorch's state dict: for each module in order its parameters, then its buffers, then its
   * children. The tensors are the live ones (not copies), as in PyTorch; a tensor held under two
   * names (tied weights) appears under both, as in PyTorch. A module that contains itself is an error.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const path = new Set<Module>();
    const visit = (m: Module, prefix: string): void => {
      if (path.has(m)) throw new Error(`stateDict: the module at "${prefix.slice(0, -1)}" is one of its own ancestors (a cycle of child modules)`);
      path.add(m);
      m.syncProperties();
      for (const [n, p] of m._params) if (p) out[prefix + n] = p;
      for (const [n, b] of m._buffers) if (b) out[prefix + n] = b;
      for (const [n, c] of m._modules) if (c) visit(c, `${prefix}${n}.`);
      path.delete(m);
    };
    visit(this, "");
    return out;
  }

  /**
   * Copies values in from a state dict with PyTorch's keys. Strict by default: missing,
   * unexpected or mis-shaped keys are an error naming all of them, and nothing is changed.
   */
  loadStateDict(state: Record<string, StateEntry>, strict = true): { missingKeys: string[]; unexpectedKeys: string[] } {
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !Object.hasOwn(state, k));
    const unexpectedKeys = Object.keys(state).filter((k) => !Object.hasOwn(own, k));
    const misShaped: string[] = [];
    for (const [k, t] of Object.entries(own)) {
      const s = state[k];
      if (!s) continue;
      const same = s.shape.length === t.shape.length && s.shape.every((d, i) => d === t.shape[i]);
      // A 1-element entry may stand for a scalar buffer and vice versa (num_batches_tracked).
      const scalarish = shapeSize(s.shape) === 1 && t.size === 1;
      if (!same && !scalarish) misShaped.push(`${k}: expected ${formatShape(t.shape)}, got ${formatShape(s.shape)}`);
      else if (s.data.length !== t.size) misShaped.push(`${k}: expected ${t.size} values, got ${s.data.length}`);
    }
    const problems: string[] = [];
    if (misShaped.length) problems.push(`mis-shaped keys: ${misShaped.join("; ")}`);
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(", ")}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(", ")}`);
    if (problems.length) throw new Error(`loadStateDict: ${problems.join(". ")}. Nothing was loaded.`);
    for (const [k, t] of Object.entries(own)) {
      const s = state[k];
      if (!s) continue;
      const src = s.data;
      for (let i = 0; i < t.size; i++) t.data[i] = src[i];
    }
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Moves every parameter into one flat Float32Array (and every gradient into another), in
   * declaration order, copying current values. Pass `params`/`grads` to place them in memory
   * of your own (a SharedArrayBuffer): with `keepValues: false` the parameters take the values
   * already in `params` (a worker joining shared weights). Returns the flat arrays and layout.
   */
  flatten(options: { params?: Float32Array; grads?: Float32Array; keepValues?: boolean } = {}): FlatParameters {
    const named = this.namedParameters();
    const total = named.reduce((s, [, p]) => s + p.size, 0);
    const params = options.params ?? new Float32Array(total);
    const grads = options.grads ?? new Float32Array(total);
    if (params.length !== total || grads.length !== total) {
      throw new Error(`flatten: the model has ${total} parameter values but params has ${params.length} and grads ${grads.length}`);
    }
    const keep = options.keepValues ?? true;
    const layout: FlatParameters["layout"] = [];
    let offset = 0;
    for (const [name, p] of named) {
      const view = params.subarray(offset, offset + p.size);
      if (keep) view.set(p.data);
      p.data = view;
      const g = grads.subarray(offset, offset + p.size);
      if (p.grad) g.set(p.grad.data);
      p.grad = new Tensor(g, p.shape);
      layout.push({ name, offset, size: p.size, shape: p.shape });
      offset += p.size;
    }
    return { params, grads, layout };
  }
}
