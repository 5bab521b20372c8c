/**
 * Gradients for the TF.js kernels the standard workloads' training steps use: five for the MLP,
 * eight more for the CNN (Conv2D, MaxPool, FusedBatchNorm and tf.moments' Mean, Sub, Square,
 * Cast, plus Reshape). The
 * `@tensorflow/tfjs-core` package registers its gradients only in its ES-module build
 * (dist/register_all_gradients.js, with extensionless imports that Node cannot load), and its
 * Node bundle ships none; the `@tensorflow/tfjs` umbrella package bundles them. These are
 * tfjs-core 4.22.0's own gradient configs (dist/gradients/{BatchMatMul,Add,Relu,Sum,RealDiv,
 * Conv2D,MaxPool,FusedBatchNorm,Mean,Sub,Square,Cast,Reshape}_grad.js, Apache-2.0), transcribed
 * unchanged so the peer runs TF.js's real backward pass. Conv2D's and MaxPool's call kernels
 * that tfjs-core does not export as ops (Conv2DBackpropInput, Conv2DBackpropFilter,
 * MaxPoolGrad): they run them through `tf.engine().runKernel`, as those ops do.
 */
import * as tf from "@tensorflow/tfjs-core";

type Saved = tf.Tensor[];
type Attrs = Record<string, unknown>;

/** Runs a registered kernel that tfjs-core exports no op for (as its internal ops do). */
function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: Attrs): tf.Tensor {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}

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
  tf.registerGradient({
    kernelName: tf.Conv2D,
    inputsToSave: ["x", "filter"],
    gradFunc: (dy, saved: Saved, attrs) => {
      const [x4D, filter] = saved;
      const { dilations, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as Attrs & { dilations: number | number[] };
      if (!(typeof dilations === "number" ? dilations === 1 : dilations.every((d) => d === 1))) throw new Error(`Error in gradient of conv2D: dilation rates greater than 1 are not yet supported in gradients. Got dilations '${dilations}'`);
      const g = dy as tf.Tensor;
      return {
        x: () => runKernel(tf.Conv2DBackpropInput, { dy: g, filter }, { strides, pad, dataFormat, dimRoundingMode, inputShape: x4D.shape }),
        filter: () => runKernel(tf.Conv2DBackpropFilter, { x: x4D, dy: g }, { strides, pad, dataFormat, dimRoundingMode, filterShape: filter.shape }),
      };
    },
  });
  tf.registerGradient({
    kernelName: tf.MaxPool,
    inputsToSave: ["x"],
    outputsToSave: [true],
    gradFunc: (dy, saved: Saved, attrs) => {
      const [x, y] = saved;
      const { filterSize, strides, pad } = attrs as unknown as Attrs;
      return { x: () => runKernel(tf.MaxPoolGrad, { dy: dy as tf.Tensor, input: x, output: y }, { filterSize, strides, pad, dimRoundingMode: undefined }) };
    },
  });
  tf.registerGradient({
    kernelName: tf.FusedBatchNorm,
    inputsToSave: ["x", "mean", "variance", "scale"],
    gradFunc: (dy, saved: Saved, attrs) => {
      const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
      const [x, mean, variance, scale] = saved;
      const g = dy as tf.Tensor;
      const scaleValue = scale == null ? tf.scalar(1) : scale;
      const reductionAxes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
      const tileShape: number[] = [];
      if (mean.rank === 1) {
        for (let i = 0; i < x.shape.length - 1; ++i) tileShape.push(x.shape[i]);
        tileShape.push(1);
      }
      const xMinusMean = tf.sub(x, mean);
      const dyTimesScaleValue = tf.mul(g, scaleValue);
      const oneOverSqrtVariance = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
      const minusHalfRCube = tf.mul(tf.mul(tf.mul(oneOverSqrtVariance, oneOverSqrtVariance), oneOverSqrtVariance), tf.scalar(-0.5));
      const reduce = (t: tf.Tensor) => tf.reshape(mean.rank === 1 ? tf.sum(t, reductionAxes) : t, mean.shape);
      return {
        x: () =>
          mean.rank === 1
            ? tf.reshape(tf.mul(tf.mul(g, tf.tile(tf.reshape(oneOverSqrtVariance, [1, 1, 1, mean.shape[0]]), tileShape)), scaleValue), x.shape)
            : tf.reshape(tf.mul(tf.mul(g, oneOverSqrtVariance), scaleValue), x.shape),
        mean: () => reduce(tf.mul(tf.mul(oneOverSqrtVariance, tf.scalar(-1)), dyTimesScaleValue)),
        variance: () => reduce(tf.mul(tf.mul(minusHalfRCube, xMinusMean), dyTimesScaleValue)),
        scale: () => reduce(tf.mul(g, tf.mul(xMinusMean, oneOverSqrtVariance))),
        offset: () => reduce(g),
      };
    },
  });
  tf.registerGradient({
    kernelName: tf.Mean,
    inputsToSave: ["x"],
    gradFunc: (dy, saved: Saved, attrs) => {
      const [x] = saved;
      const axes = tf.util.parseAxisParam((attrs as unknown as { axis: number | number[] }).axis, x.shape);
      const reduceSize = tf.util.sizeFromShape(tf.backend_util.computeOutAndReduceShapes(x.shape, axes)[1]);
      const expandedDyShape = x.shape.slice();
      for (const axis of axes) expandedDyShape[axis] = 1;
      return { x: () => tf.div(tf.mul(tf.reshape(dy as tf.Tensor, expandedDyShape), tf.ones(x.shape, "float32")), reduceSize) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Sub,
    inputsToSave: ["a", "b"],
    gradFunc: (dy, saved: Saved) => {
      const [a, b] = saved;
      const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return { a: () => unbroadcast(dy as tf.Tensor, a.shape, out), b: () => tf.neg(unbroadcast(dy as tf.Tensor, b.shape, out)) };
    },
  });
  tf.registerGradient({
    kernelName: tf.Square,
    inputsToSave: ["x"],
    gradFunc: (dy, saved: Saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.mul(tf.cast(saved[0], "float32"), 2)) }),
  });
  tf.registerGradient({ kernelName: tf.Cast, gradFunc: (dy) => ({ x: () => (dy as tf.Tensor).clone() }) });
  tf.registerGradient({
    kernelName: tf.Reshape,
    inputsToSave: ["x"],
    gradFunc: (dy, saved: Saved) => ({ x: () => tf.reshape(dy as tf.Tensor, saved[0].shape) }),
  });
}
