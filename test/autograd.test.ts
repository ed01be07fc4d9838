import { describe, expect, test, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import torch, { Tensor, type Node, binaryOperator, unaryOperator } from '../src/index.js';
import { reuse } from '../src/buffer-pool.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/ops.json', import.meta.url), 'utf8'));
const errors: Record<string, { type: string; message: string }> = JSON.parse(readFileSync(new URL('./fixtures/errors.json', import.meta.url), 'utf8'));
const F = torch.nn.functional;

type Walk = [string, (Walk | null)[]] | null;

function walk(node: Node | null, depth = 6): Walk {
  if (node === null) return null;
  return [node.name(), depth === 0 ? [] : node.next_functions.map(([next]) => walk(next, depth - 1))];
}

describe('grad_fn graphs match PyTorch', () => {
  const x = (): Tensor => torch.randn(2, 3, { requires_grad: true });
  const w = torch.randn(3, 4, { requires_grad: true });
  const b = torch.randn(4, { requires_grad: true });
  const b3 = torch.randn(2, 3, 4, { requires_grad: true });
  const graphs: Record<string, () => Tensor> = {
    mul_add: () => { const a = x(); return a.mul(x()).add(a).sum(); },
    mul_scalar: () => x().mul(2),
    add_scalar: () => x().add(1),
    rsub: () => x().rsub(1),
    rdiv: () => x().rdiv(2),
    rpow: () => x().rpow(2),
    linear_addmm: () => F.linear(x(), w.t(), b),
    matmul_add: () => x().matmul(w).add(b),
    matmul_1d_2d: () => x().get(0).matmul(w),
    matmul_3d_2d: () => b3.matmul(w.t()),
    matmul_2d_3d: () => x().t().matmul(b3.get(':', ':2')),
    matmul_3d_3d: () => b3.matmul(b3.transpose(1, 2)),
    l1_loss: () => F.l1_loss(x(), x()),
    cross_entropy: () => F.cross_entropy(x(), torch.tensor([0, 2])),
    cross_entropy_probs: () => F.cross_entropy(x(), x().detach().softmax(1)),
    reshape_t: () => x().t().reshape(6),
    flatten: () => x().flatten(),
    softmax_chain: () => x().softmax(1).log().mean(),
    tutorial4: () => { const a = x(); return a.sub(a.rmul(3).add(2)).pow(2).mean(); },
  };
  for (const [key, make] of Object.entries(graphs)) {
    test(key, () => expect(walk(make().grad_fn)).toEqual(fixture.graphs[key]));
  }

  test('AccumulateGrad nodes expose the leaf and are shared', () => {
    const a = torch.randn(3, { requires_grad: true });
    const y = a.mul(a);
    const [first, second] = y.grad_fn!.next_functions;
    expect(first[0]).toBe(second[0]);
    expect((first[0] as unknown as { variable: Tensor }).variable).toBe(a);
    expect(String(y.grad_fn)).toMatch(/^<MulBackward0 object at 0x[0-9a-f]+>$/);
    expect(String(y.grad_fn)).toBe(String(y.grad_fn));
    const edges = torch.randn(2, { requires_grad: true }).mul(2).grad_fn!.next_functions;
    expect(inspect(edges)).toMatch(/^\(\(<AccumulateGrad object at 0x[0-9a-f]+>, 0\), \(None, 0\)\)$/);
    expect(first[0]!.name()).toBe('torch::autograd::AccumulateGrad');
    expect(first[0]!.typeName).toBe('AccumulateGrad');
    const copied = torch.zeros(3).copy_(torch.ones(3, { requires_grad: true }));
    expect([copied.grad_fn!.name(), copied.grad_fn!.typeName]).toEqual(['torch::autograd::CopyBackwards', 'CopyBackwards']);
    expect(String(copied)).toBe('tensor([1., 1., 1.], grad_fn=<CopyBackwards>)');
  });

  test('nodes expose saved values as PyTorch\'s _saved_<name> attributes, freed after backward', () => {
    const x = torch.tensor([1, 2], { requires_grad: true });
    const w = torch.tensor([3, 4], { requires_grad: true });
    const z = x.mul(w);
    const node = z.grad_fn as unknown as Record<string, unknown>;
    expect(node._saved_self).toBe(x);
    expect(node._saved_other).toBe(w);
    const e = x.exp();
    expect((e.grad_fn as unknown as Record<string, unknown>)._saved_result).toBe(e);
    expect((x.pow(2).grad_fn as unknown as Record<string, unknown>)._saved_exponent).toBe(2);
    expect((x.add(w, { alpha: 3 }).grad_fn as unknown as Record<string, unknown>)._saved_alpha).toBe(3);
    expect((x.mul(2).grad_fn as unknown as Record<string, unknown>)._saved_other).toBe(2);
    z.sum().backward();
    expect(() => node._saved_self).toThrow(errors.second_backward.message);
  });

  test('each node carries its formulas for the backward-steps table', () => {
    const y = torch.randn(2, { requires_grad: true }).mul(torch.randn(2, { requires_grad: true }));
    const node = y.grad_fn as unknown as { derivative: { inputs: string[]; formulas: string[] } };
    expect(node.derivative.inputs).toEqual(['self', 'other']);
    expect(node.derivative.formulas).toEqual(['grad * other', 'grad * self']);
  });
});

