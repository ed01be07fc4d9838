import { describe, expect, test } from 'vitest';
import torch, { type Tensor } from '../src/index.js';

/**
 * The WebAssembly twins of the float32 elementwise kernels take results of 512 elements and more; shorter
 * ones run the JavaScript loops. Computing a long result whole and in short pieces must give the same bits,
 * special values included.
 */
const specials = [0, -0, 1, -1, 0.1, 3.4e38, -3.4e38, 1e-45, -1e-45, 1.17549435e-38, Infinity, -Infinity, NaN, 16777217, 1 / 3];

function values(n: number, seed: number): Tensor {
  torch.manual_seed(seed);
  const data = torch.randn(n).mul(100).tolist() as number[];
  specials.forEach((special, i) => (data[(i * 37 + seed) % n] = special));
  return torch.tensor(data);
}

const bits = (t: Tensor): number[] => Array.from(new Uint32Array(new Float32Array(t.toTypedArray()).buffer));

function inPieces(n: number, compute: (from: number, to: number) => Tensor): Tensor {
  const pieces: Tensor[] = [];
  for (let from = 0; from < n; from += 100) pieces.push(compute(from, Math.min(n, from + 100)));
  return torch.cat(pieces);
}

describe('float32 elementwise kernels give the same bits in WebAssembly as in JavaScript', () => {
  const n = 1003;
  const x = values(n, 1), y = values(n, 2);
  const piece = (t: Tensor, from: number, to: number): Tensor => t.get(torch.slice(from, to)).contiguous();
  const binary: Record<string, (a: Tensor, b: Tensor | number) => Tensor> = {
    add: (a, b) => a.add(b),
    sub: (a, b) => a.sub(b),
    mul: (a, b) => a.mul(b),
    div: (a, b) => a.div(b),
  };
  for (const [name, op] of Object.entries(binary)) {
    test(`${name}: tensor with tensor, with a float32 scalar, and a scalar with a tensor`, () => {
      expect(bits(op(x, y))).toEqual(bits(inPieces(n, (from, to) => op(piece(x, from, to), piece(y, from, to)))));
      expect(bits(op(x, 0.75))).toEqual(bits(inPieces(n, (from, to) => op(piece(x, from, to), 0.75))));
      const scalar = torch.tensor(-2.5);
      expect(bits(op(scalar, x))).toEqual(bits(inPieces(n, (from, to) => op(scalar, piece(x, from, to)))));
    });
  }

  test('a scalar float32 cannot hold (0.1 as a double) keeps the JavaScript kernel\'s arithmetic', () => {
    expect(bits(x.mul(0.1))).toEqual(bits(inPieces(n, (from, to) => piece(x, from, to).mul(0.1))));
  });

  test('mse_loss backward and nn.Linear(1, 1) forward', () => {
    const grad = (input: Tensor, target: Tensor): Tensor => {
      const leaf = input.detach().requires_grad_();
      torch.nn.functional.mse_loss(leaf, target, { reduction: 'sum' }).backward();
      return leaf.grad!;
    };
    expect(bits(grad(x, y))).toEqual(bits(inPieces(n, (from, to) => grad(piece(x, from, to), piece(y, from, to)))));
    const linear = new torch.nn.Linear(1, 1);
    const column = x.reshape(n, 1);
    torch.no_grad(() => {
      expect(bits(linear(column))).toEqual(bits(inPieces(n, (from, to) => linear(column.get(torch.slice(from, to))))));
    });
  });
});
