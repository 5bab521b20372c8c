/** Saving and loading a whole model as safetensors, with PyTorch's state-dict keys. */
import { readSafetensorsFile, writeSafetensorsFile, type NamedTensor } from "@weft/tensor";
import type { Module } from "./module.js";

/** Writes the model's state dict (parameters and buffers) to `path`, atomically. */
export function saveSafetensors(model: Module, path: string, metadata?: Record<string, string>): void {
  const out: Record<string, NamedTensor> = {};
  for (const [k, t] of Object.entries(model.stateDict())) out[k] = { shape: [...t.shape], data: Float32Array.from(t.data) };
  writeSafetensorsFile(path, out, metadata);
}

/** Loads a safetensors file into the model (strict: every key must match). Returns the file's metadata. */
export function loadSafetensors(model: Module, path: string, strict = true): Record<string, string> {
  const { tensors, metadata } = readSafetensorsFile(path);
  try {
    model.loadStateDict(tensors, strict);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return metadata;
}