describe('errors are PyTorch\'s', () => {
  const leaf = (): Tensor => torch.randn(3, { requires_grad: true });
  const raising: Record<string, () => unknown> = {
    inplace_leaf: () => leaf().add_(1),
    inplace_leaf_view: () => leaf().get(0).mul_(2),
    modified_output: () => { const e = leaf().exp(); const out = e.sum(); e.add_(1); out.backward(); },
    modified_input: () => { const c = leaf().mul(1); const d = c.mul(c); c.add_(1); d.sum().backward(); },
    modified_leaf: () => { const m = torch.randn(3); const p = leaf().mul(m); m.add_(1); p.sum().backward(); },
    second_backward: () => { const x = leaf(); const y = x.mul(x).sum(); y.backward(); y.backward(); },
    nonscalar_backward: () => leaf().mul(2).backward(),
    int_requires_grad: () => torch.tensor([1, 2]).requires_grad_(),
    mm_shapes: () => torch.randn(2, 5).mm(torch.randn(3, 3)),
    matmul_shapes: () => torch.randn(2, 5).matmul(torch.randn(3, 3)),
    dot_shapes: () => torch.randn(5).matmul(torch.randn(3)),
    broadcast: () => torch.randn(2, 3).add(torch.randn(2, 2)),
    view_size: () => torch.randn(10).view(3, 4),
    view_stride: () => torch.randn(2, 3).t().view(6),
    item_many: () => torch.randn(2, 3).item(),
    no_grad_backward: () => torch.randn(3).sum().backward(),
    index_out_of_range: () => torch.randn(2, 3).get(2),
    index_broadcast: () => torch.randn(2, 3).get([0, 1], [0, 1, 2]),
    index_bounds_second: () => torch.randn(2, 3, 4).get(':', [0, 1], [0, 9]),
    index_bounds_after_slice: () => torch.randn(2, 3).get(':', [5]),
    index_float: () => torch.randn(2, 3).get(torch.tensor([0, 1], { dtype: torch.float32 })),
    index_mask_shape: () => torch.randn(2, 3, 4).get(':', torch.tensor([true, false])),
    index_put_shape: () => torch.randn(3, 4).set([[0, 1], [1, 2]], torch.ones(3)),
    gelu_approximate: () => torch.nn.functional.gelu(torch.randn(3), { approximate: 'foo' as 'tanh' }),
    label_smoothing_range: () => torch.nn.functional.cross_entropy(torch.randn(2, 3), torch.tensor([0, 1]), { label_smoothing: 1.5 }),
    one_hot_float: () => torch.nn.functional.one_hot(torch.tensor([0, 1], { dtype: torch.float32 })),
    one_hot_negative: () => torch.nn.functional.one_hot(torch.tensor([-1])),
    one_hot_too_large: () => torch.nn.functional.one_hot(torch.tensor([3]), 2),
    one_hot_empty: () => torch.nn.functional.one_hot(torch.tensor([], { dtype: torch.int64 })),
    embedding_range: () => torch.nn.functional.embedding(torch.tensor([5]), torch.randn(5, 3)),
    embedding_float: () => torch.nn.functional.embedding(torch.tensor([0.5]), torch.randn(5, 3)),
    embedding_padding_range: () => torch.nn.Embedding(5, 3, { padding_idx: 5 }),
    dim_out_of_range: () => torch.randn(2, 3).sum(2),
    transpose_dim: () => torch.randn(2, 3).transpose(0, 3),
    cat_sizes: () => torch.cat([torch.randn(2, 3), torch.randn(2, 2)]),
    stack_sizes: () => torch.stack([torch.randn(2, 3), torch.randn(2, 2)]),
    expand_size: () => torch.randn(2, 3).expand(3, 3),
    bmm_dims: () => torch.randn(2, 3).bmm(torch.randn(2, 3)),
    grad_unused: () => { const x = leaf(); return torch.autograd.grad(x.mul(2).sum(), [x, torch.randn(2, { requires_grad: true })]); },
    permute_dims: () => torch.randn(2, 3).permute(0),
    max_empty: () => torch.randn(0).max(),
    mean_int: () => torch.tensor([1, 2]).mean(),
    inplace_cast: () => torch.tensor([1, 2]).add_(1.5),
    mm_dtype: () => torch.randn(2, 2).mm(torch.randn(2, 2, { dtype: torch.float64 })),
    requires_grad_nonleaf: () => { torch.randn(2, { requires_grad: true }).mul(2).requires_grad = false; },
    view_infer_twice: () => torch.randn(4).view(-1, -1),
    t_3d: () => torch.randn(2, 3, 4).t(),
    gradient_shape: () => torch.randn(3, { requires_grad: true }).mul(2).backward(torch.ones(2)),
    too_many_indices: () => torch.randn(2).get(0, 0),
    alloc_huge: () => torch.zeros(100000, 100000),
    alloc_huge_random: () => torch.randn(100000, 100000),
    alloc_huge_copy: () => torch.ones(3, 1).expand(3, 1e10).contiguous(),
    alloc_overflow: () => torch.zeros(1e12, 1e12),
    negative_size: () => torch.zeros(2, -1),
  };
  for (const [key, fn] of Object.entries(raising)) {
    test(key, () => {
      const expected = errors[key];
      let caught: unknown = null;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      expect(caught, 'should raise').toBeInstanceOf(Error);
      expect((caught as Error).message).toBe(expected.message);
      expect((caught as Error).name).toBe(expected.type);
    });
  }

  test('reading .grad of a non-leaf warns once with PyTorch\'s text', () => {
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const y = torch.randn(2, { requires_grad: true }).mul(2);
    expect(y.grad).toBeNull();
    expect(y.grad).toBeNull();
    expect(emit).toHaveBeenCalledTimes(1);
    expect(emit.mock.calls[0][0]).toBe(errors.nonleaf_grad_warning.message);
    expect(emit.mock.calls[0][1]).toBe('UserWarning');
    emit.mockRestore();
  });
});

