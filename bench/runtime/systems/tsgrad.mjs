/** tsgrad's runtime, from the build (dist/src/index.js), written against its PyTorch names. */
import { readFileSync } from "node:fs";

const { torch } = await import(new URL("../../../dist/src/index.js", import.meta.url).href);
const F = torch.nn.functional;

/** A tsgrad tensor from a harness tensor ({shape, dtype, data}). */
function fromInput({ shape, dtype, data }) {
  return torch.tensor(Array.from(data), { dtype: dtype === "int32" ? torch.int64 : torch.float32 }).reshape(shape);
}

const flat = (tensor) => tensor.detach().reshape(-1).tolist();

/** Copies harness tensors into parameters without recording the copy in the graph. */
function load(pairs) {
  torch.no_grad(() => {
    for (const [parameter, input] of pairs) parameter.copy_(fromInput(input));
  });
}

/** The adapter described in ../child.mjs. */
export function createAdapter() {
  const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
  return {
    describe: () => `tsgrad ${version}`,

    scalar({ x: xValue, y: yValue, w: wValue, b: bValue }) {
      const x = torch.tensor(xValue);
      const y = torch.tensor(yValue);
      const w = torch.tensor(wValue, { requires_grad: true });
      const b = torch.tensor(bValue, { requires_grad: true });
      let loss;
      return {
        run() {
          w.grad = null;
          b.grad = null;
          const z = x.mul(w).add(b);
          loss = F.mse_loss(z, y);
          loss.backward();
        },
        check: () => ({ loss: loss.item(), w_grad: w.grad.item(), b_grad: b.grad.item() }),
      };
    },

    matmul(aInput, bInput) {
      const a = fromInput(aInput).requires_grad_();
      const b = fromInput(bInput).requires_grad_();
      let loss;
      return {
        forward: () => torch.no_grad(() => torch.matmul(a, b)),
        backward() {
          a.grad = null;
          b.grad = null;
          loss = torch.matmul(a, b).sum();
          loss.backward();
        },
        check: () => ({ loss: loss.item(), a_grad: flat(a.grad), b_grad: flat(b.grad) }),
      };
    },

    mlp(tensors, { lr }) {
      const [inputs, hidden, outputs] = [tensors.mlp_x.shape[1], tensors.mlp_w1.shape[0], tensors.mlp_w2.shape[0]];
      const first = new torch.nn.Linear(inputs, hidden);
      const second = new torch.nn.Linear(hidden, outputs);
      const model = new torch.nn.Sequential(first, new torch.nn.ReLU(), second);
      const optimizer = new torch.optim.SGD(model.parameters(), { lr });
      const x = fromInput(tensors.mlp_x);
      const labels = fromInput(tensors.mlp_labels);
      const initial = [
        [first.weight, tensors.mlp_w1],
        [first.bias, tensors.mlp_b1],
        [second.weight, tensors.mlp_w2],
        [second.bias, tensors.mlp_b2],
      ];
      load(initial);
      let loss;
      return {
        reset: () => load(initial),
        step() {
          optimizer.zero_grad();
          loss = F.cross_entropy(model(x), labels);
          loss.backward();
          optimizer.step();
        },
        loss: () => loss.item(),
        grads: () => ({ w1: flat(first.weight.grad), b1: flat(first.bias.grad), w2: flat(second.weight.grad), b2: flat(second.bias.grad) }),
      };
    },

    linreg(tensors, { epochs, lr }) {
      const model = new torch.nn.Linear(1, 1);
      const optimizer = new torch.optim.SGD(model.parameters(), { lr });
      const x = fromInput(tensors.linreg_x);
      const y = fromInput(tensors.linreg_y);
      const initial = [
        [model.weight, tensors.linreg_w],
        [model.bias, tensors.linreg_b],
      ];
      let loss;
      return {
        reset: () => load(initial),
        train() {
          for (let epoch = 0; epoch < epochs; epoch++) {
            optimizer.zero_grad();
            loss = F.mse_loss(model(x), y);
            loss.backward();
            optimizer.step();
          }
        },
        loss: () => loss.item(),
        params: () => ({ w: model.weight.item(), b: model.bias.item() }),
      };
    },
  };
}
