/** Activations (relu, sigmoid, tanh) and softmax / log_softmax, with their derivatives. */
import { record } from '../autograd/function.js';
import { is_grad_enabled, withGradMode } from '../autograd/grad_mode.js';
import { derivative } from '../autograd/node.js';
import { BinaryKernel, UnaryKernel } from '../kernels/elementwise.js';
import { float32, get_default_dtype } from '../dtype.js';
import { cascadeSumFloat32 } from '../kernels/reduce.js';
import { isContiguous } from '../kernels/strided.js';
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
  backward: (grad, [result], at) => {
    if (!is_grad_enabled() && lastDimRows(grad, at.dim) && lastDimRows(result, at.dim) && sameShape(grad._shape, result._shape)) {
      return [logSoftmaxGradientRows(grad, result)];
    }
    return [sub(grad, mul(exp(result), sum(grad, at.dim, true)))];
  },
});

/** Whether `x` is a non-empty contiguous float32 tensor and `dim` its last dimension: rows the fused loops take. */
function lastDimRows(x: Tensor, dim: number): boolean {
  const ndim = x._shape.length;
  return ndim > 0 && dim === ndim - 1 && x._dtype === float32 && x.numel() > 0 && isContiguous(x._shape, x._strides);
}

let rowScratch = new Float32Array(0);

/** A float32 scratch row of `length` elements. */
function scratchRow(length: number): Float32Array {
  if (rowScratch.length < length) rowScratch = new Float32Array(length);
  return rowScratch;
}

/**
 * log_softmax along the last dimension, row by row with the composite's float32 roundings (x - max, exp, the
 * cascade sum, log, the subtraction) and none of its intermediate tensors.
 */
function logSoftmaxRows(x: Tensor): Tensor {
  const length = x._shape[x._shape.length - 1];
  const rows = x.numel() / length;
  const out = emptyTensor(x._shape, float32);
  const xd = x._buffer, od = out._buffer, exps = scratchRow(length);
  for (let r = 0, p = x._offset, q = 0; r < rows; r++, p += length, q += length) {
    // The max as extremeAlong finds it: a NaN wins.
    let max = xd[p];
    for (let i = 1; i < length && max === max; i++) {
      const v = xd[p + i];
      if (v !== v || v > max) max = v;
    }
    for (let i = 0; i < length; i++) {
      const shifted = Math.fround(xd[p + i] - max);
      od[q + i] = shifted;
      exps[i] = Math.exp(shifted);
    }
    const logSum = Math.fround(Math.log(cascadeSumFloat32(exps, 0, length)));
    for (let i = 0; i < length; i++) od[q + i] = od[q + i] - logSum;
  }
  return out;
}

/** LogSoftmaxBackward0's `grad - exp(result) * grad.sum(-1, keepdim=True)`, row by row with its roundings. */
function logSoftmaxGradientRows(grad: Tensor, result: Tensor): Tensor {
  const length = grad._shape[grad._shape.length - 1];
  const rows = grad.numel() / length;
  const out = emptyTensor(grad._shape, float32);
  const gd = grad._buffer as Float32Array, rd = result._buffer, od = out._buffer;
  for (let r = 0, g = grad._offset, p = result._offset, q = 0; r < rows; r++, g += length, p += length, q += length) {
    const total = cascadeSumFloat32(gd, g, length);
    for (let i = 0; i < length; i++) od[q + i] = gd[g + i] - Math.fround(Math.fround(Math.exp(rd[p + i])) * total);
  }
  return out;
}

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
  const out = lastDimRows(x, d) ? logSoftmaxRows(x) : withGradMode(false, () => {
    const z = shifted(x, d);
    return sub(z, log(sum(exp(z), x._shape.length ? d : null, x._shape.length > 0)));
  });
  return record(LogSoftmaxBackward0, out, [x], [out], { dim: d });
}