describe('engine', () => {
  test('gradients accumulate across backward calls until zeroed', () => {
    const w = torch.tensor([1, 2], { requires_grad: true });
    w.mul(3).sum().backward();
    w.mul(3).sum().backward();
    expect(w.grad!.tolist()).toEqual([6, 6]);
    w.grad!.zero_();
    w.mul(w).sum().backward();
    expect(w.grad!.tolist()).toEqual([2, 4]);
  });

  test('backward with an explicit gradient and retain_graph', () => {
    const x = torch.tensor([1, 2, 3], { requires_grad: true });
    const y = x.mul(x);
    y.backward(torch.tensor([1, 0.5, 0]), true);
    expect(x.grad!.tolist()).toEqual([2, 2, 0]);
    y.backward({ gradient: torch.tensor([1, 1, 1]) });
    expect(x.grad!.tolist()).toEqual([4, 6, 6]);
  });

  test('create_graph gives second derivatives (d2/dx2 of x**3 = 6x)', () => {
    const x = torch.tensor(2, { requires_grad: true });
    const y = x.pow(3);
    const [dy] = torch.autograd.grad(y, x, { create_graph: true });
    expect(dy!.item()).toBe(12);
    expect(dy!.grad_fn).not.toBeNull();
    const [d2y] = torch.autograd.grad(dy!, x);
    expect(d2y!.item()).toBe(12);
    const z = torch.tensor(3, { requires_grad: true });
    z.pow(3).backward({ create_graph: true });
    const firstGrad = z.grad!;
    expect(firstGrad.item()).toBe(27);
    z.grad = null;
    firstGrad.backward();
    expect(z.grad!.item()).toBe(18);
  });

  test('autograd.grad leaves .grad alone and supports non-leaf inputs', () => {
    const x = torch.tensor([1, 2], { requires_grad: true });
    const h = x.mul(3);
    const out = h.pow(2).sum();
    const [gh, gx] = torch.autograd.grad(out, [h, x]);
    expect(gh!.tolist()).toEqual([6, 12]);
    expect(gx!.tolist()).toEqual([18, 36]);
    expect(x.grad).toBeNull();
    const unused = torch.randn(2, { requires_grad: true });
    const [, none] = torch.autograd.grad(x.sum(), [x, unused], { allow_unused: true });
    expect(none).toBeNull();
  });

  test('no_grad, enable_grad, set_grad_enabled', () => {
    const x = torch.ones(2, { requires_grad: true });
    const y = torch.no_grad(() => x.mul(2));
    expect(y.requires_grad).toBe(false);
    expect(y.grad_fn).toBeNull();
    const z = torch.no_grad(() => torch.enable_grad(() => x.mul(2)));
    expect(z.grad_fn!.name()).toBe('MulBackward0');
    expect(torch.is_grad_enabled()).toBe(true);
    torch.set_grad_enabled(false);
    expect(x.mul(2).requires_grad).toBe(false);
    torch.set_grad_enabled(true);
    torch.no_grad(() => x.add_(1));
    expect(x.tolist()).toEqual([2, 2]);
  });

  test('no_grad around an async function holds until it settles', async () => {
    const x = torch.ones(2, { requires_grad: true });
    const y = await torch.no_grad(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return x.mul(2);
    });
    expect(y.requires_grad).toBe(false);
    expect(torch.is_grad_enabled()).toBe(true);
  });

  test('nodes run in PyTorch order: ready nodes by descending sequence number', () => {
    const order: string[] = [];
    const x = torch.tensor(1, { requires_grad: true });
    const a = x.mul(2);
    const b = x.exp();
    const c = a.add(b);
    for (const node of [a.grad_fn!, b.grad_fn!, c.grad_fn!]) node.register_prehook(() => { order.push(node.name()); });
    c.backward();
    expect(order).toEqual(['AddBackward0', 'ExpBackward0', 'MulBackward0']);
  });

  test('tensor hooks, node hooks and retain_grad', () => {
    const x = torch.tensor([1, 2], { requires_grad: true });
    const y = x.mul(2);
    y.retain_grad();
    const seen: number[][] = [];
    y.register_hook((g) => { seen.push(g.tolist() as number[]); return g.mul(10); });
    const handle = x.register_hook((g) => { seen.push(g.tolist() as number[]); });
    const post: string[] = [];
    y.grad_fn!.register_hook((gradInputs, gradOutputs) => {
      post.push(`${gradInputs[0]!.tolist()} from ${gradOutputs[0]!.tolist()}`);
    });
    y.sum().backward();
    expect(seen).toEqual([[1, 1], [20, 20]]);
    expect(y.grad!.tolist()).toEqual([10, 10]);
    expect(x.grad!.tolist()).toEqual([20, 20]);
    expect(post).toEqual(['20,20 from 10,10']);
    handle.remove();
    x.mul(1).sum().backward();
    expect(seen.length).toBe(2);
    const pre = torch.tensor([1], { requires_grad: true });
    const out = pre.mul(3);
    out.grad_fn!.register_prehook((grads) => [grads[0]!.mul(0)]);
    out.sum().backward();
    expect(pre.grad!.tolist()).toEqual([0]);
  });

  test('a hook may run its own backward pass over part of the graph', () => {
    const x = torch.tensor(2, { requires_grad: true });
    const shared = x.mul(x);
    const out = shared.mul(3);
    let inner: number | null = null;
    out.grad_fn!.register_prehook(() => {
      inner = (torch.autograd.grad(shared, x, { retain_graph: true })[0]!.item() as number);
    });
    out.backward();
    expect(inner).toBe(4);
    expect(x.grad!.item()).toBe(12);
  });

  test('saved tensors are freed: second backward raises', () => {
    const x = torch.tensor(2, { requires_grad: true });
    const y = x.exp();
    y.backward();
    expect(() => y.backward()).toThrow(errors.second_backward.message);
  });

  test('in-place ops on non-leaves rebase history', () => {
    const x = torch.tensor([1, 2], { requires_grad: true });
    const y = x.mul(1);
    y.mul_(3).add_(1);
    expect(y.grad_fn!.name()).toBe('AddBackward0');
    expect(y.tolist()).toEqual([4, 7]);
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual([3, 3]);
  });

  test('requires_grad propagation and is_leaf', () => {
    const a = torch.ones(2);
    expect(a.requires_grad).toBe(false);
    a.requires_grad = true;
    expect(a.is_leaf).toBe(true);
    const b = a.mul(2);
    expect(b.is_leaf).toBe(false);
    expect(b.requires_grad).toBe(true);
    expect(b.detach().requires_grad).toBe(false);
    expect(a.data.requires_grad).toBe(false);
  });

  test('the engine casts gradients to each input dtype', () => {
    const d = torch.tensor(2, { dtype: torch.float64, requires_grad: true });
    const f = torch.tensor([1, 2], { requires_grad: true });
    f.mul(d).sum().backward();
    expect(d.grad!.dtype).toBe(torch.float64);
    expect(d.grad!.item()).toBe(3);
    expect(f.grad!.dtype).toBe(torch.float32);
  });
});

