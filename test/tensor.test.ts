import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import torch, { Tensor } from '../src/index.js';
import type { DType } from '../src/dtype.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/ops.json', import.meta.url), 'utf8'));
const F = torch.nn.functional;
const dtypes: Record<string, DType> = { float32: torch.float32, float64: torch.float64, int64: torch.int64, bool: torch.bool };

describe('tutorial cases', () => {
  const t = fixture.tutorials;

  test('1: scalar linear model with an int64 input', () => {
    const x = torch.tensor(5);
    const y = torch.tensor(new Number(0) as number);
    const w = torch.tensor(1, { requires_grad: true });
    const b = torch.tensor(3, { requires_grad: true });
    const z = x.mul(w).add(b);
    const loss = F.mse_loss(z, y);
    loss.backward();
    expect(String(x)).toBe(t.t1.x);
    expect(String(y)).toBe(t.t1.y);
    expect(String(z)).toBe(t.t1.z);
    expect(String(loss)).toBe(t.t1.loss);
    expect(String(w.grad)).toBe(t.t1.w_grad);
    expect(String(b.grad)).toBe(t.t1.b_grad);
  });

  test('2: seeded randn weights, matmul, mse', () => {
    torch.manual_seed(0);
    const x = torch.ones(2, 5);
    const y = torch.zeros(2, 3);
    const w = torch.randn(5, 3, { requires_grad: true });
    const b = torch.randn(3, { requires_grad: true });
    const z = torch.matmul(x, w).add(b);
    const loss = F.mse_loss(z, y);
    loss.backward();
    expect(String(w)).toBe(t.t2.w);
    expect(String(b)).toBe(t.t2.b);
    expect(String(z)).toBe(t.t2.z);
    expect(String(loss)).toBe(t.t2.loss);
    expect(String(w.grad)).toBe(t.t2.w_grad);
    expect(String(b.grad)).toBe(t.t2.b_grad);
    expect(z.grad_fn!.name()).toBe(t.t2.z_grad_fn);
    expect(loss.grad_fn!.name()).toBe(t.t2.loss_grad_fn);
  });

  test('3: y = x * 3, z = y.sum()', () => {
    const x = torch.tensor([[2, 3]], { requires_grad: true });
    const y = x.mul(3);
    const z = y.sum();
    z.backward();
    expect(String(x)).toBe(t.t3.x);
    expect(String(y)).toBe(t.t3.y);
    expect(String(z)).toBe(t.t3.z);
    expect(String(x.grad)).toBe(t.t3.x_grad);
    expect(y.grad_fn!.name()).toBe(t.t3.y_grad_fn);
  });

  test('4: loss = (x - (3x + 2))^2 mean, grad = 0.8x + 0.8', () => {
    torch.manual_seed(0);
    const x = torch.randn(10, 1, { requires_grad: true });
    const y = x.rmul(3).add(2);
    const loss = x.sub(y).pow(2).mean();
    loss.backward();
    expect(Array.from(x.detach().toTypedArray())).toEqual(t.t4.x.map(Math.fround));
    expect(String(loss)).toBe(t.t4.loss);
    const grad = Array.from(x.grad!.toTypedArray());
    grad.forEach((g, i) => {
      expect(g).toBeCloseTo(t.t4.x_grad[i], 5);
      expect(g).toBeCloseTo(0.8 * t.t4.x[i] + 0.8, 5);
    });
    expect(String(x.grad)).toBe(t.t4.x_grad_repr);
  });
});

