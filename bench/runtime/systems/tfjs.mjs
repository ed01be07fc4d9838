/** TensorFlow.js on its CPU backend (plain JavaScript) or its WebAssembly backend (XNNPACK, SIMD). */
import path from "node:path";
import { createRequire } from "node:module";
// The union package, not tfjs-core alone: only its bundles register the gradients for Node.
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";

const require = createRequire(import.meta.url);

const fromInput = ({ shape, dtype, data }) => tf.tensor(data, shape, dtype);
const flat = (tensor) => tensor.dataSync();

/** Gradients in a form the harness reads (flat), keeping the named order of `variables`. */
const namedGrads = (names, grads) => Object.fromEntries(names.map((name) => [name, flat(grads[name])]));

/** Trains `variables` with SGD on `lossOf()`; keeps the last loss and gradients for checks. */
function sgdTrainer(variables, lossOf, lr) {
  const optimizer = tf.train.sgd(lr);
  const varList = Object.values(variables);
  const nameOf = new Map(Object.entries(variables).map(([name, variable]) => [variable.name, name]));
  let last = null;
  return {
    step() {
      if (last) tf.dispose([last.value, ...Object.values(last.grads)]);
      const { value, grads } = tf.variableGrads(lossOf, varList);
      optimizer.applyGradients(grads);
      last = { value, grads: Object.fromEntries(Object.entries(grads).map(([name, grad]) => [nameOf.get(name), grad])) };
    },
    loss: () => last.value.dataSync()[0],
    grads: () => namedGrads(Object.keys(variables), last.grads),
  };
}

/** The adapter described in ../child.mjs; `backend` is "cpu" or "wasm". */
export async function createAdapter(backend) {
  // Production mode, as a deployed model would run: no warnings (such as the banner advertising tfjs-node).
  tf.enableProdMode();
  if (backend === "wasm") setWasmPaths(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm")) + path.sep);
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not start`);
  const simd = backend === "wasm" && tf.env().getBool("WASM_HAS_SIMD_SUPPORT") ? ", SIMD" : "";
  return {
    describe: () => `tfjs ${tf.version.tfjs} (${backend}${simd})`,

    scalar({ x: xValue, y: yValue, w: wValue, b: bValue }) {
      const [x, y, w, b] = [xValue, yValue, wValue, bValue].map((value) => tf.scalar(value));
      // tfjs has no .grad to zero: each call builds a fresh tape and returns fresh gradients.
      const lossAndGrads = tf.valueAndGrads((w, b) => tf.losses.meanSquaredError(y, tf.add(tf.mul(x, w), b)));
      return {
        run: () => tf.tidy(() => void lossAndGrads([w, b])),
        check: () =>
          tf.tidy(() => {
            const { value, grads } = lossAndGrads([w, b]);
            return { loss: value.dataSync()[0], w_grad: grads[0].dataSync()[0], b_grad: grads[1].dataSync()[0] };
          }),
      };
    },

    matmul(aInput, bInput) {
      const [a, b] = [fromInput(aInput), fromInput(bInput)];
      const lossAndGrads = tf.valueAndGrads((a, b) => tf.sum(tf.matMul(a, b)));
      return {
        forward: () => tf.matMul(a, b).dispose(),
        backward: () => tf.tidy(() => void lossAndGrads([a, b])),
        check: () =>
          tf.tidy(() => {
            const { value, grads } = lossAndGrads([a, b]);
            return { loss: value.dataSync()[0], a_grad: flat(grads[0]), b_grad: flat(grads[1]) };
          }),
      };
    },

    mlp(tensors, { lr, sizes }) {
      const x = fromInput(tensors.mlp_x);
      const targets = tf.oneHot(fromInput(tensors.mlp_labels), sizes[2]);
      const initial = { w1: tensors.mlp_w1, b1: tensors.mlp_b1, w2: tensors.mlp_w2, b2: tensors.mlp_b2 };
      const variables = Object.fromEntries(Object.entries(initial).map(([name, input]) => [name, tf.variable(fromInput(input))]));
      const { w1, b1, w2, b2 } = variables;
      const linear = (input, weight, bias) => tf.add(tf.matMul(input, weight, false, true), bias);
      const logits = () => linear(tf.relu(linear(x, w1, b1)), w2, b2);
      const trainer = sgdTrainer(variables, () => tf.losses.softmaxCrossEntropy(targets, logits()), lr);
      return {
        reset: () => tf.tidy(() => Object.entries(initial).forEach(([name, input]) => variables[name].assign(fromInput(input)))),
        step: trainer.step,
        loss: trainer.loss,
        grads: trainer.grads,
      };
    },

    linreg(tensors, { epochs, lr }) {
      const [x, y] = [fromInput(tensors.linreg_x), fromInput(tensors.linreg_y)];
      const variables = { w: tf.variable(fromInput(tensors.linreg_w)), b: tf.variable(fromInput(tensors.linreg_b)) };
      const trainer = sgdTrainer(variables, () => tf.losses.meanSquaredError(y, tf.add(tf.matMul(x, variables.w, false, true), variables.b)), lr);
      return {
        reset: () =>
          tf.tidy(() => {
            variables.w.assign(fromInput(tensors.linreg_w));
            variables.b.assign(fromInput(tensors.linreg_b));
          }),
        train() {
          for (let epoch = 0; epoch < epochs; epoch++) trainer.step();
        },
        loss: trainer.loss,
        params: () => ({ w: variables.w.dataSync()[0], b: variables.b.dataSync()[0] }),
      };
    },
  };
}