describe('torch.autograd.functional against PyTorch', () => {
  const expected = fixture.functional;
  const x = (): Tensor => torch.tensor([0.5, -1, 2]);
  const close = (actual: Tensor, values: unknown): void => {
    const flat = (values as number[]).flat(3) as number[];
    const got = Array.from(actual.toTypedArray());
    expect(got.length).toBe(flat.length);
    got.forEach((v, i) => expect(v).toBeCloseTo(flat[i], 5));
  };
  test('jacobian of an elementwise function is diagonal', () => {
    close(torch.autograd.functional.jacobian((a) => a.exp().mul(a), x()) as Tensor, expected.jacobian_exp_mul);
  });
  test('jacobian with several inputs', () => {
    const y = torch.tensor([[1, 2], [3, -1]], { dtype: torch.float32 });
    const [jx, jy] = torch.autograd.functional.jacobian((a, b) => a.get(':2').unsqueeze(0).matmul(b), [x(), y]) as Tensor[];
    close(jx, expected.jacobian_matmul[0]);
    close(jy, expected.jacobian_matmul[1]);
  });
  test('hessians', () => {
    close(torch.autograd.functional.hessian((a) => a.pow(3).sum(), x()), expected.hessian_cube);
    const weights = torch.tensor([1, 2, 3], { dtype: torch.float32 });
    close(torch.autograd.functional.hessian((a) => a.softmax(0).mul(weights).sum(), x()), expected.hessian_softmax);
  });
});