describe('reprs', () => {
  const r = fixture.reprs;
  const a = (): Tensor => torch.tensor([[1, 2], [3, 4]], { requires_grad: true });
  const cases: Record<string, () => unknown> = {
    leaf: a,
    mul: () => a().mul(2),
    int: () => torch.tensor(5),
    int_list: () => torch.tensor([1, 2, 3]),
    bool: () => torch.tensor([1.5, 2.5]).sub(0.5).gt(1.5),
    double: () => torch.tensor([1.5, 2.5], { dtype: torch.float64 }),
    sum: () => a().sum(),
    max_dim: () => a().max(1),
    arange: () => torch.arange(5),
    arange_float: () => torch.arange(0, 1, 0.25),
    linspace: () => torch.linspace(0, 1, 7),
    eye: () => torch.eye(2, 3),
    full: () => torch.full([2, 2], 7),
    full_float: () => torch.full([2], 0.5),
    zeros_int: () => torch.zeros(2, { dtype: torch.int64 }),
    size: () => torch.zeros(2, 5).shape,
    dtype: () => torch.float32,
    randn_seed0: () => (torch.manual_seed(0), torch.randn(2, 3)),
    empty: () => torch.zeros(0),
    detach: () => a().mul(2).detach(),
    nested_bool: () => torch.tensor([[true, false]]),
    div_int: () => torch.tensor([1, 2]).div(2),
    copy_slices: () => a().mul(1).set([0, 1], 0),
    mean_of_int_as_float: () => torch.tensor([1, 2]).float().mean(),
  };
  for (const [key, make] of Object.entries(cases)) {
    test(key, () => {
      const value = make();
      expect(String(value)).toBe(r[key]);
      expect(inspect(value)).toBe(r[key]);
    });
  }
  test('bool from comparison of [1., 2.] > 1.5', () => {
    expect(String(torch.tensor([1.5, 2.5]).sub(0.5).gt(1.5))).toBe(r.bool);
  });
});

describe('type promotion', () => {
  function operand(spec: { kind: string; dtype: string; value: number | boolean }): Tensor | number | boolean {
    if (spec.kind === 'scalar') return spec.dtype === 'float64' ? spec.value : spec.value;
    const values = spec.kind === 'zerodim' ? spec.value : [spec.value, spec.value];
    return torch.tensor(values as number, { dtype: dtypes[spec.dtype] });
  }
  for (const row of fixture.promotion) {
    test(`${row.a.kind} ${row.a.dtype} with ${row.b.kind} ${row.b.dtype}`, () => {
      const a = operand(row.a) as Tensor;
      const b = operand(row.b);
      for (const op of ['add', 'mul', 'div'] as const) {
        if (row[op] === 'error') {
          expect(() => a[op](b as Tensor)).toThrow();
        } else {
          expect(a[op](b as Tensor).dtype.name, op).toBe(row[op]);
        }
      }
    });
  }
});

