/**
 * `weft train --arch cnn`: the default CNN, as data (a LayerSpec list, saved in config.json like
 * the MLP's). It reads the same flat rows as the MLP (`Unflatten` makes `[N, 784]` the images
 * `[N, 1, 28, 28]`), so the data path, augmentation, eval and predict are unchanged. PyTorch's
 * equivalent (same state-dict keys):
 * `nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32),
 * nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
 * nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))` — the
 * standard CNN workload of issue 14 (bench:train --arch cnn). Its recipe (config.ts's defaults
 * under `--arch cnn`) adds `--augment` and `--lr-schedule cosine`: seed 0, 10 epochs, 2 workers,
 * 98.6% test accuracy on the embedded digits (97.8% val); without them 98.5% (97.4% val).
 */
import { standardCnn, type LayerSpec } from "@weft/parallel";

/** The default CNN over square one-channel images of `features` pixels, `classes` outputs. */
export function cnnSpec(features: number, classes: number): LayerSpec[] {
  const side = Math.round(Math.sqrt(features));
  if (side * side !== features || side % 4 !== 0) {
    throw new Error(`--arch cnn needs square images whose side is a multiple of 4 (28×28 = 784 features), got ${features} features`);
  }
  return [{ type: "Unflatten", dim: 1, unflattenedSize: [1, side, side] }, ...standardCnn(side, classes)];
}

/**
 * The step arena for a CNN run: each row keeps ≈ 1 MB of activations and gradients at 28×28
 * (conv1's 32 planes the most; scaled by the image area), so every one lies in the workers' wasm
 * memory and no kernel copies; plus room for the rest. Undefined for the MLP (the engine's default).
 */
export function arenaBytesFor(arch: "mlp" | "cnn", features: number, batchSize: number, workers: number): number | undefined {
  if (arch !== "cnn") return undefined;
  const perRow = Math.ceil((1.25 * 2 ** 20 * features) / 784);
  return Math.ceil(batchSize / workers) * perRow + (8 << 20);
}
