import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../src/index.js';
import * as nn from '../src/nn/index.js';
import * as optim from '../src/optim/index.js';
import type { Optimizer } from '../src/optim/index.js';

interface Run {
  losses: number[];
  parameters: Record<string, number[]>;
}

interface Regression {
  losses: number[];
  losses_4: string[];
  weight: number;
  bias: number;
  weight_repr: string;
  bias_repr: string;
  state_dict: { state: Record<string, Record<string, number[] | null>>; param_groups: Record<string, unknown>[] };
}

interface Fixture {
  regressions: Record<string, Regression>;
  optimizer_reprs: Record<string, string>;
  optimizer_steps: Record<string, { start: number[]; grads: number[][]; steps: number[][] }>;
  mlp: Record<string, Run>;
  logistic: Record<string, Run>;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/nn.json', import.meta.url), 'utf8')) as Fixture;

const values = (t: Tensor): number[] => Array.from(t.detach().reshape(-1).toTypedArray());

/** The optimizers of the fixture, keyed by the PyTorch call that made them. */
const OPTIMIZERS: Record<string, (params: Iterable<Tensor>) => Optimizer> = {
  'SGD(lr=0.01)': (p) => optim.SGD(p, { lr: 0.01 }),
  'SGD(lr=0.1)': (p) => optim.SGD(p, { lr: 0.1 }),
  'SGD(lr=0.01, momentum=0.9)': (p) => optim.SGD(p, { lr: 0.01, momentum: 0.9 }),
  'SGD(lr=0.1, momentum=0.9)': (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 }),
  'SGD(lr=0.05, momentum=0.8, dampening=0.1, weight_decay=0.01)': (p) => optim.SGD(p, { lr: 0.05, momentum: 0.8, dampening: 0.1, weight_decay: 0.01 }),
  'SGD(lr=0.05, momentum=0.9, nesterov=True)': (p) => optim.SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true }),
  'SGD(lr=0.01, maximize=True)': (p) => optim.SGD(p, { lr: 0.01, maximize: true }),
  'Adam(lr=0.01)': (p) => optim.Adam(p, { lr: 0.01 }),
  'Adam(lr=0.1)': (p) => new optim.Adam(p, { lr: 0.1 }),
  'Adam(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01)': (p) => optim.Adam(p, { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weight_decay: 0.01 }),
  'Adam(lr=0.1, amsgrad=True)': (p) => optim.Adam(p, { lr: 0.1, amsgrad: true }),
};

/** float32 agreement: the loss sums may round differently from PyTorch's in the last bits, and steps compound it. */
function expectClose(actual: number[], expected: number[], relative = 2e-5, floor = 1e-3): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => {
    const scale = Math.max(Math.abs(expected[i]), floor);
    expect(Math.abs(value - expected[i]) / scale, `element ${i}: ${value} vs ${expected[i]}`).toBeLessThan(relative);
  });
}

function regressionData(): [Tensor, Tensor] {
  torch.manual_seed(42);
  const x = torch.randn(100, 1);
  const y = x.mul(3).add(2).add(torch.randn(100, 1).mul(0.1));
  return [x, y];
}

describe('the update arithmetic is PyTorch\'s, bit for bit, given the same gradients', () => {
  for (const [name, expected] of Object.entries(fixture.optimizer_steps)) {
    it(name, () => {
      const param = nn.Parameter(torch.tensor(expected.start, { dtype: torch.float32 }));
      const optimizer = OPTIMIZERS[name]([param]);
      expected.grads.forEach((grad, step) => {
        param.grad = torch.tensor(grad, { dtype: torch.float32 });
        optimizer.step();
        expect(values(param), `step ${step}`).toEqual(expected.steps[step]);
      });
    });
  }
});

