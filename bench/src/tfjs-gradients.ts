/**
 * Gradients for the five TF.js kernels the standard workload's training step uses. The
 * `@tensorflow/tfjs-core` package registers its gradients only in its ES-module build
 * (dist/register_all_gradients.js, with extensionless imports that Node cannot load), and its
 * Node bundle ships none; the `@tensorflow/tfjs` umbrella package bundles them. These are
 * tfjs-core 4.22.0's own gradient configs (dist/gradients/{BatchMatMul,Add,Relu,Sum,RealDiv}_grad.js,
 * Apache-2.0), transcribed unchanged so the peer runs TF.js's real backward pass.
 */
import * as tf from "@tensorflow/tfjs-core";

type Saved = tf.Tensor[];

/** Sums `dy` over the axes that broadcasting added to `shape`, back to `shape`. */
function unbroadcast(dy: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(dy, axes) : dy, shape);
}

let registered = false;

export function registerTfjsGradients(): void {
  if (registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: tf.BatchMatMul,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved: Saved, attrs) => {
      const [a, b] = saved;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as tf.Tensor;
      if (!transposeA && !transposeB) return { a: () => tf.matMul(g, b, false, true), b: () => tf.matMul(a, g, true, false) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(g, b, false, false), b: () => tf.matMul(g, a, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b, g, false, true), b: () => tf.matMul(a, g, false, false) };
      return { a: () => tf.matMul(b, g, true, true), b: () => tf.matMul(g, a, true, true) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Add,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved: Saved) => {
      const [a, b] = saved;
      const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return { a: () => unbroadcast(dy as tf.Tensor, a.shape, out), b: () => unbroadcast(dy as tf.Tensor, b.shape, out) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ["x"],
    gradFunc: (dy, saved: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.step(saved[0]), "float32")) }),
  });
  tf.registerGradient({
    kernelName: tf.Sum,
    inputsToSave: ["x"],
    gradFunc: (dy, saved: Saved, attrs) => {
      const [x] = saved;
      const shape = x.shape.slice();
      for (const axis of tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape)) shape[axis] = 1;
      const derX = tf.mul(tf.reshape(dy as tf.Tensor, shape), tf.ones(x.shape, "float32"));
      return { x: () => derX };
    },
  });
  tf.registerGradient({
    kernelName: tf.RealDiv,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved: Saved) => {
      const [a, b] = saved;
      const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const g = dy as tf.Tensor;
      return {
        a: () => unbroadcast(tf.div(g, tf.cast(b, "float32")), a.shape, out),
        b: () => tf.neg(tf.div(unbroadcast(tf.mul(g, tf.cast(a, "float32")), b.shape, out), tf.cast(tf.square(b), "float32"))),
      };
    },
  });
}
