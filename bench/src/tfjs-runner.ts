/**
 * The standard workloads in TensorFlow.js (`@tensorflow/tfjs-core` with the cpu or wasm backend)
 * as a user writes them without tfjs-layers: variables, a forward function, `tf.variableGrads`,
 * `tf.train.adam(1e-3).applyGradients`, all in `tf.tidy`. Each step gathers its batch's rows,
 * as weft's loops do, and reads the loss back (`dataSync`) so the step really finishes.
 * The MLP of issue 6, or (`arch: "cnn"`) issue 14's standard CNN in TF.js's NHWC layout, with
 * BatchNorm as tfjs-layers trains it (`tf.moments` over N·H·W, `tf.batchNorm`, running
 * statistics updated by momentum 0.1). The CNN trains on the cpu backend only: tfjs-backend-wasm
 * 4.22 registers no Conv2DBackpropFilter kernel (tfjs#8474).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { RunSample, Runner } from "./runners.js";
import { registerTfjsGradients } from "./tfjs-gradients.js";
import { CLASSES, FEATURES, batchesOf, rowOrder, type Arch, type Dataset } from "./workload.js";

export type TfjsBackend = "cpu" | "wasm";

/** Glorot-uniform `[fanIn, fanOut]`-shaped weights (tf.layers' default), seeded. */
function glorot(shape: number[], fanIn: number, fanOut: number, seed: number): tf.Variable {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.variable(tf.randomUniform(shape, -limit, limit, "float32", seed));
}

/** A model: its trainable variables and its forward pass from a `[batch, 784]` input to logits. */
interface TfjsModel {
  vars: tf.Variable[];
  /** Non-trainable state (BatchNorm's running statistics), disposed with the model. */
  state: tf.Variable[];
  forward(x: tf.Tensor2D): tf.Tensor2D;
}

/** `784 → hidden… → 10` (ReLU), Glorot-uniform weights and zero biases: tf.layers.dense's defaults. */
function mlpModel(hidden: readonly number[]): TfjsModel {
  const vars: tf.Variable[] = [];
  let fanIn = FEATURES;
  for (const h of [...hidden, CLASSES]) {
    vars.push(glorot([fanIn, h], fanIn, h, 1), tf.variable(tf.zeros([h])));
    fanIn = h;
  }
  return {
    vars,
    state: [],
    forward(x) {
      let h: tf.Tensor2D = x;
      const layers = vars.length / 2;
      for (let l = 0; l < layers; l++) {
        h = tf.add(tf.matMul(h, vars[2 * l] as tf.Tensor2D), vars[2 * l + 1]);
        if (l < layers - 1) h = tf.relu(h);
      }
      return h;
    },
  };
}

/**
 * Issue 14's standard CNN in NHWC: conv 3×3 (1→32, same padding, no bias) → BatchNorm → ReLU →
 * max-pool 2 → conv 3×3 (32→64) → BatchNorm → ReLU → max-pool 2 → flatten → 3136→128 → ReLU →
 * 128→10. A one-channel `[N, 28, 28]` image is the same memory in NCHW and NHWC, so the rows
 * are reshaped, not transposed.
 */
