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