describe('linear regression with nn.Linear(1, 1) and MSELoss, 100 epochs, matches PyTorch bit for bit', () => {
  for (const [name, expected] of Object.entries(fixture.regressions)) {
    it(name, () => {
      const [x, y] = regressionData();
      const model = nn.Linear(1, 1);
      const criterion = nn.MSELoss();
      const optimizer = OPTIMIZERS[name](model.parameters());
      const losses: number[] = [];
      for (let epoch = 0; epoch < 100; epoch++) {
        const loss = criterion(model(x), y);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        losses.push(loss.item() as number);
      }
      // Same float32 summation orders as PyTorch's CPU kernels (cascade sum, generic gemm): bit-exact epochs.
      expect(losses).toEqual(expected.losses);
      expect(losses.map((loss) => loss.toFixed(4))).toEqual(expected.losses_4);
      expect([model.weight.item(), model.bias!.item()]).toEqual([expected.weight, expected.bias]);
      expect(String(model.weight)).toBe(expected.weight_repr);
      expect(String(model.bias)).toBe(expected.bias_repr);

      const state = optimizer.state_dict();
      const groups = state.param_groups.map((group) => ({ ...group }));
      expect(groups).toEqual(expected.state_dict.param_groups);
      const packed = Object.fromEntries(Object.entries(state.state).map(([index, entry]) => [
        index, Object.fromEntries(Object.entries(entry).map(([key, tensor]) => [key, tensor === null ? null : values(tensor)])),
      ]));
      expect(Object.keys(packed)).toEqual(Object.keys(expected.state_dict.state));
      for (const [index, entry] of Object.entries(expected.state_dict.state)) {
        expect(Object.keys(packed[index])).toEqual(Object.keys(entry));
        for (const [key, expectedValues] of Object.entries(entry)) {
          if (expectedValues === null) expect(packed[index][key]).toBeNull();
          else expect(packed[index][key]!).toEqual(expectedValues);
        }
      }
    });
  }
});

describe('classification runs match PyTorch step by step', () => {
  for (const [name, expected] of Object.entries(fixture.mlp)) {
    it(`Sequential(Linear(4, 8), ReLU(), Linear(8, 3)) + CrossEntropyLoss, ${name}`, () => {
      torch.manual_seed(0);
      const x = torch.randn(20, 4);
      const labels = torch.randint(0, 3, [20]);
      const model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3));
      const optimizer = OPTIMIZERS[name](model.parameters());
      const criterion = nn.CrossEntropyLoss();
      const losses: number[] = [];
      for (let step = 0; step < 10; step++) {
        optimizer.zero_grad();
        const loss = criterion(model(x), labels);
        loss.backward();
        optimizer.step();
        losses.push(loss.item() as number);
      }
      expectClose(losses, expected.losses);
      for (const [key, tensor] of model.state_dict()) expectClose(values(tensor), expected.parameters[key], 1e-4);
    });
  }

  for (const [name, expected] of Object.entries(fixture.logistic)) {
    it(`Linear(3, 1) + ${name}, SGD(lr=0.5)`, () => {
      torch.manual_seed(1);
      const x = torch.randn(16, 3);
      const y = torch.randn(16, 1).gt(0).float();
      const withLogits = name === 'BCEWithLogitsLoss';
      const model = nn.Sequential(nn.Linear(3, 1), withLogits ? nn.Identity() : nn.Sigmoid());
      const criterion = withLogits ? nn.BCEWithLogitsLoss() : nn.BCELoss();
      const optimizer = optim.SGD(model.parameters(), { lr: 0.5 });
      const losses: number[] = [];
      for (let step = 0; step < 10; step++) {
        optimizer.zero_grad();
        const loss = criterion(model(x), y);
        loss.backward();
        optimizer.step();
        losses.push(loss.item() as number);
      }
      expectClose(losses, expected.losses);
      for (const [key, tensor] of model.state_dict()) expectClose(values(tensor), expected.parameters[key], 1e-4);
    });
  }
});

