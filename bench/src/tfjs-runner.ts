/**
 * The standard workload in TensorFlow.js (`@tensorflow/tfjs-core` with the cpu or wasm backend)
 * as a user writes it without tfjs-layers: variables, a forward function, `tf.variableGrads`,
 * `tf.train.adam(1e-3).applyGradients`, all in `tf.tidy`. Each step gathers its batch's rows,
 * as weft's loops do, and reads the loss back (`dataSync`) so the step really finishes.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { RunSample, Runner } from "./runners.js";
import { registerTfjsGradients } from "./tfjs-gradients.js";
import { CLASSES, FEATURES, batchesOf, rowOrder, type Dataset } from "./workload.js";

export type TfjsBackend = "cpu" | "wasm";

export class TfjsRunner implements Runner {
  readonly workers = 1;
  private readonly vars: tf.Variable[] = [];
  private readonly optimizer = tf.train.adam(1e-3);
  private readonly order: Int32Array;
  private x = new Float32Array(0);
  private y = new Int32Array(0);

  private constructor(readonly kind: string, hidden: readonly number[], private readonly data: Dataset) {
    this.order = rowOrder(data.rows, 7);
    // Glorot-uniform weights and zero biases: tf.layers.dense's defaults.
    let fanIn = FEATURES;
    for (const h of [...hidden, CLASSES]) {
      const limit = Math.sqrt(6 / (fanIn + h));
      this.vars.push(tf.variable(tf.randomUniform([fanIn, h], -limit, limit, "float32", 1)), tf.variable(tf.zeros([h])));
      fanIn = h;
    }
  }

  /** Selects (and for wasm, locates) the backend, then builds the model. */
  static async create(backend: TfjsBackend, hidden: readonly number[], data: Dataset): Promise<TfjsRunner> {
    registerTfjsGradients();
    if (backend === "wasm") {
      // The .wasm binaries ship inside the npm package, next to its Node bundle.
      const main = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
      setWasmPaths(join(dirname(main), "/"));
    }
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} failed to initialise`);
    await tf.ready();
    return new TfjsRunner(`tfjs-${backend}`, hidden, data);
  }

  private forward(x: tf.Tensor2D): tf.Tensor2D {
    let h: tf.Tensor2D = x;
    const layers = this.vars.length / 2;
    for (let l = 0; l < layers; l++) {
      h = tf.add(tf.matMul(h, this.vars[2 * l] as tf.Tensor2D), this.vars[2 * l + 1]);
      if (l < layers - 1) h = tf.relu(h);
    }
    return h;
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
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, this.forward(x)) as tf.Scalar, this.vars);
        // variableGrads returns a map by variable name, which applyGradients accepts at run time
        // (Optimizer.minimize passes it the same way); only the declared types disagree.
        this.optimizer.applyGradients(grads as unknown as Parameters<tf.AdamOptimizer["applyGradients"]>[0]);
        value.dataSync();
      });
    }
    return { batch, steps, ms: performance.now() - t0, timings: new Float64Array(4) };
  }

  async close(): Promise<void> {
    for (const v of this.vars) v.dispose();
    this.optimizer.dispose();
  }
}

/** Whether the wasm backend found SIMD and threads (reported next to its figure). */
export async function tfjsWasmFeatures(): Promise<{ simd: boolean; threads: boolean }> {
  return { simd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")), threads: Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) };
}
