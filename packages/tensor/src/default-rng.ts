/**
 * The process-wide default generator, PyTorch's `torch.manual_seed` equivalent: used by layers
 * and init functions when no generator is passed. Seeded with 0 until {@link manualSeed} is called.
 */
import { Rng } from "./rng.js";

let current: Rng | null = null;

/** Re-seeds the default generator. */
export function manualSeed(seed: number): void {
  current = new Rng(seed);
}

/** The default generator (created lazily, seed 0). */
export function defaultRng(): Rng {
  if (current === null) current = new Rng(0);
  return current;
}

/**
 * Makes `rng` the default generator (what layers and ops draw from when given none) — the
 * data-parallel engine sets each step's generator, so a module that draws from the default
 * anywhere in a model draws the same bits for the same (seed, rank, step).
 */
export function setDefaultRng(rng: Rng): void {
  current = rng;
}
