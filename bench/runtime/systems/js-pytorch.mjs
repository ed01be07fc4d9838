/**
 * js-pytorch: tensors over nested JavaScript arrays. It has no SGD (only Adam), its nn.MSELoss divides by the
 * batch size twice and its nn.ReLU is a leaky ReLU (slope 1e-3), so this adapter builds the SGD update, the mean
 * squared error and ReLU from its own parts.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { torch } from "js-pytorch";

const require = createRequire(import.meta.url);

/** A nested array of the given shape from a flat row-major array. */
function nest(data, shape) {
  if (shape.length === 1) return Array.from(data);
  const stride = data.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(data.subarray(i * stride, (i + 1) * stride), shape.slice(1)));
}

/** A nested array of the transposed 2-d row-major array: PyTorch's [out, in] weights are js-pytorch's [in, out]. */
const transposed = ({ shape: [rows, columns], data }) => Array.from({ length: columns }, (_, j) => Array.from({ length: rows }, (_, i) => data[i * columns + j]));

const transpose = (nested) => nested[0].map((_, j) => nested.map((row) => row[j]));

const fromInput = ({ shape, data }, requiresGrad = false) => torch.tensor(nest(data, shape), requiresGrad);

const mse = (prediction, target) => prediction.sub(target).pow(2).mean(0);

const relu = (z) => z.masked_fill(z, (value) => value <= 0, 0);

/** In-place `parameter -= lr * grad` on the nested arrays, outside the graph. */
function sgdUpdate(parameters, lr) {
  const update = (values, grads) => values.map((value, i) => (Array.isArray(value) ? update(value, grads[i]) : value - lr * grads[i]));
  for (const parameter of parameters) parameter._data = update(parameter._data, parameter.grad);
}

/** The adapter described in ../child.mjs. */
export function createAdapter() {
  // The package's exports hide package.json; it sits above the entry point's dist/.
  const manifest = path.join(path.dirname(require.resolve("js-pytorch")), "..", "package.json");
  const { version } = JSON.parse(readFileSync(manifest, "utf8"));
  return {
    describe: () => `js-pytorch ${version}`,

    scalar({ x: xValue, y: yValue, w: wValue, b: bValue }) {
      const [x, y] = [torch.tensor(xValue), torch.tensor(yValue)];
      const [w, b] = [torch.tensor(wValue, true), torch.tensor(bValue, true)];
      let loss;
      return {
        run() {
          w.zero_grad();
          b.zero_grad();
          loss = mse(x.mul(w).add(b), y);
          loss.backward();
        },
        check: () => ({ loss: loss.data[0], w_grad: w.grad[0], b_grad: b.grad[0] }),
      };
    },

    matmul(aInput, bInput) {
      const [a, b] = [fromInput(aInput, true), fromInput(bInput, true)];
      const [aPlain, bPlain] = [fromInput(aInput), fromInput(bInput)];
      let loss;
      return {
        forward: () => aPlain.matmul(bPlain),
        backward() {
          a.zero_grad();
          b.zero_grad();
          loss = a.matmul(b).sum(-1).sum(-1);
          loss.backward();
        },
        check: () => ({ loss: loss.data[0], a_grad: a.grad.flat(), b_grad: b.grad.flat() }),
      };
    },

    mlp(tensors, { lr }) {
      const [inputs, hidden, outputs] = [tensors.mlp_x.shape[1], tensors.mlp_w1.shape[0], tensors.mlp_w2.shape[0]];
      const [first, second] = [new torch.nn.Linear(inputs, hidden), new torch.nn.Linear(hidden, outputs)];
      const criterion = new torch.nn.CrossEntropyLoss();
      const x = fromInput(tensors.mlp_x);
      const labels = torch.tensor(Array.from(tensors.mlp_labels.data));
      const parameters = [first.W, first.b, second.W, second.b];
      let loss;
      const reset = () => {
        first.W._data = transposed(tensors.mlp_w1);
        first.b._data = Array.from(tensors.mlp_b1.data);
        second.W._data = transposed(tensors.mlp_w2);
        second.b._data = Array.from(tensors.mlp_b2.data);
      };
      reset();
      return {
        reset,
        step() {
          parameters.forEach((parameter) => parameter.zero_grad());
          loss = criterion.forward(second.forward(relu(first.forward(x))), labels);
          loss.backward();
          sgdUpdate(parameters, lr);
        },
        loss: () => loss.data[0],
        grads: () => ({ w1: transpose(first.W.grad).flat(), b1: first.b.grad, w2: transpose(second.W.grad).flat(), b2: second.b.grad }),
      };
    },

    linreg(tensors, { epochs, lr }) {
      const model = new torch.nn.Linear(1, 1);
      const [x, y] = [fromInput(tensors.linreg_x), fromInput(tensors.linreg_y)];
      const parameters = [model.W, model.b];
      let loss;
      return {
        reset() {
          model.W._data = transposed(tensors.linreg_w);
          model.b._data = Array.from(tensors.linreg_b.data);
        },
        train() {
          for (let epoch = 0; epoch < epochs; epoch++) {
            parameters.forEach((parameter) => parameter.zero_grad());
            loss = mse(model.forward(x), y);
            loss.backward();
            sgdUpdate(parameters, lr);
          }
        },
        loss: () => loss.data[0],
        params: () => ({ w: model.W.data[0][0], b: model.b.data[0] }),
      };
    },
  };
}
