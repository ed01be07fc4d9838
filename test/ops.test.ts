import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import torch, { Tensor } from '../src/index.js';
import type { DType } from '../src/dtype.js';

interface InputSpec { shape: number[]; dtype: string; values: number[]; requires_grad: boolean }
interface Case {
  name: string;
  inputs: InputSpec[];
  dtype: string;
  shape: number[];
  values: number[];
  grad_fn: string | null;
  next_functions: [string | null, number][];
  upstream?: number[];
  grads?: (number[] | null)[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/ops.json', import.meta.url), 'utf8'));
const F = torch.nn.functional;
const dtypes: Record<string, DType> = { float32: torch.float32, float64: torch.float64, int64: torch.int64, bool: torch.bool };

/** The same ops as tools/fixtures/gen_ops.py, spelled with this runtime's API. */
const ops: Record<string, (...t: Tensor[]) => Tensor> = {
  add: (a, b) => a.add(b),
  add_scalar: (a) => a.add(2.5),
  add_alpha: (a, b) => torch.add(a, b, { alpha: 2 }),
  sub: (a, b) => a.sub(b),
  sub_alpha: (a, b) => torch.sub(a, b, { alpha: 3 }),
  rsub_scalar: (a) => torch.rsub(a, 1),
  rsub: (a, b) => torch.rsub(a, b),
  mul: (a, b) => a.mul(b),
  mul_scalar: (a) => a.mul(3),
  div: (a, b) => a.div(b),
  div_scalar: (a) => a.div(4),
  rdiv: (a) => a.rdiv(2),
  remainder: (a, b) => a.remainder(b),
  remainder_scalar: (a) => a.remainder(-0.75),
  remainder_int: (a) => a.remainder(-3),
  remainder_int_tensor: (a, b) => torch.remainder(a, b.add(1)),
  remainder_inplace: (a) => a.mul(1).remainder_(0.6),
  pow_scalar: (a) => a.pow(2),
  pow_scalar3: (a) => a.pow(3),
  pow_half: (a) => a.pow(0.5),
  rpow: (a) => a.rpow(2),
  pow_tensor: (a, b) => a.pow(b),
  neg: (a) => a.neg(),
  exp: (a) => a.exp(),
  log: (a) => a.log(),
  sqrt: (a) => a.sqrt(),
  abs: (a) => a.abs(),
  reciprocal: (a) => a.reciprocal(),
  clamp: (a) => a.clamp(-0.5, 0.5),
  clamp_min: (a) => a.clamp({ min: 0 }),
  clamp_max: (a) => a.clamp({ max: 0.1 }),
  clamp_tensor: (a, b) => a.clamp({ min: b }),
  relu: (a) => a.relu(),
  sigmoid: (a) => a.sigmoid(),
  tanh: (a) => a.tanh(),
  softmax1: (a) => a.softmax(1),
  softmax0: (a) => a.softmax({ dim: 0 }),
  log_softmax1: (a) => a.log_softmax(1),
  log_softmax0: (a) => a.log_softmax(0),
  maximum: (a, b) => torch.maximum(a, b),
  minimum: (a, b) => torch.minimum(a, b),
  where: (c, a, b) => torch.where(c, a, b),
  sum: (a) => a.sum(),
  sum_dim1: (a) => a.sum(1),
  sum_dim0_keep: (a) => a.sum({ dim: 0, keepdim: true }),
  sum_dims: (a) => a.sum([0, 2]),
  mean: (a) => a.mean(),
  mean_dim: (a) => a.mean(1),
  mean_dim_keep: (a) => a.mean(-1, true),
  max: (a) => a.max(),
  max_dim: (a) => a.max(1).values,
  max_dim_keep: (a) => a.max({ dim: 0, keepdim: true })[0],
  min: (a) => a.min(),
  min_dim: (a) => a.min(1).values,
  mm: (a, b) => a.mm(b),
  mm_big: (a, b) => torch.mm(a, b),
  matmul: (a, b) => a.matmul(b),
  bmm: (a, b) => a.bmm(b),
  addmm: (s, a, b) => torch.addmm(s, a, b),
  addmm_scaled: (s, a, b) => torch.addmm(s, a, b, { beta: 0.5, alpha: 2 }),
  dot: (a, b) => a.dot(b),
  mv: (a, b) => a.mv(b),
  t: (a) => a.t(),
  T: (a) => a.T,
  transpose: (a) => a.transpose(0, 2),
  permute: (a) => a.permute(2, 0, 1),
  reshape: (a) => a.reshape(3, 2),
  reshape_t: (a) => a.t().reshape(6),
  view: (a) => a.view(3, -1),
  flatten: (a) => a.flatten(1),
  squeeze: (a) => a.squeeze(),
  squeeze_dim: (a) => a.squeeze(1),
  unsqueeze: (a) => a.unsqueeze(1),
  expand: (a) => a.expand(2, 3, 4),
  select: (a) => a.get(1),
  select_dim1: (a) => a.select(1, -1),
  slice: (a) => a.get('1:3'),
  slice_step: (a) => a.get(':', '::2'),
  narrow: (a) => a.narrow(1, 1, 3),
  index_select: (a, i) => a.index_select(0, i),
  index_tensor: (a, i) => a.get(i),
  index_mask: (a, m) => a.get(m),
  index_mixed: (a) => a.get(1, ':', null, torch.slice(2, 4)),
  cat: (a, b) => torch.cat([a, b]),
  cat_dim1: (a, b) => torch.cat([a, b], 1),
  stack: (a, b) => torch.stack([a, b], { dim: 1 }),
  clone: (a) => a.clone(),
  contiguous: (a) => a.t().contiguous(),
  double: (a) => a.double(),
  mse_loss: (a, b) => F.mse_loss(a, b),
  mse_loss_sum: (a, b) => F.mse_loss(a, b, { reduction: 'sum' }),
  mse_loss_none: (a, b) => F.mse_loss(a, b, { reduction: 'none' }),
  l1_loss: (a, b) => F.l1_loss(a, b),
  nll_loss: (a, t) => F.nll_loss(a, t),
  cross_entropy: (a, t) => F.cross_entropy(a, t),
  cross_entropy_sum: (a, t) => F.cross_entropy(a, t, { reduction: 'sum' }),
  binary_cross_entropy: (a, t) => F.binary_cross_entropy(a, t),
  binary_cross_entropy_with_logits: (a, t) => F.binary_cross_entropy_with_logits(a, t),
  bce_logits_pos_weight: (a, t, w) => F.binary_cross_entropy_with_logits(a, t, { pos_weight: w.detach() }),
  sin: (a) => a.sin(),
  cos: (a) => torch.cos(a),
  linear: (x, w, b) => F.linear(x, w, b),
  linear_3d: (x, w, b) => F.linear(x, w, b),
  inplace_chain: (a, b) => a.mul(1).mul_(b).add_(b, { alpha: 2 }).sub_(1).div_(2),
  addcmul_: (s, a, b) => s.mul(1).addcmul_(a, b, { value: 0.5 }),
  addcdiv: (s, a, b) => s.addcdiv(a, b, { value: -0.5 }),
  clamp_: (a) => a.mul(1).clamp_(-0.3, 0.3),
  copy_: (a, b) => a.mul(1).copy_(b),
  var: (a) => a.var(),
  var_dim: (a) => a.var(0, false),
  std: (a) => torch.std(a),
  std_dim_keep: (a) => a.std({ dim: 1, keepdim: true }),
  norm: (a) => a.norm(),
  norm_dim: (a) => a.norm({ dim: 1 }),
  masked_fill: (a, m) => a.masked_fill(m, 0.5),
  nll_loss_weighted: (a, t, w) => F.nll_loss(a, t, { weight: w.detach(), ignore_index: 1 }),
  cross_entropy_weighted_sum: (a, t, w) => F.cross_entropy(a, t, { weight: w.detach(), reduction: 'sum' }),
  nll_loss_none: (a, t) => F.nll_loss(a, t, { reduction: 'none' }),
  unbind: (a) => a.unbind(1)[1].mul(a.unbind(1)[3]),
  split: (a) => torch.cat([a.split(2)[2], a.split(2)[0].get(':1')]),
  split_sizes: (a) => a.split([1, 4])[1].sum(0),
  chunk: (a) => a.chunk(3, 1)[1].exp(),
  cross_entropy_probs: (a, p) => F.cross_entropy(a, p.detach()),
  cross_entropy_probs_sum: (a, p) => F.cross_entropy(a, p.detach(), { reduction: 'sum' }),
  cross_entropy_probs_none: (a, p) => F.cross_entropy(a, p.detach(), { reduction: 'none' }),
  log1p: (a) => a.log1p(),
  expm1: (a) => torch.expm1(a),
  rounding: (a) => {
    const t = a.mul(3);
    return t.floor().add(t.ceil()).add(t.round()).add(t.trunc()).add(a);
  },
  round_halves: (a) => torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 3.7]).round().add(a),
  cumsum: (a) => a.cumsum(1),
  cumsum0: (a) => torch.cumsum(a, 0),
  flip: (a) => a.flip(0, 1),
  tril: (a) => a.tril(),
  triu: (a) => a.triu(1),
  gather: (a, i) => a.gather(1, i),
  repeat: (a) => a.repeat(2, 1, 2),
  outer: (a, b) => torch.outer(a, b),
  prod: (a) => a.prod(),
  prod_dim: (a) => a.prod(1, true),
  prod_zero: (a) => a.mul(torch.tensor([[1, 0, 1], [1, 1, 1]], { dtype: a.dtype })).prod(1),
  sort: (a) => a.sort(1).values.mul(torch.arange(4, { dtype: a.dtype })),
  sort_desc0: (a) => a.sort(0, true)[0],
  sort_indices: (a) => a.sort({ dim: 1 }).indices.to(a.dtype).add(a),
  topk: (a) => a.topk(2).values,
  topk_smallest0: (a) => torch.topk(a, 3, 0, false).values,
  setitem: (a) => a.mul(2).set(0, 5),
  view_inplace: (a, b) => {
    const y = a.mul(1);
    y.get(':', 1).mul_(b);
    return y.exp();
  },
  index_pair: (a) => a.get(torch.tensor([0, 2, 3, 0]), torch.tensor([1, 1, 0, 1])),
  index_pair_broadcast: (a) => a.get(torch.tensor([[0], [3]]), torch.tensor([0, 2])),
  index_separated: (a) => a.get([0, 2], ':', [1, -1]),
  index_adjacent: (a) => a.get(':', [0, 2], [1, 3]),
  index_int_and_list: (a) => a.get(1, ':', [0, 3]),
  index_none_separated: (a) => a.get(null, [0, 1], ':', [0, 1]),
  index_mask_and_list: (a) => a.get(torch.tensor([true, false]), [0, 2]),
  index_rows_labels: (a) => a.log_softmax(1).get(torch.arange(4), torch.tensor([2, 0, 1, 1])).mean().neg(),
  index_put: (a, v) => {
    const y = a.mul(2);
    y.set([torch.tensor([0, 2]), torch.tensor([1, 3])], v);
    return y;
  },
  index_put_rows: (a, v) => {
    const y = a.mul(1);
    y.set([[0, 2]], v);
    return y.exp();
  },
  leaky_relu: (a) => F.leaky_relu(a),
  leaky_relu_slope: (a) => F.leaky_relu(a, 0.2),
  elu: (a) => F.elu(a),
  elu_alpha: (a) => F.elu(a, { alpha: 0.5 }),
  silu: (a) => F.silu(a),
  softplus: (a) => F.softplus(a),
  softplus_beta: (a) => F.softplus(a, { beta: 2, threshold: 1 }),
  logsumexp: (a) => a.logsumexp(1),
  logsumexp_keepdim0: (a) => torch.logsumexp(a, 0, true),
  logsumexp_dims: (a) => a.logsumexp([0, 2]),
  logsumexp_scalar: (a) => a.logsumexp(0),
  erf: (a) => torch.erf(a),
  gelu: (a) => F.gelu(a),
  gelu_tanh: (a) => F.gelu(a, { approximate: 'tanh' }),
  cross_entropy_smoothing: (a, t) => F.cross_entropy(a, t, { label_smoothing: 0.1 }),
  cross_entropy_smoothing_weighted: (a, t, w) => F.cross_entropy(a, t, { weight: w.detach(), ignore_index: 1, label_smoothing: 0.2 }),
  cross_entropy_smoothing_ignore: (a, t) => F.cross_entropy(a, t, { ignore_index: 2, label_smoothing: 0.3 }),
  cross_entropy_smoothing_none: (a, t) => F.cross_entropy(a, t, { reduction: 'none', label_smoothing: 0.1 }),
  cross_entropy_smoothing_sum: (a, t) => torch.nn.CrossEntropyLoss({ reduction: 'sum', label_smoothing: 0.1 })(a, t),
  cross_entropy_smoothing_probs: (a, p) => F.cross_entropy(a, p.detach(), { label_smoothing: 0.25 }),
  cross_entropy_smoothing_1d: (a) => F.cross_entropy(a, torch.tensor(2), { label_smoothing: 0.1 }),
  embedding: (w) => F.embedding(torch.tensor([1, 1, 3]), w),
  embedding_padding: (w) => F.embedding(torch.tensor([[0, 1], [4, 1]]), w, { padding_idx: 1 }),
  one_hot: (t) => F.one_hot(t),
  one_hot_classes: (t) => F.one_hot(t, 5),
  index_put_mask: (a) => {
    const y = a.mul(3);
    y.set(y.gt(0), 0);
    return y;
  },
};

