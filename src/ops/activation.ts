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
import { abs, add, compare, erf, exp, log, mapValues, mul, neg, sub, where, convert, div } from './pointwise.js';
import { erf as erfOf } from '../kernels/special.js';
import { RuntimeError } from '../errors.js';
import { squeeze, unsqueeze } from './shape.js';
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

/** `kernel` over `x` (its scalar parameter `s`), into a new tensor: the default float dtype for integers if `floating`. */
function unary(kernel: UnaryKernel, x: Tensor, floating: boolean, s = 0): Tensor {
  const dtype = floating && !x._dtype.is_floating_point ? get_default_dtype() : x._dtype;
  const out = emptyTensor(x._shape, dtype);
  kernel.run(out, x, s);
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

// ---- activations with parameters ------------------------------------------------------------------------

interface SlopeAttrs {
  negative_slope: number;
}

const LeakyReluBackward0 = derivative<SlopeAttrs>({
  name: 'LeakyReluBackward0',
  saved: ['self'],
  scalars: ['negative_slope'],
  formulas: { self: 'grad * (self > 0 ? 1 : negative_slope)' },
  backward: (grad, [self], at) => [where(compare('gt', self, 0), grad, mul(grad, at.negative_slope))],
});

const leakyReluKernel = new UnaryKernel('(a > 0 ? a : a * s)');

/** `x` where positive, `negative_slope * x` elsewhere (LeakyReluBackward0, saves the input). */
export function leaky_relu(x: Tensor, negativeSlope = 0.01): Tensor {
  const out = unary(leakyReluKernel, x, false, negativeSlope);
  return record(LeakyReluBackward0, out, [x], [x], { negative_slope: negativeSlope });
}

interface EluAttrs {
  alpha: number;
}

const EluBackward0 = derivative<EluAttrs>({
  name: 'EluBackward0',
  saved: ['self'],
  scalars: ['alpha'],
  formulas: { self: 'grad * (self > 0 ? 1 : alpha * exp(self))' },
  backward: (grad, [self], at) => [where(compare('gt', self, 0), grad, mul(grad, mul(exp(self), at.alpha)))],
});

const eluKernel = new UnaryKernel('(a > 0 ? a : s * Math.expm1(a))');

/** `x` where positive, `alpha * (exp(x) - 1)` elsewhere (EluBackward0, saves the input). */
export function elu(x: Tensor, alpha = 1): Tensor {
  const out = unary(eluKernel, x, true, alpha);
  return record(EluBackward0, out, [x], [x], { alpha });
}

const SiluBackward0 = derivative({
  name: 'SiluBackward0',
  saved: ['self'],
  formulas: { self: 'grad * sigmoid(self) * (1 + self * (1 - sigmoid(self)))' },
  backward: (grad, [self]) => {
    const s = sigmoid(self);
    return [mul(grad, mul(s, sub(mul(self, sub(neg(s), -1)), -1)))];
  },
});

const siluKernel = new UnaryKernel('a / (1 + Math.exp(-a))');

/** `x * sigmoid(x)`, also called swish (SiluBackward0, saves the input). */
export function silu(x: Tensor): Tensor {
  const out = unary(siluKernel, x, true);
  return record(SiluBackward0, out, [x], [x]);
}

interface SoftplusAttrs {
  beta: number;
  threshold: number;
}

const SoftplusBackward0 = derivative<SoftplusAttrs>({
  name: 'SoftplusBackward0',
  saved: ['self'],
  scalars: ['beta', 'threshold'],
  formulas: { self: 'grad * (self * beta > threshold ? 1 : sigmoid(self * beta))' },
  backward: (grad, [self], at) => [where(compare('gt', mul(self, at.beta), at.threshold), grad, mul(grad, sigmoid(mul(self, at.beta))))],
});

/** Softplus kernels by threshold (the kernel's one scalar parameter is beta); nearly every call uses the default 20. */
const softplusKernels = new Map<number, UnaryKernel>();

/** `log(1 + exp(beta * x)) / beta`, linear above `threshold` (SoftplusBackward0, saves the input). */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  let kernel = softplusKernels.get(threshold);
  if (kernel === undefined) {
    kernel = new UnaryKernel(`(a * s > ${threshold} ? a : Math.log1p(Math.exp(a * s)) / s)`);
    softplusKernels.set(threshold, kernel);
  }
  const out = unary(kernel, x, true, beta);
  return record(SoftplusBackward0, out, [x], [x], { beta, threshold });
}

