/** The four tutorial cases of issue 2, written as a PyTorch user writes them, printed exactly as PyTorch prints them. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../src/index.js';

interface Fixture {
  tutorials: {
    scalar: Record<string, string>;
    linear: Record<string, string> & { weight_grad_values: number[]; bias_grad_values: number[] };
    sum: Record<string, string>;
    mean: Record<string, string> & { x_grad_values: number[]; expected_values: number[] };
  };
}

const { tutorials } = JSON.parse(readFileSync(new URL('./fixtures/nn.json', import.meta.url), 'utf8')) as Fixture;

const values = (t: Tensor): number[] => Array.from(t.reshape(-1).toTypedArray());

describe('tutorial cases of issue 2', () => {
  it('z = x*w + b; MSELoss()(z, y).backward() gives w.grad = 80 and b.grad = 16', () => {
    const x = torch.tensor(5);
    const y = torch.tensor(0.);
    const w = torch.tensor(1., { requires_grad: true });
    const b = torch.tensor(3., { requires_grad: true });
    const z = x.mul(w).add(b);
    const loss = torch.nn.MSELoss()(z, y);
    loss.backward();
    expect(String(z)).toBe(tutorials.scalar.z);
    expect(String(loss)).toBe(tutorials.scalar.loss);
    expect(String(w.grad)).toBe('tensor(80.)');
    expect(String(w.grad)).toBe(tutorials.scalar.w_grad);
    expect(String(b.grad)).toBe('tensor(16.)');
    expect(String(b.grad)).toBe(tutorials.scalar.b_grad);
  });

  it('manual_seed(0); a 5 -> 3 linear layer on a 2x5 batch with MSELoss gives PyTorch\'s gradients', () => {
    torch.manual_seed(0);
    const x = torch.randn(2, 5);
    const y = torch.randn(2, 3);
    const linear = torch.nn.Linear(5, 3);
    const pred = linear(x);
    const loss = torch.nn.MSELoss()(pred, y);
    loss.backward();
    const t = tutorials.linear;
    expect(String(x)).toBe(t.x);
    expect(String(y)).toBe(t.y);
    expect(String(linear.weight)).toBe(t.weight);
    expect(String(linear.bias)).toBe(t.bias);
    expect(String(pred)).toBe(t.pred);
    expect(String(loss)).toBe(t.loss);
    expect(String(linear.weight.grad)).toBe(t.weight_grad);
    expect(String(linear.bias!.grad)).toBe(t.bias_grad);
    values(linear.weight.grad!).forEach((g, i) => expect(g).toBeCloseTo(t.weight_grad_values[i], 6));
    values(linear.bias!.grad!).forEach((g, i) => expect(g).toBeCloseTo(t.bias_grad_values[i], 6));
  });

  it('y = x * 3; z = y.sum(); z.backward() gives x.grad = [[3., 3.]]', () => {
    const x = torch.tensor([[2., 3.]], { requires_grad: true });
    const y = x.mul(3);
    const z = y.sum();
    expect(String(y)).toBe(tutorials.sum.y);
    expect(String(z)).toBe('tensor(15., grad_fn=<SumBackward0>)');
    expect(String(z)).toBe(tutorials.sum.z);
    z.backward();
    expect(String(x.grad)).toBe('tensor([[3., 3.]])');
    expect(String(x.grad)).toBe(tutorials.sum.x_grad);
  });

  it('x = randn(10, 1); y = 3x + 2; (x - y).pow(2).mean().backward() gives x.grad = 0.8x + 0.8', () => {
    torch.manual_seed(0);
    const x = torch.randn(10, 1, { requires_grad: true });
    const y = x.mul(3).add(2);
    const loss = x.sub(y).pow(2).mean();
    loss.backward();
    const t = tutorials.mean;
    expect(String(x)).toBe(t.x);
    expect(String(loss)).toBe(t.loss);
    expect(String(x.grad)).toBe(t.x_grad);
    values(x.grad!).forEach((g, i) => {
      expect(g).toBeCloseTo(t.x_grad_values[i], 6);
      expect(g).toBeCloseTo(t.expected_values[i], 5);
    });
  });
});
