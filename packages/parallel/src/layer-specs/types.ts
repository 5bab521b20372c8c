/** What a layer-spec family provides: the options each type accepts and how to build it. */
import type { Module } from "@weft/layers";
import type { Rng } from "@weft/tensor";

export interface LayerBuilder<S> {
  /** The option keys a spec of this type may carry (besides `type`). */
  options: readonly string[];
  /** Builds the layer; `rng` draws its initialisation (and is the generator of layers that draw, as Dropout). */
  build(spec: S, rng: Rng | undefined): Module;
}

/** A family's builders, one per layer type, each typed with its own spec. */
export type LayerBuilders<S extends { type: string }> = { [T in S["type"]]: LayerBuilder<Extract<S, { type: T }>> };