function cnnModel(): TfjsModel {
  const conv = (cin: number, cout: number, seed: number) => glorot([3, 3, cin, cout], 9 * cin, 9 * cout, seed);
  const [w1, w2] = [conv(1, 32, 1), conv(32, 64, 2)];
  const bn = (c: number) => ({ gamma: tf.variable(tf.ones([c])), beta: tf.variable(tf.zeros([c])), mean: tf.variable(tf.zeros([c]), false), variance: tf.variable(tf.ones([c]), false) });
  const [bn1, bn2] = [bn(32), bn(64)];
  const [fc1, b1, fc2, b2] = [glorot([3136, 128], 3136, 128, 3), tf.variable(tf.zeros([128])), glorot([128, CLASSES], 128, CLASSES, 4), tf.variable(tf.zeros([CLASSES]))];
  // BatchNorm in training, as tfjs-layers' BatchNormalization: batch statistics over N, H, W,
  // and running statistics moved by momentum 0.1 (PyTorch's; the unbiased variance, as PyTorch).
  const batchNorm = (x: tf.Tensor4D, p: typeof bn1): tf.Tensor4D => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const n = x.size / x.shape[3];
    p.mean.assign(tf.add(tf.mul(p.mean, 0.9), tf.mul(mean, 0.1)));
    p.variance.assign(tf.add(tf.mul(p.variance, 0.9), tf.mul(variance, 0.1 * n / (n - 1))));
    return tf.batchNorm(x, mean, variance, p.beta, p.gamma, 1e-5) as tf.Tensor4D;
  };
  const block = (x: tf.Tensor4D, w: tf.Variable, p: typeof bn1) => tf.maxPool(tf.relu(batchNorm(tf.conv2d(x, w as tf.Tensor4D, 1, "same"), p)), 2, 2, "valid");
  return {
    vars: [w1, bn1.gamma, bn1.beta, w2, bn2.gamma, bn2.beta, fc1, b1, fc2, b2],
    state: [bn1.mean, bn1.variance, bn2.mean, bn2.variance],
    forward(x) {
      const h = block(block(tf.reshape(x, [x.shape[0], 28, 28, 1]), w1, bn1), w2, bn2);
      const f = tf.relu(tf.add(tf.matMul(tf.reshape(h, [x.shape[0], 3136]), fc1 as tf.Tensor2D), b1));
      return tf.add(tf.matMul(f, fc2 as tf.Tensor2D), b2);
    },
  };
}

export class TfjsRunner implements Runner {
  readonly workers = 1;
  private readonly optimizer = tf.train.adam(1e-3);
  private readonly order: Int32Array;
  private x = new Float32Array(0);
  private y = new Int32Array(0);

  private constructor(readonly kind: string, private readonly model: TfjsModel, private readonly data: Dataset) {
    this.order = rowOrder(data.rows, 7);
  }

  /** Selects (and for wasm, locates) the backend, then builds the model (`arch` "cnn": the standard CNN; `hidden` is the MLP's). */
  static async create(backend: TfjsBackend, hidden: readonly number[], data: Dataset, arch: Arch = "mlp"): Promise<TfjsRunner> {
    if (arch === "cnn" && backend === "wasm") throw new Error("TF.js wasm cannot train a CNN: tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (tfjs#8474); use tfjs-cpu");
    registerTfjsGradients();
    if (backend === "wasm") {
      // The .wasm binaries ship inside the npm package, next to its Node bundle.
      const main = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
      setWasmPaths(join(dirname(main), "/"));
    }
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} failed to initialise`);
    await tf.ready();
    return new TfjsRunner(`tfjs-${backend}`, arch === "cnn" ? cnnModel() : mlpModel(hidden), data);
  }

  async run(batch: number, steps: number): Promise<RunSample> {
    const { x: xAll, y: yAll, rows } = this.data;
    if (this.x.length < batch * FEATURES) {
      this.x = new Float32Array(batch * FEATURES);
      this.y = new Int32Array(batch);
    }
    const batches = batchesOf(rows, batch, steps);
    const t0 = performance.now();
    for (const [offset] of batches) {
      for (let i = 0; i < batch; i++) {
        const row = this.order[offset + i];
        this.x.set(xAll.subarray(row * FEATURES, (row + 1) * FEATURES), i * FEATURES);
        this.y[i] = yAll[row];
      }
      tf.tidy(() => {
        const x = tf.tensor2d(this.x.subarray(0, batch * FEATURES), [batch, FEATURES]);
        const labels = tf.oneHot(tf.tensor1d(this.y.subarray(0, batch), "int32"), CLASSES);
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, this.model.forward(x)) as tf.Scalar, this.model.vars);
        // variableGrads returns a map by variable name, which applyGradients accepts at run time
        // (Optimizer.minimize passes it the same way); only the declared types disagree.
        this.optimizer.applyGradients(grads as unknown as Parameters<tf.AdamOptimizer["applyGradients"]>[0]);
        value.dataSync();
      });
    }
    return { batch, steps, ms: performance.now() - t0, timings: new Float64Array(4) };
  }

  async close(): Promise<void> {
    for (const v of [...this.model.vars, ...this.model.state]) v.dispose();
    this.optimizer.dispose();
  }
}

/** Whether the wasm backend found SIMD and threads (reported next to its figure). */
export async function tfjsWasmFeatures(): Promise<{ simd: boolean; threads: boolean }> {
  return { simd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")), threads: Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) };
}