describe('Python operators for the kernel (binaryOperator, unaryOperator)', () => {
  const expected = fixture.operators;
  const x = (): Tensor => torch.tensor([1, 2, 4], { requires_grad: true });
  const cases: Record<string, () => Tensor> = {
    add: () => binaryOperator('+', 2, x()) as Tensor,
    sub: () => binaryOperator('-', 2, x()) as Tensor,
    mul: () => binaryOperator('*', 2, x()) as Tensor,
    div: () => binaryOperator('/', 2, x()) as Tensor,
    pow: () => binaryOperator('**', 2, x()) as Tensor,
    neg: () => unaryOperator('-', x()) as Tensor,
    tsub: () => binaryOperator('-', x(), 2) as Tensor,
    tdiv: () => binaryOperator('/', x(), 2) as Tensor,
    tpow: () => binaryOperator('**', x(), 2) as Tensor,
    matmul: () => { const t = x(); return binaryOperator('@', t, t) as Tensor; },
    mod: () => binaryOperator('%', 5, x()) as Tensor,
    tmod: () => binaryOperator('%', x(), -3) as Tensor,
  };
  for (const [key, make] of Object.entries(cases)) {
    test(key, () => {
      const out = make();
      expect(Array.from(out.toTypedArray())).toEqual(expected[key].values.map(Math.fround));
      expect(walk(out.grad_fn, 3)).toEqual(expected[key].graph);
    });
  }
  test('comparisons and plain numbers', () => {
    expect((binaryOperator('<', 1.5, x()) as Tensor).tolist()).toEqual(expected.lt.values);
    expect((binaryOperator('>=', x(), 2) as Tensor).tolist()).toEqual(expected.ge.values);
    expect(binaryOperator('*', 3, 4)).toBe(12);
    expect(unaryOperator('-', 3)).toBe(-3);
    expect(() => (binaryOperator('%', 5, x()) as Tensor).sum().backward()).toThrow('derivative for aten::remainder is not implemented');
    expect(() => binaryOperator('+', x(), 'a')).toThrow("unsupported operand type(s) for +: 'Tensor' and 'string'");
  });
});