describe('tensor basics', () => {
  test('shape is a torch.Size behaving like an array', () => {
    const t = torch.zeros([2, 5]);
    expect(String(t.shape)).toBe('torch.Size([2, 5])');
    expect(t.shape[0]).toBe(2);
    expect([...t.shape]).toEqual([2, 5]);
    expect(t.shape.length).toBe(2);
    expect(t.size(1)).toBe(5);
    expect(t.size(-1)).toBe(5);
    expect(t.ndim).toBe(2);
    expect(t.dim()).toBe(2);
    expect(t.numel()).toBe(10);
    expect(t.shape.map((d) => d * 2)).toEqual([4, 10]);
  });

  test('views share storage and version counter; .data shares storage only', () => {
    const base = torch.arange(6, { dtype: torch.float32 }).view(2, 3);
    const view = base.t();
    expect(view.is_contiguous()).toBe(false);
    view.get(0).fill_(9);
    expect(base.tolist()).toEqual([[9, 1, 2], [9, 4, 5]]);
    expect(base._version.value).toBe(1);
    const data = base.data;
    data.add_(1);
    expect(base.tolist()).toEqual([[10, 2, 3], [10, 5, 6]]);
    expect(base._version.value).toBe(1);
    const detached = base.detach();
    detached.mul_(2);
    expect(base._version.value).toBe(2);
  });

  test('item, tolist, conversions, contiguous', () => {
    expect(torch.tensor(2.5).item()).toBe(2.5);
    expect(torch.tensor(true).item()).toBe(true);
    expect(torch.tensor([[1, 2], [3, 4]]).t().tolist()).toEqual([[1, 3], [2, 4]]);
    const x = torch.tensor([1.7, -1.7]);
    expect(x.long().tolist()).toEqual([1, -1]);
    expect(x.bool().tolist()).toEqual([true, true]);
    expect(x.double().dtype).toBe(torch.float64);
    expect(x.to(torch.float64).dtype).toBe(torch.float64);
    expect(x.to({ dtype: torch.int64 }).dtype).toBe(torch.int64);
    expect(x.float()).toBe(x);
    const nc = torch.arange(6).view(2, 3).t();
    expect(nc.contiguous().is_contiguous()).toBe(true);
    expect(nc.contiguous().tolist()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(torch.float32.toString()).toBe('torch.float32');
    expect(x.device).toBe('cpu');
  });

  test('dtype inference of torch.tensor', () => {
    expect(torch.tensor(5).dtype).toBe(torch.int64);
    expect(torch.tensor(0.5).dtype).toBe(torch.float32);
    expect(torch.tensor([1, 2.5]).dtype).toBe(torch.float32);
    expect(torch.tensor([true, false]).dtype).toBe(torch.bool);
    expect(torch.tensor(new Float64Array([1, 2])).dtype).toBe(torch.float64);
    expect(torch.tensor(new Number(1) as number).dtype).toBe(torch.float32);
    expect(torch.tensor(1, { requires_grad: true }).dtype).toBe(torch.float32);
    expect(torch.tensor([[1, 2], [3, 4]]).shape).toEqual(torch.Size.of_([2, 2]));
    expect(() => torch.tensor([[1, 2], [3]])).toThrow('expected sequence of length 2 at dim 1 (got 1)');
  });

  test('creation functions', () => {
    expect(torch.zeros(2, 3).shape.length).toBe(2);
    expect(torch.ones([2]).tolist()).toEqual([1, 1]);
    expect(torch.full([2], 3).dtype).toBe(torch.int64);
    expect(torch.arange(1, 4).tolist()).toEqual([1, 2, 3]);
    expect(torch.eye(2).tolist()).toEqual([[1, 0], [0, 1]]);
    expect(torch.zeros_like(torch.ones(2, 2, { dtype: torch.float64 })).dtype).toBe(torch.float64);
    expect(torch.randn(5, 3, { requires_grad: true }).requires_grad).toBe(true);
    torch.manual_seed(3);
    const perm = torch.randperm(6).tolist() as number[];
    expect([...perm].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const ints = torch.randint(0, 10, [100]).tolist() as number[];
    expect(ints.every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
    const u = torch.rand(100).tolist() as number[];
    expect(u.every((v) => v >= 0 && v < 1)).toBe(true);
    const shared = new Float32Array([1, 2, 3]);
    const fromArray = torch.from_numpy(shared);
    fromArray.mul_(2);
    expect(Array.from(shared)).toEqual([2, 4, 6]);
  });

  test('max/min along a dim destructure like a namedtuple', () => {
    const t = torch.tensor([[1, 5, 2], [7, 0, 3]]);
    const [values, indices] = t.max(1);
    expect(values.tolist()).toEqual([5, 7]);
    expect(indices.tolist()).toEqual([1, 0]);
    expect(t.min({ dim: 0 }).indices.tolist()).toEqual([0, 1, 0]);
    expect(t.argmax().item()).toBe(3);
    expect(t.argmin(1).tolist()).toEqual([0, 1]);
    expect(t.max(torch.tensor([4, 4, 4])).tolist()).toEqual([[4, 5, 4], [7, 4, 4]]);
  });

  test('indexing with get and set', () => {
    const t = torch.arange(12).view(3, 4);
    expect(t.get(1).tolist()).toEqual([4, 5, 6, 7]);
    expect(t.get(':', 1).tolist()).toEqual([1, 5, 9]);
    expect(t.get('1:', '::2').tolist()).toEqual([[4, 6], [8, 10]]);
    expect(t.get('...', -1).tolist()).toEqual([3, 7, 11]);
    expect(t.get(null).shape.length).toBe(3);
    expect(t.get([2, 0]).tolist()).toEqual([[8, 9, 10, 11], [0, 1, 2, 3]]);
    expect(t.get(t.gt(9)).tolist()).toEqual([10, 11]);
    t.set([0, ':'], 0);
    expect(t.get(0).tolist()).toEqual([0, 0, 0, 0]);
    t.set(2, torch.tensor([1, 2, 3, 4]));
    expect(t.get(2).tolist()).toEqual([1, 2, 3, 4]);
    const rows = [...torch.arange(4).view(2, 2)].map((row) => row.tolist());
    expect(rows).toEqual([[0, 1], [2, 3]]);
  });

  test('comparisons give bool tensors', () => {
    const a = torch.tensor([1, 2, 3]);
    expect(a.eq(2).tolist()).toEqual([false, true, false]);
    expect(a.ne(2).dtype).toBe(torch.bool);
    expect(a.lt(2).tolist()).toEqual([true, false, false]);
    expect(a.le(2).tolist()).toEqual([true, true, false]);
    expect(a.gt(torch.tensor([0, 5, 1])).tolist()).toEqual([true, false, true]);
    expect(a.ge(3).tolist()).toEqual([false, false, true]);
    expect(a.equal(torch.tensor([1, 2, 3]))).toBe(true);
    const mask = a.gt(1);
    expect(mask.logical_not().tolist()).toEqual([true, false, false]);
    expect(mask.logical_and(a.lt(3)).tolist()).toEqual([false, true, false]);
    expect(mask.logical_or(a.lt(2)).tolist()).toEqual([true, true, true]);
    expect(String(mask.any())).toBe('tensor(True)');
    expect(String(mask.all())).toBe('tensor(False)');
    expect(torch.tensor([[0, 1], [2, 3]]).all(1).tolist()).toEqual([false, true]);
  });

  test('in-place ops bump versions and keep dtype', () => {
    const t = torch.zeros(3);
    t.add_(1).mul_(4).sub_(1).div_(3);
    expect(t.tolist()).toEqual([1, 1, 1]);
    t.clamp_({ max: 0.5 });
    expect(t.tolist()).toEqual([0.5, 0.5, 0.5]);
    t.copy_(torch.tensor([1, 2, 3]));
    expect(t.tolist()).toEqual([1, 2, 3]);
    t.zero_();
    expect(t.tolist()).toEqual([0, 0, 0]);
    expect(t._version.value).toBe(7);
  });

  test('Jupyter display bundle carries the repr', () => {
    const t = torch.tensor([1.5]);
    const bundle = (t as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for('Jupyter.display')]();
    expect(bundle['text/plain']).toBe('tensor([1.5000])');
  });
});

describe('strided views give the same results as their contiguous copies', () => {
  torch.manual_seed(7);
  const base = torch.randn(4, 6, { dtype: torch.float64 });
  const views: Record<string, () => Tensor> = {
    transposed: () => base.t(),
    sliced: () => base.get(':', '1::2'),
    expanded: () => base.get(0).unsqueeze(0).expand(3, 6),
    offset: () => base.get('1:3', '2:5'),
    flipped: () => base.flip(1),
  };
  const ops: Record<string, (t: Tensor) => Tensor> = {
    exp: (t) => t.exp(),
    add_row: (t) => t.add(t.get(0)),
    sum1: (t) => t.sum(1),
    sum0: (t) => t.sum(0, true),
    mean: (t) => t.mean(),
    max1: (t) => t.max(1).values,
    softmax: (t) => t.softmax(-1),
    log_softmax0: (t) => t.log_softmax(0),
    matmul_t: (t) => t.matmul(t.t()),
    mse: (t) => torch.nn.functional.mse_loss(t, t.mul(0.5)),
    cumsum: (t) => t.cumsum(1),
    reshape: (t) => t.reshape(-1),
    var: (t) => t.var(1),
    where: (t) => torch.where(t.gt(0), t, t.mul(-2)),
  };
  for (const [viewName, makeView] of Object.entries(views)) {
    for (const [opName, op] of Object.entries(ops)) {
      test(`${opName} of ${viewName}`, () => {
        const view = makeView();
        const copy = view.contiguous().clone();
        expect(op(view).allclose(op(copy), { rtol: 1e-12, atol: 1e-12 })).toBe(true);
        const a = view.detach().requires_grad_();
        const b = copy.detach().requires_grad_();
        op(a).sum().backward();
        op(b).sum().backward();
        expect(a.grad!.allclose(b.grad!, { rtol: 1e-12, atol: 1e-12 })).toBe(true);
      });
    }
  }
});