function build(spec: InputSpec): Tensor {
  const t = torch.tensor(spec.values, { dtype: dtypes[spec.dtype] }).view(spec.shape).detach();
  return spec.requires_grad ? t.requires_grad_() : t;
}

function expectClose(actual: ArrayLike<number>, expected: number[], dtype: string): void {
  expect(actual.length).toBe(expected.length);
  const rtol = dtype === 'float64' ? 1e-9 : 2e-4;
  const atol = dtype === 'float64' ? 1e-9 : 2e-5;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (Number.isNaN(e)) expect(Number.isNaN(actual[i])).toBe(true);
    else expect(Math.abs(actual[i] - e), `element ${i}: ${actual[i]} vs ${e}`).toBeLessThanOrEqual(atol + rtol * Math.abs(e));
  }
}

describe('ops against PyTorch 1.13', () => {
  const cases: Case[] = fixture.cases;
  cases.forEach((c, k) => {
    const label = `${c.name} ${c.inputs.map((i) => `[${i.shape.join(',')}]`).join(' ')} #${k}`;
    test(label, () => {
      const inputs = c.inputs.map(build);
      const out = ops[c.name](...inputs);
      expect(out.dtype.name).toBe(c.dtype);
      expect(Array.from(out.shape)).toEqual(c.shape);
      expectClose(Array.from(out.toTypedArray()), c.values, c.dtype);
      expect(out.grad_fn?.name() ?? null).toBe(c.grad_fn);
      expect(out.grad_fn ? out.grad_fn.next_functions.map(([n, i]) => [n?.name() ?? null, i]) : []).toEqual(c.next_functions);
      if (c.upstream) {
        out.backward(torch.tensor(c.upstream, { dtype: out.dtype }).view(c.shape));
        c.grads!.forEach((g, i) => {
          if (g === null) expect(inputs[i].grad).toBeNull();
          else expectClose(Array.from(inputs[i].grad!.toTypedArray()), g, c.inputs[i].dtype);
        });
      }
    });
  });
});

