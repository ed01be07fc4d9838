/** Activations (relu, sigmoid, tanh) and softmax / log_softmax, with their derivatives. */
import { record } from '../autograd/function.js';
import { is_grad_enabled, withGradMode } from '../autograd/grad_mode.js';
import { derivative } from '../autograd/node.js';
import { BinaryKernel, UnaryKernel } from '../kernels/elementwise.js';
import { get_default_dtype } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { emptyTensor, normalizeDim, sameShape } from './common.js';
import { compare, exp, log, mul, neg, sub, where, convert, div } from './pointwise.js';
import { extremeAlong, sum } from './reduction.js';

const reluKernel = new UnaryKernel('(a > 0 || a !== a ? a : 0)');
const sigmoidKernel = new UnaryKernel('1 / (1 + Math.exp(-a))');
const tanhKernel = new UnaryKernel('Math.tanh(a)');

/** ReluBackward0's `where(result > 0, grad, 0)` in one pass, without the mask tensor. */
const reluGradientKernel = new BinaryKernel('b > 0 ? a : 0');

const ReluBackward0 = derivative({
  name: 'ReluBackward0',
  saved: ['result'],
  formulas: { self: 'grad * (result > 0)' },
  backward: (grad, [result]) => {
    if (is_grad_enabled() || grad._dtype !== result._dtype || !sameShape(grad._shape, result._shape)) {
      return [where(compare('gt', result, 0), grad, 0)];
    }
    const out = emptyTensor(grad._shape, grad._dtype);
    reluGradientKernel.run(out, grad, result);
    return [out];
  },
});

const SigmoidBackward0 = derivative({
  name: 'SigmoidBackward0',
  saved: ['result'],
  formulas: { self: 'grad * result * (1 - result)' },
  backward: (grad, [result]) => [mul(grad, mul(result, sub(neg(result), -1)))],
});

const TanhBackward0 = derivative({
  name: 'TanhBackward0',
  saved: ['result'],
  formulas: { self: 'grad * (1 - result * result)' },
  backward: (grad, [result]) => [mul(grad, sub(neg(mul(result, result)), -1))],
});

function unary(kernel: UnaryKernel, x: Tensor, floating: boolean): Tensor {
  const dtype = floating && !x._dtype.is_floating_point ? get_default_dtype() : x._dtype;
  const out = emptyTensor(x._shape, dtype);
  kernel.run(out, x);
  return out;
}

/** `max(0, x)` (ReluBackward0, saves the result). */
export function relu(x: Tensor): Tensor {
  const out = unary(reluKernel, x, false);
  return record(ReluBackward0, out, [x], [out]);
}

/** Logistic sigmoid (SigmoidBackward0, saves the result). */
export function sigmoid(x: Tensor): Tensor {
  const out = unary(sigmoidKernel, x, true);
  return record(SigmoidBackward0, out, [x], [out]);
}

/** Hyperbolic tangent (TanhBackward0, saves the result). */
export function tanh(x: Tensor): Tensor {
  const out = unary(tanhKernel, x, true);
  return record(TanhBackward0, out, [x], [out]);
}

interface SoftmaxAttrs {
  dim: number;
}

const SoftmaxBackward0 = derivative<SoftmaxAttrs>({
  name: 'SoftmaxBackward0',
  saved: ['result'],
  scalars: ['dim'],
  formulas: { self: 'result * (grad - (grad * result).sum(dim, keepdim=True))' },
  backward: (grad, [result], at) => [mul(result, sub(grad, sum(mul(grad, result), at.dim, true)))],
});

const LogSoftmaxBackward0 = derivative<SoftmaxAttrs>({
  name: 'LogSoftmaxBackward0',
  saved: ['result'],
  scalars: ['dim'],
  formulas: { self: 'grad - exp(result) * grad.sum(dim, keepdim=True)' },
  backward: (grad, [result], at) => [sub(grad, mul(exp(result), sum(grad, at.dim, true)))],
});

/** `x - max(x, dim)` in a floating dtype, not recorded: the stable start of softmax and log_softmax. */
function shifted(x: Tensor, dim: number): Tensor {
  const floating = x._dtype.is_floating_point ? x : convert(x, get_default_dtype());
  if (x._shape.length === 0) return sub(floating, floating);
  return sub(floating, extremeAlong(floating, dim, true, true).values);
}

/** Softmax along `dim` (SoftmaxBackward0, saves the result). */
export function softmax(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x._shape.length);
  const out = withGradMode(false, () => {
    const e = exp(shifted(x, d));
    return div(e, sum(e, x._shape.length ? d : null, x._shape.length > 0));
  });
  return record(SoftmaxBackward0, out, [x], [out], { dim: d });
}

/** Log of softmax along `dim` (LogSoftmaxBackward0, saves the result). */
export function log_softmax(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x._shape.length);
  const out = withGradMode(false, () => {
    const z = shifted(x, d);
    return sub(z, log(sum(exp(z), x._shape.length ? d : null, x._shape.length > 0)));
  });
  return record(LogSoftmaxBackward0, out, [x], [out], { dim: d });
}
