/**
 * Keys of the run's random streams, `new Rng(seed).split(key)`, one per purpose so that no two
 * purposes share draws. The engine's own streams are `Rng(seed)` (PyTorch-default init) and
 * `Rng(seed).split(1000 + rank).split(step)` (each worker's dropout masks and augmentation at each
 * global step); these keys avoid that range.
 */
export const RNG_KEYS = { shuffle: 0x5348_5546, init: 0x494e_4954 } as const;