describe('.grad adopts a gradient only the engine holds, and copies one anything else can reach', () => {
  // Gradients of 512 elements and more are counted (smaller ones are always copied).
  const n = 600;
  const filled = (value: number): number[] => new Array<number>(n).fill(value);
  const grads = (t: Tensor): number[] => t.grad!.reshape(-1).tolist();

  test('a gradient made for one leaf becomes its .grad and keeps accumulating correctly', () => {
    const w = torch.ones(n, { requires_grad: true });
    w.mul(3).sum().backward();
    w.mul(3).sum().backward();
    expect(grads(w)).toEqual(filled(6));
  });

  test('leaves fed the same gradient tensor get separate copies', () => {
    const a = torch.zeros(n, { requires_grad: true }), b = torch.zeros(n, { requires_grad: true });
    a.add(b).mul(2).sum().backward();
    a.grad!.add_(1);
    expect(grads(b)).toEqual(filled(2));
    expect(grads(a)).toEqual(filled(3));
  });

  test('a gradient a tensor hook kept is copied', () => {
    const w = torch.zeros(n, { requires_grad: true });
    let kept: Tensor | null = null;
    w.register_hook((g) => void (kept = g));
    w.mul(5).sum().backward();
    kept!.add_(100);
    expect(grads(w)).toEqual(filled(5));
  });

  test('a gradient a node post-hook kept is copied', () => {
    const w = torch.zeros(n, { requires_grad: true });
    const y = w.mul(4);
    let kept: Tensor | null = null;
    y.grad_fn!.register_hook((gradInputs) => void (kept = gradInputs[0]));
    y.sum().backward();
    kept!.add_(100);
    expect(grads(w)).toEqual(filled(4));
  });

  test('a gradient passed to backward() is copied', () => {
    const x = torch.zeros(n, { requires_grad: true });
    const gradient = torch.ones(n);
    x.backward(gradient);
    gradient.add_(10);
    const y = torch.zeros(n, { requires_grad: true });
    const upstream = torch.full([n], 3);
    y.add(1).backward(upstream);
    upstream.add_(10);
    expect(grads(x)).toEqual(filled(1));
    expect(grads(y)).toEqual(filled(3));
  });

  test('gradients reaching a leaf through views of one buffer are adopted once, in the leaf\'s layout', () => {
    const weight = torch.randn(30, 20, { requires_grad: true });
    const x = torch.randn(4, 20);
    F.linear(x, weight).sum().backward();
    expect(weight.grad!.is_contiguous()).toBe(true);
    expect(weight.grad!.allclose(torch.ones(4, 30).t().mm(x))).toBe(true);
    weight.grad!.zero_();
    F.linear(x, weight).sum().backward();
    expect(weight.grad!.allclose(torch.ones(4, 30).t().mm(x))).toBe(true);
  });
});