interface GeluAttrs {
  approximate: 'none' | 'tanh';
}

/** √(2/π), the scale of tanh-approximated GELU's inner polynomial. */
const TANH_SCALE = Math.sqrt(2 / Math.PI);

const GeluBackward0 = derivative<GeluAttrs>({
  name: 'GeluBackward0',
  saved: ['self'],
  scalars: ['approximate'],
  formulas: { self: "grad * (Φ(self) + self * φ(self)), or the derivative of the tanh form when approximate='tanh'" },
  backward: (grad, [self], at) => {
    if (at.approximate === 'none') {
      const cdf = mul(add(erf(mul(self, Math.SQRT1_2)), 1), 0.5);
      const pdf = mul(exp(mul(mul(self, self), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return [mul(grad, add(cdf, mul(self, pdf)))];
    }
    const squared = mul(self, self);
    const t = tanh(mul(add(self, mul(mul(squared, self), 0.044715)), TANH_SCALE));
    const slope = mul(add(mul(squared, 3 * 0.044715), 1), TANH_SCALE);
    const derivative = add(mul(add(t, 1), 0.5), mul(mul(mul(self, sub(neg(mul(t, t)), -1)), slope), 0.5));
    return [mul(grad, derivative)];
  },
});

/** GELU, `x · Φ(x)` with Φ the standard normal CDF, or its tanh approximation (GeluBackward0, saves the input). */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate !== 'none' && approximate !== 'tanh') throw new RuntimeError('approximate argument must be either none or tanh.');
  const out = mapValues(x, approximate === 'none'
    ? (v) => 0.5 * v * (1 + erfOf(v * Math.SQRT1_2))
    : (v) => 0.5 * v * (1 + Math.tanh(TANH_SCALE * (v + 0.044715 * v * v * v))));
  return record(GeluBackward0, out, [x], [x], { approximate });
}

interface LogsumexpAttrs {
  dims: number[];
  keepdim: boolean;
}

const LogsumexpBackward0 = derivative<LogsumexpAttrs>({
  name: 'LogsumexpBackward0',
  saved: ['self', 'result'],
  scalars: ['keepdim'],
  formulas: { self: 'grad * exp(self - result)' },
  backward: (grad, [self, result], at) => {
    const restore = (t: Tensor): Tensor => (at.keepdim ? t : at.dims.reduce((u, d) => unsqueeze(u, d), t));
    return [mul(restore(grad), exp(sub(self, restore(result))))];
  },
});

/** `log(sum(exp(x), dim))` computed stably, shifted by the maximum (LogsumexpBackward0). */
export function logsumexp(x: Tensor, dim: number | number[], keepdim = false): Tensor {
  const dims = [...new Set((Array.isArray(dim) ? dim : [dim]).map((d) => normalizeDim(d, x._shape.length)))].sort((a, b) => a - b);
  const floating = x._dtype.is_floating_point ? x : convert(x, get_default_dtype());
  const out = withGradMode(false, () => {
    // As ATen: the maxima (infinite ones taken as 0, so that exp(x - max) stays defined) are subtracted and added back.
    const maxima = x._shape.length === 0 ? floating : dims.reduce((m, d) => extremeAlong(m, d, true, true).values, floating);
    const shift = where(compare('eq', abs(maxima), Infinity), 0, maxima);
    const total = log(sum(exp(sub(floating, shift)), x._shape.length ? dims : null, keepdim));
    return add(total, keepdim || x._shape.length === 0 ? shift : dims.reduceRight((m, d) => squeeze(m, d), shift));
  });
  return record(LogsumexpBackward0, out, [x], [x, out], { dims, keepdim });
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