describe('optimizer mechanics', () => {
  function errorOf(fn: () => unknown): Error {
    try {
      fn();
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected an error');
  }

  it('one SGD step is p - lr * grad, exactly in float32', () => {
    const p = nn.Parameter(torch.tensor([1, 2, 3], { dtype: torch.float32 }));
    const optimizer = optim.SGD([p], { lr: 0.1 });
    p.mul(p).sum().backward();
    optimizer.step();
    expect(values(p)).toEqual([1, 2, 3].map((v) => Math.fround(v - Math.fround(0.1) * 2 * v)));
    expect(p.requires_grad).toBe(true);
    expect(p.is_leaf).toBe(true);
  });

  it('skips parameters without gradients and creates no state for them', () => {
    const a = nn.Parameter(torch.ones(2));
    const b = nn.Parameter(torch.ones(2));
    const optimizer = optim.Adam([a, b]);
    a.sum().backward();
    optimizer.step();
    expect(values(b)).toEqual([1, 1]);
    expect(optimizer.state.has(a)).toBe(true);
    expect(optimizer.state.has(b)).toBe(false);
  });

  it('zero_grad sets gradients to None by default, or zeroes them', () => {
    const p = nn.Parameter(torch.ones(2));
    const optimizer = optim.SGD([p], { lr: 0.1 });
    p.sum().backward();
    optimizer.zero_grad({ set_to_none: false });
    expect(values(p.grad!)).toEqual([0, 0]);
    optimizer.zero_grad();
    expect(p.grad).toBeNull();
  });

  it('param groups take their own hyperparameters, and lr can be changed between steps', () => {
    const a = nn.Parameter(torch.ones(1));
    const b = nn.Parameter(torch.ones(1));
    const optimizer = optim.SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.5 });
    a.add(b).sum().backward();
    optimizer.step();
    expect([a.item(), b.item()]).toEqual([0.5, 0]);
    optimizer.param_groups[0].lr = 0.25;
    optimizer.step();
    expect(a.item()).toBe(0.25);
  });

  it('step(closure) re-evaluates the loss and returns it', () => {
    const p = nn.Parameter(torch.tensor([3], { dtype: torch.float32 }));
    const optimizer = optim.SGD([p], { lr: 0.25 });
    const loss = optimizer.step(() => {
      optimizer.zero_grad();
      const value = p.pow(2).sum();
      value.backward();
      return value;
    });
    expect(loss!.item()).toBe(9);
    expect(p.item()).toBe(1.5);
  });

  it('prints as PyTorch prints optimizers', () => {
    const [a, b] = [nn.Parameter(torch.ones(1)), nn.Parameter(torch.ones(1))];
    const reprs = fixture.optimizer_reprs;
    expect(String(optim.SGD([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.5, momentum: 0.9 })))
      .toBe(reprs['SGD([{params: [a]}, {params: [b], lr: 1}], lr=0.5, momentum=0.9)']);
    expect(String(optim.Adam([a]))).toBe(reprs['Adam([a])']);
    expect(String(optim.Adam([a], { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weight_decay: 0.01, amsgrad: true })))
      .toBe(reprs['Adam([a], lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01, amsgrad=True)']);
  });

  it('raises PyTorch\'s errors for bad arguments', () => {
    expect(errorOf(() => optim.SGD([], { lr: 0.1 })).message).toBe('optimizer got an empty parameter list');
    expect(errorOf(() => optim.SGD([nn.Parameter(torch.ones(1))])).message).toBe(
      "parameter group didn't specify a value of required optimization parameter lr",
    );
    expect(errorOf(() => optim.SGD([nn.Parameter(torch.ones(1))], { lr: -1 })).message).toBe('Invalid learning rate: -1');
    expect(errorOf(() => optim.SGD([nn.Parameter(torch.ones(1))], { lr: 0.1, nesterov: true })).message).toBe(
      'Nesterov momentum requires a momentum and zero dampening',
    );
    expect(errorOf(() => optim.Adam([nn.Parameter(torch.ones(1))], { betas: [1, 0.9] })).message).toBe('Invalid beta parameter at index 0: 1');
    const error = errorOf(() => optim.SGD(nn.Parameter(torch.ones(1)) as unknown as Tensor[], { lr: 0.1 }));
    expect(error.name).toBe('TypeError');
    expect(error.message).toBe('params argument given to the optimizer should be an iterable of Tensors or dicts, but got torch.FloatTensor');
  });

  it('load_state_dict restores the momentum so training continues identically', () => {
    const make = (): [Tensor, Optimizer] => {
      const p = nn.Parameter(torch.tensor([1, -2], { dtype: torch.float32 }));
      return [p, optim.SGD([p], { lr: 0.1, momentum: 0.9 })];
    };
    const step = (p: Tensor, optimizer: Optimizer): void => {
      optimizer.zero_grad();
      p.pow(2).sum().backward();
      optimizer.step();
    };
    const [p, optimizer] = make();
    step(p, optimizer);
    const [q, restored] = make();
    torch.no_grad(() => q.copy_(p));
    restored.load_state_dict(optimizer.state_dict());
    step(p, optimizer);
    step(q, restored);
    expect(values(q)).toEqual(values(p));
  });

  it('a step between forward and backward is an in-place change that backward detects, as in PyTorch', () => {
    const layer = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1));
    const optimizer = optim.SGD(layer.parameters(), { lr: 0.1 });
    layer(torch.ones(3, 2)).sum().backward();
    const loss = layer(torch.ones(3, 2)).pow(2).sum();
    optimizer.step();
    const error = errorOf(() => loss.backward());
    expect(error.name).toBe('RuntimeError');
    expect(error.message).toContain('one of the variables needed for gradient computation has been modified by an inplace operation');
  });

  it('updates float64 parameters in float64', () => {
    const p = nn.Parameter(torch.tensor([0.1], { dtype: torch.float64 }));
    const optimizer = optim.SGD([p], { lr: 0.1 });
    p.sum().backward();
    optimizer.step();
    expect(p.item()).toBe(0.1 - 0.1);
  });
});