describe('finite-difference check of every backward (float64)', () => {
  const cases: Case[] = fixture.cases;
  const seen = new Set<string>();
  // PyTorch defines these gradients as other than the derivative: embedding's padding row gets none although
  // the output reads it (the values above check they are PyTorch's).
  const notTheDerivative = new Set(['embedding_padding']);
  cases.forEach((c) => {
    const key = `${c.name} ${c.inputs.map((i) => i.shape.join('x')).join(' ')}`;
    if (seen.has(key) || !c.upstream || notTheDerivative.has(c.name)) return;
    seen.add(key);
    test(key, () => {
      const toDouble = (spec: InputSpec): InputSpec => (spec.dtype === 'float32' ? { ...spec, dtype: 'float64' } : spec);
      const specs = c.inputs.map(toDouble);
      const inputs = specs.map(build);
      const out = ops[c.name](...inputs);
      const upstream = torch.tensor(c.upstream!, { dtype: torch.float64 }).view(c.shape);
      out.backward(upstream);
      const objective = (values: Tensor[]): number => torch.no_grad(() => ops[c.name](...values).double().mul(upstream).sum().item() as number);
      const eps = 1e-6;
      specs.forEach((spec, i) => {
        if (!spec.requires_grad || c.grads![i] === null) return;
        const analytic = Array.from(inputs[i].grad!.toTypedArray());
        spec.values.forEach((_, j) => {
          const shifted = (delta: number): Tensor[] => specs.map((s, k) => {
            if (k !== i) return build({ ...s, requires_grad: false });
            const values = s.values.slice();
            values[j] += delta;
            return build({ ...s, values, requires_grad: false });
          });
          const numeric = (objective(shifted(eps)) - objective(shifted(-eps))) / (2 * eps);
          expect(Math.abs(analytic[j] - numeric), `input ${i} element ${j}: ${analytic[j]} vs ${numeric}`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(numeric));
        });
      });
    });
  });
});

