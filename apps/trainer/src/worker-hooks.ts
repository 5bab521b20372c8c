/**
 * The per-worker batch hook (`DataParallelOptions.hooks`): each worker imports this module by a
 * URL whose query string carries the run's settings, and calls `transformBatch` once per
 * training step, before the forward pass.
 *
 * Augmentation (`--augment`): shifts and noise drawn from the generator the engine hands in for
 * this (rank, global step) — the same one dropout uses that step — so a resumed run draws exactly
 * what the uninterrupted one drew.
 */
import type { Rng } from "@weft/tensor";
import { augmentBatch } from "./data/augment.js";

export interface HookSettings {
  augment?: { h: number; w: number; fill: number; noiseStd: number; maxShift: number };
}

/** The module URL for `hooks`: this file with the settings in the query string. */
export function hooksUrl(settings: HookSettings): string {
  const url = new URL(import.meta.url);
  url.searchParams.set("s", JSON.stringify(settings));
  return url.href;
}

const raw = new URL(import.meta.url).searchParams.get("s");
const settings: HookSettings | null = raw ? (JSON.parse(raw) as HookSettings) : null;
let scratch = new Float32Array(0);

export function transformBatch(x: Float32Array, rows: number, features: number, rng: Rng): void {
  const a = settings?.augment;
  if (!a || rows === 0) return;
  const n = rows * features;
  if (scratch.length < n) scratch = new Float32Array(n);
  const out = scratch.subarray(0, n);
  augmentBatch(x, rows, a.h, a.w, rng, out, { fill: a.fill, noiseStd: a.noiseStd, maxShift: a.maxShift });
  x.set(out);
}