describe('the buffers of gradients only the engine held go back to the pool, and no others', () => {
  const n = 600;
  /** Allocates and overwrites tensors of n elements, as a next training step would. */
  const churn = (): void => {
    for (let i = 0; i < 8; i++) torch.empty(n).fill_(-7);
  };

  test('an intermediate gradient is reused by the next allocation of its type and length, zero-filled', () => {
    while (reuse(Float32Array, n) !== null || reuse(Float64Array, n) !== null); // what earlier tests left
    const w = torch.ones(n, { requires_grad: true });
    w.mul(2).mul(3).sum().backward();
    const reused = reuse(Float32Array, n);
    expect(reused).toBeInstanceOf(Float32Array);
    expect(Array.from(reused!).every((v) => Object.is(v, 0))).toBe(true);
    expect(reuse(Float64Array, n)).toBeNull();
    expect(w.grad!.reshape(-1).tolist()).toEqual(new Array<number>(n).fill(6));
  });

  test('gradients a hook kept, retain_grad keeps or a leaf adopted stay intact', () => {
    const w = torch.ones(n, { requires_grad: true });
    const hidden = w.mul(2);
    hidden.retain_grad();
    const scaled = hidden.mul(3);
    let hooked: Tensor | null = null;
    scaled.register_hook((g) => void (hooked = g));
    scaled.mul(5).sum().backward();
    churn();
    expect(hooked!.reshape(-1).tolist()).toEqual(new Array<number>(n).fill(5));
    expect(hidden.grad!.reshape(-1).tolist()).toEqual(new Array<number>(n).fill(15));
    expect(w.grad!.reshape(-1).tolist()).toEqual(new Array<number>(n).fill(30));
  });

  test('training steps that reuse their gradients compute what fresh buffers would', () => {
    const train = (watchOutputGradient: boolean): number[] => {
      torch.manual_seed(0);
      const x = torch.randn(n, 1), y = x.mul(3).add(2);
      const model = new torch.nn.Linear(1, 1);
      const optimizer = new torch.optim.SGD(model.parameters(), { lr: 0.1 });
      const losses: number[] = [];
      for (let epoch = 0; epoch < 5; epoch++) {
        optimizer.zero_grad();
        const out = model(x);
        // A hook that sees the output's gradient makes it reachable from outside: it is never recycled.
        if (watchOutputGradient) out.register_hook(() => undefined);
        const loss = F.mse_loss(out, y);
        loss.backward();
        optimizer.step();
        losses.push(loss.item(), model.weight.item(), model.bias.item());
        churn();
      }
      return losses;
    };
    expect(train(false)).toEqual(train(true));
  });
});