describe('second derivatives (create_graph) against finite differences of the first (float64)', () => {
  const cases: Case[] = fixture.cases;
  const seen = new Set<string>();
  const notTwiceDifferentiable = new Set(['setitem', 'view_inplace', 'prod_zero']);
  cases.forEach((c) => {
    const key = `${c.name} ${c.inputs.map((i) => i.shape.join('x')).join(' ')}`;
    if (seen.has(key) || !c.upstream || notTwiceDifferentiable.has(c.name)) return;
    seen.add(key);
    test(key, () => {
      const specs = c.inputs.map((spec) => (spec.dtype === 'float32' ? { ...spec, dtype: 'float64' } : spec));
      const differentiable = specs.map((spec, i) => spec.requires_grad && c.grads![i] !== null);
      const upstream = torch.tensor(c.upstream!, { dtype: torch.float64 }).view(c.shape);
      const directions = specs.map((spec) => torch.tensor(spec.values.map((_, j) => Math.cos(j + 1)), { dtype: torch.float64 }).view(spec.shape));
      /** s(x) = Σ_i <d(out·upstream)/dx_i, direction_i>, built with create_graph when asked. */
      const directional = (inputs: Tensor[], createGraph: boolean): Tensor => {
        const wanted = inputs.filter((_, i) => differentiable[i]);
        const out = ops[c.name](...inputs).double().mul(upstream).sum();
        const grads = torch.autograd.grad(out, wanted, { create_graph: createGraph, allow_unused: true });
        let total: Tensor = torch.zeros([], { dtype: torch.float64 });
        let k = 0;
        inputs.forEach((_, i) => {
          if (!differentiable[i]) return;
          const g = grads[k++];
          if (g) total = total.add(g.double().mul(directions[i]).sum());
        });
        return total;
      };
      const inputs = specs.map(build);
      const s = directional(inputs, true);
      // A gradient that does not depend on the inputs (linear ops) has no graph: its derivative is zero.
      const wanted = inputs.filter((_, i) => differentiable[i]);
      const second = s.requires_grad ? torch.autograd.grad(s, wanted, { allow_unused: true }) : wanted.map(() => null);
      const eps = 1e-5;
      let k = 0;
      specs.forEach((spec, i) => {
        if (!differentiable[i]) return;
        const analytic = second[k++];
        spec.values.forEach((_, j) => {
          const shifted = (delta: number): Tensor[] => specs.map((sp, m) => {
            const values = sp.values.slice();
            if (m === i) values[j] += delta;
            return build({ ...sp, values });
          });
          const numeric = ((directional(shifted(eps), false).item() as number) - (directional(shifted(-eps), false).item() as number)) / (2 * eps);
          const value = analytic ? (analytic.reshape(-1).get(j).item() as number) : 0;
          expect(Math.abs(value - numeric), `input ${i} element ${j}: ${value} vs ${numeric}`).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(numeric));
        });
      });
    });
  });
});
