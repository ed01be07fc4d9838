import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import torch, { type Tensor } from '../src/index.js';

interface RecordedFill {
  shape: number[];
  dtype: 'float32' | 'float64';
  values: number[];
}

const fills: Record<string, RecordedFill> = JSON.parse(readFileSync(new URL('./fixtures/ops.json', import.meta.url), 'utf8')).random_fills;

describe('random fills of non-contiguous views match PyTorch 1.13', () => {
  const cases: Record<string, () => Tensor> = {
    transposed_normal: () => fillBase(torch.zeros(3, 40), (base) => base.t().normal_()),
    transposed_normal_mean_std: () => fillBase(torch.zeros(5, 8), (base) => base.t().normal_(0.5, 2.0)),
    transposed_uniform: () => fillBase(torch.zeros(3, 40), (base) => base.t().uniform_(-1, 1)),
    transposed_uniform_float64: () => fillBase(torch.zeros(4, 5, { dtype: torch.float64 }), (base) => base.t().uniform_()),
    strided_slice_normal: () => fillBase(torch.zeros(4, 10), (base) => base.get(torch.slice(null), torch.slice(null, null, 2)).normal_()),
    permuted_normal: () => fillBase(torch.zeros(2, 3, 4), (base) => base.permute(2, 0, 1).normal_()),
    column_normal: () => fillBase(torch.zeros(20, 3), (base) => base.select(1, 1).normal_()),
  };

  for (const [key, make] of Object.entries(cases)) {
    test(key, () => {
      const recorded = fills[key]!;
      const base = make();
      expect(base.shape).toEqual(recorded.shape);
      expect(Array.from(base.reshape(-1).toTypedArray())).toEqual(recorded.values);
    });
  }

  test('the view shares its writes with the base and bumps its version', () => {
    const base = torch.zeros(2, 3);
    const view = base.t();
    view.normal_();
    expect(base._version.valueOf()).toBe(1);
    expect(Array.from(view.t().reshape(-1).toTypedArray())).toEqual(Array.from(base.reshape(-1).toTypedArray()));
  });
});

function fillBase(base: Tensor, fill: (base: Tensor) => unknown): Tensor {
  torch.manual_seed(0);
  fill(base);
  return base;
}

interface RecordedSum {
  n: number;
  x: number[];
  sum: number;
  mean: number;
  column_sum: number;
  rows: number[][];
  row_sums: number[];
  row_means: number[];
}

const sums: RecordedSum[] = JSON.parse(readFileSync(new URL('./fixtures/ops.json', import.meta.url), 'utf8')).float32_sums;

describe('float32 sum and mean take PyTorch\'s summation order, bit for bit', () => {
  for (const recorded of sums) {
    test(`${recorded.n} values`, () => {
      const x = torch.tensor(recorded.x);
      expect(x.sum().item()).toBe(recorded.sum);
      expect(x.mean().item()).toBe(recorded.mean);
      expect(x.reshape(recorded.n, 1).sum(0).item()).toBe(recorded.column_sum);
      const rows = torch.tensor(recorded.rows);
      expect(rows.sum(1).tolist()).toEqual(recorded.row_sums);
      expect(rows.mean(-1, true).reshape(-1).tolist()).toEqual(recorded.row_means);
    });
  }
});

interface RecordedSeededSum {
  n: number;
  sum: number;
  mean: number;
  mse_sum: number;
  mse_mean: number;
  row_times_column: number;
  weight_grad: number;
}

const seededSums: RecordedSeededSum[] = JSON.parse(readFileSync(new URL('./fixtures/ops.json', import.meta.url), 'utf8')).float32_seeded_sums;

describe('long float32 sums and one-element products (WebAssembly) match PyTorch 1.13 bit for bit', () => {
  for (const recorded of seededSums) {
    test(`${recorded.n} seeded values`, () => {
      const n = recorded.n;
      torch.manual_seed(n);
      const x = torch.randn(n).mul(1000);
      const y = torch.rand(n);
      expect(x.sum().item()).toBe(recorded.sum);
      expect(x.mean().item()).toBe(recorded.mean);
      expect(torch.nn.functional.mse_loss(x, y, { reduction: 'sum' }).item()).toBe(recorded.mse_sum);
      expect(torch.nn.functional.mse_loss(x, y).item()).toBe(recorded.mse_mean);
      expect(x.reshape(1, n).matmul(y.reshape(n, 1)).item()).toBe(recorded.row_times_column);
      expect(y.reshape(n, 1).t().matmul(x.reshape(n, 1)).item()).toBe(recorded.weight_grad);
    });
  }
});

describe('mse_loss sums its squared differences in the same order as sum() over (x - y) ** 2, bit for bit', () => {
  // The loss computes each rounded square where it is summed; sizes reach every level of the cascade.
  for (const n of [5, 33, 4099, 8193, 70_001, 300_001]) {
    test(`${n} values`, () => {
      torch.manual_seed(n);
      const x = torch.randn(n).mul(1000), y = torch.rand(n);
      const twoPass = x.sub(y).pow(2).sum().item();
      expect(torch.nn.functional.mse_loss(x, y, { reduction: 'sum' }).item()).toBe(twoPass);
      expect(torch.nn.functional.mse_loss(x.get(torch.slice(1, null)), y.get(torch.slice(null, -1)), { reduction: 'sum' }).item())
        .toBe(x.get(torch.slice(1, null)).sub(y.get(torch.slice(null, -1))).pow(2).sum().item());
    });
  }
});

describe('log_softmax over contiguous rows gives the composite\'s float32 bits, forward and backward', () => {
  // A transposed copy is not contiguous, so its forward takes the composite (shift, exp, sum, log, subtract);
  // a backward that builds a graph (create_graph) takes the composite backward.
  for (const [rows, columns] of [[64, 10], [3, 4099], [5, 1]]) {
    test(`${rows}x${columns}`, () => {
      torch.manual_seed(rows * columns);
      const values = torch.randn(rows, columns).mul(20);
      const gradient = torch.randn(rows, columns);
      const x = values.clone().requires_grad_(), strided = values.t().contiguous().t().requires_grad_();
      const y = torch.nn.functional.log_softmax(x, -1), composite = torch.nn.functional.log_softmax(strided, -1);
      expect(y.tolist()).toEqual(composite.tolist());
      const again = values.clone().requires_grad_();
      y.backward(gradient);
      torch.nn.functional.log_softmax(again, -1).backward(gradient, undefined, true);
      expect(x.grad!.tolist()).toEqual(again.grad!.tolist());
    });
  }
});

describe('a product with k = n = 1 (nn.Linear(1, 1)) gives what the general kernel gives', () => {
  // The general kernel computes the first column of a two-column product.
  for (const dtype of [torch.float32, torch.float64]) {
    test(`${dtype}`, () => {
      torch.manual_seed(7);
      const x = torch.cat([torch.randn(997, 1, { dtype }).mul(1e4), torch.zeros(3, 1, { dtype })]);
      const w = torch.tensor([[-0.3]], { dtype }), twoColumns = torch.tensor([[-0.3], [2]], { dtype });
      for (const bias of [torch.tensor([1.25], { dtype }), torch.tensor(0, { dtype })]) {
        const general = torch.addmm(torch.cat([bias.reshape(1), torch.ones(1, { dtype })]), x, twoColumns.t()).get(':', torch.slice(0, 1));
        expect(torch.addmm(bias, x, w.t()).tolist()).toEqual(general.tolist());
      }
      expect(torch.mm(x, w).tolist()).toEqual(torch.mm(x, twoColumns.t()).get(':', torch.slice(0, 1)).tolist());
    });
  }
});
