/** Loss functions with their own grad_fn (mse, nll, binary cross-entropy) and the composite ones (l1, cross_entropy). */
import { float32, int64 } from '../dtype.js';
import { IndexError, RuntimeError, ValueError } from '../errors.js';
import { record, needsRecording } from '../autograd/function.js';
import { is_grad_enabled, withGradMode } from '../autograd/grad_mode.js';
import { BinaryKernel } from '../kernels/elementwise.js';
import { sumSquaredDifference } from '../kernels/reduce.js';
import { derivative } from '../autograd/node.js';
import { Tensor } from '../tensor.js';
import { emptyTensor, sameShape, shapeString, type Options } from './common.js';
import { log_softmax, sigmoid } from './activation.js';
import { abs, add, clamp, compare, convert, div, divByScalar, exp, log, mul, mulByScalar, neg, promotePair, sub } from './pointwise.js';
import { mean, meanDivisor, sum, sumToShape } from './reduction.js';
import { expand } from './shape.js';

/** `'mean'`, `'sum'` or `'none'`. */
export type Reduction = 'mean' | 'sum' | 'none';

function reductionOf(options: Options | undefined): Reduction {
  const reduction = (options?.reduction ?? 'mean') as string;
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') throw new ValueError(`${reduction} is not a valid value for reduction`);
  return reduction;
}

function reduce(x: Tensor, reduction: Reduction): Tensor {
  return reduction === 'mean' ? mean(x) : reduction === 'sum' ? sum(x) : x;
}

function warnSizeMismatch(input: Tensor, target: Tensor): void {
  if (!sameShape(input._shape, target._shape)) {
    process.emitWarning(
      `Using a target size (${target.shape}) that is different to the input size (${input.shape}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
      'UserWarning',
    );
  }
}

interface LossAttrs {
  reduction: Reduction;
  count: number;
}

/** Undoes the reduction for the backward: expand the (0-dim) gradient and divide by N for a mean. */
function unreduce(grad: Tensor, shape: readonly number[], at: LossAttrs): Tensor {
  if (at.reduction === 'none') return grad;
  const expanded = expand(grad, shape);
  return at.reduction === 'mean' ? div(expanded, at.count) : expanded;
}

/** PyTorch's mse_loss_backward per element before the grad factor: norm * (input - target), in the dtype's arithmetic. */
const scaledDifference = { float32: new BinaryKernel('Math.fround(a - b) * s', 'scaled_difference'), float64: new BinaryKernel('(a - b) * s') };

const MseLossBackward0 = derivative<LossAttrs>({
  name: 'MseLossBackward0',
  saved: ['self', 'target'],
  scalars: ['reduction'],
  formulas: { self: '2 * (self - target) * grad / N', target: '-2 * (self - target) * grad / N' },
  backward: (grad, [self, target], at, node) => {
    if (!is_grad_enabled() && at.reduction !== 'none' && sameShape(self._shape, target._shape)) {
      const isFloat32 = grad._dtype === float32;
      const norm = 2 / (at.reduction === 'mean' ? at.count : 1);
      let selfGrad = emptyTensor(self._shape, grad._dtype);
      scaledDifference[isFloat32 ? 'float32' : 'float64'].run(selfGrad, self, target, isFloat32 ? Math.fround(norm) : norm);
      const factor = grad.item() as number;
      if (factor !== 1) selfGrad = mul(selfGrad, factor);
      return [node.needs(0) ? selfGrad : null, node.needs(1) ? neg(selfGrad) : null];
    }
    const diff = sub(self, target);
    const g = mul(mul(unreduce(grad, diff._shape, at), diff), 2);
    return [node.needs(0) ? sumToShape(g, self._shape) : null, node.needs(1) ? sumToShape(neg(g), target._shape) : null];
  },
});

/** `F.mse_loss(input, target, {reduction})` (MseLossBackward0). */
export function mse_loss(input: Tensor, target: Tensor, options?: Options): Tensor {
  const reduction = reductionOf(options);
  warnSizeMismatch(input, target);
  let out: Tensor;
  let count: number;
  const fused = reduction !== 'none' && sameShape(input._shape, target._shape) && input.is_contiguous() && target.is_contiguous();
  if (fused) {
    count = input.numel();
    out = emptyTensor([], promotePair(input, target));
    const total = sumSquaredDifference(input, target, count);
    out._buffer[0] = reduction === 'mean' ? total / meanDivisor(count, out._dtype) : total;
  } else {
    const diff = withGradMode(false, () => sub(input, target));
    count = diff.numel();
    out = withGradMode(false, () => reduce(mul(diff, diff), reduction));
  }
  if (!needsRecording([input, target])) return out;
  return record(MseLossBackward0, out, [input, target], [input, target], { reduction, count });
}

/** `F.l1_loss(input, target, {reduction})`: PyTorch 1.13 composes it as `(input - target).abs()` reduced. */
export function l1_loss(input: Tensor, target: Tensor, options?: Options): Tensor {
  warnSizeMismatch(input, target);
  return reduce(abs(sub(input, target)), reductionOf(options));
}

interface NllAttrs extends LossAttrs {
  shape: readonly number[];
  target: Tensor;
  weight: Tensor | null;
  ignoreIndex: number;
  totalWeight: number;
}

const NllLossBackward0 = derivative<NllAttrs>({
  name: 'NllLossBackward0',
  scalars: ['target', 'weight', 'reduction', 'ignoreIndex'],
  formulas: { self: '-weight[target] * grad / total_weight at each target position' },
  backward: (grad, _saved, at) => [nllGradient(grad, at)],
});

/** The one-hot gradient of nll_loss, scaled by the class weights and the reduction. */
function nllGradient(grad: Tensor, at: NllAttrs): Tensor {
  const batched = at.shape.length === 2;
  const classes = at.shape[batched ? 1 : 0];
  const scale = emptyTensor(at.shape, grad._dtype);
  const targets = at.target._buffer;
  const rows = batched ? at.shape[0] : 1;
  for (let i = 0; i < rows; i++) {
    const cls = targets[at.target._offset + i * (at.target._strides[0] ?? 0)];
    if (cls === at.ignoreIndex) continue;
    const w = at.weight ? at.weight._buffer[at.weight._offset + cls * at.weight._strides[0]] : 1;
    scale._buffer[i * classes + cls] = at.reduction === 'mean' ? -w / at.totalWeight : -w;
  }
  const g = at.reduction === 'none' && batched ? grad.unsqueeze(1) : grad;
  return mul(scale, g);
}

/** `F.nll_loss(input, target, {weight, ignore_index, reduction})` over (N, C) or (C) log-probabilities (NllLossBackward0). */
export function nll_loss(input: Tensor, target: Tensor, options?: Options): Tensor {
  const reduction = reductionOf(options);
  const weight = (options?.weight as Tensor | undefined) ?? null;
  const ignoreIndex = (options?.ignore_index as number | undefined) ?? -100;
  if (input._shape.length < 1 || input._shape.length > 2) throw new ValueError(`Expected 2 or more dimensions (got ${input._shape.length})`);
  if (target._dtype !== int64) throw new RuntimeError(`expected scalar type Long but found ${target._dtype === int64 ? 'Long' : target._dtype.name === 'float32' ? 'Float' : 'Double'}`);
  const batched = input._shape.length === 2;
  const rows = batched ? input._shape[0] : 1;
  const classes = input._shape[batched ? 1 : 0];
  if (batched && target._shape[0] !== rows) {
    throw new ValueError(`Expected input batch_size (${rows}) to match target batch_size (${target._shape[0]}).`);
  }
  const values = convert(input, input._dtype)._buffer;
  const targets = convert(target, int64)._buffer;
  const losses = emptyTensor(batched ? [rows] : [], input._dtype);
  let total = 0;
  let totalWeight = 0;
  for (let i = 0; i < rows; i++) {
    const cls = targets[i];
    if (cls === ignoreIndex) continue;
    if (cls < 0 || cls >= classes) throw new IndexError(`Target ${cls} is out of bounds.`);
    const w = weight ? (weight.tolist() as number[])[cls] : 1;
    losses._buffer[i] = -w * values[i * classes + cls];
    total += losses._buffer[i];
    totalWeight += w;
  }
  let out: Tensor;
  if (reduction === 'none') out = losses;
  else {
    out = emptyTensor([], input._dtype);
    out._buffer[0] = reduction === 'mean' ? total / totalWeight : total;
  }
  if (!needsRecording([input])) return out;
  return record(NllLossBackward0, out, [input], [], {
    reduction, count: rows, shape: input._shape, target: convert(target, int64), weight, ignoreIndex, totalWeight,
  });
}

/**
 * `F.cross_entropy(input, target, options)`: log_softmax over dim 1 (or 0 for 1-D input) then nll_loss, against
 * class indices or class probabilities; `label_smoothing` mixes in the uniform distribution as PyTorch 1.13 does.
 */
export function cross_entropy(input: Tensor, target: Tensor, options?: Options): Tensor {
  const classDim = input._shape.length === 1 ? 0 : 1;
  const smoothing = Number(options?.label_smoothing ?? 0);
  if (!(smoothing >= 0 && smoothing <= 1)) throw new RuntimeError(`label_smoothing must be between 0.0 and 1.0. Got: ${smoothing}`);
  const logProbabilities = log_softmax(input, classDim);
  const classes = input._shape[classDim];
  if (target._dtype.is_floating_point) {
    const smoothed = smoothing > 0 ? add(mulByScalar(target, 1 - smoothing), smoothing / classes) : target;
    return crossEntropyWithProbabilities(input, logProbabilities, smoothed, classDim, options);
  }
  const nll = nll_loss(logProbabilities, target, options);
  if (smoothing === 0) return nll;
  return add(mulByScalar(nll, 1 - smoothing), mulByScalar(smoothingLoss(logProbabilities, target, classDim, options), smoothing / classes));
}

/** ATen's smoothing term: minus the (weighted) sum of the log-probabilities over the classes, 0 at ignored targets, reduced. */
function smoothingLoss(logProbabilities: Tensor, target: Tensor, classDim: number, options?: Options): Tensor {
  const weight = (options?.weight as Tensor | undefined) ?? null;
  const ignored = compare('eq', target, (options?.ignore_index as number | undefined) ?? -100);
  const weightShape = logProbabilities._shape.map((size, d) => (d === classDim ? size : 1));
  const perSample = neg(sum(weight ? mul(logProbabilities, weight.reshape(weightShape)) : logProbabilities, classDim)).masked_fill_(ignored, 0);
  const reduction = reductionOf(options);
  if (reduction === 'none') return perSample;
  if (reduction === 'sum') return sum(perSample);
  const kept = compare('ne', target, (options?.ignore_index as number | undefined) ?? -100);
  return div(sum(perSample), weight ? sum(weight.get(target.get(kept))) : sum(kept));
}

/** Cross-entropy against class probabilities, composed as PyTorch 1.13 composes it: -(log p · target) reduced. */
function crossEntropyWithProbabilities(input: Tensor, logProbabilities: Tensor, target: Tensor, classDim: number, options?: Options): Tensor {
  if (!sameShape(input._shape, target._shape)) {
    throw new RuntimeError(`Expected target size ${shapeString(input._shape)}, got ${shapeString(target._shape)}`);
  }
  const reduction = reductionOf(options);
  const weight = (options?.weight as Tensor | undefined) ?? null;
  const weightShape = input._shape.map((size, d) => (d === classDim ? size : 1));
  const weighted = weight ? mul(target, weight.reshape(weightShape)) : target;
  const products = mul(logProbabilities, weighted);
  if (reduction === 'none') return neg(sum(products, classDim));
  const total = neg(sum(products));
  return reduction === 'sum' ? total : divByScalar(total, input._shape.length === 1 ? 1 : input._shape[0]);
}

interface BceAttrs extends LossAttrs {
  weight: Tensor | null;
  posWeight: Tensor | null;
}

const BinaryCrossEntropyBackward0 = derivative<BceAttrs>({
  name: 'BinaryCrossEntropyBackward0',
  saved: ['self', 'target'],
  scalars: ['reduction', 'weight'],
  formulas: {
    self: 'grad * (self - target) / max(self * (1 - self), 1e-12) * weight',
    target: 'grad * (log(1 - self) - log(self)) * weight',
  },
  backward: (grad, [self, target], at, node) => {
    const g = unreduce(grad, self._shape, at);
    const weighted = (x: Tensor): Tensor => (at.weight ? mul(x, at.weight) : x);
    const selfGrad = node.needs(0)
      ? weighted(mul(g, div(sub(self, target), clamp(mul(self, sub(neg(self), -1)), 1e-12, null))))
      : null;
    const targetGrad = node.needs(1) ? weighted(mul(g, sub(log(sub(neg(self), -1)), log(self)))) : null;
    return [selfGrad, targetGrad];
  },
});

/** `F.binary_cross_entropy(input, target, {weight, reduction})` on probabilities (BinaryCrossEntropyBackward0). */
export function binary_cross_entropy(input: Tensor, target: Tensor, options?: Options): Tensor {
  const reduction = reductionOf(options);
  const weight = (options?.weight as Tensor | undefined) ?? null;
  if (!sameShape(input._shape, target._shape)) {
    throw new ValueError(`Using a target size (${target.shape}) that is different to the input size (${input.shape}) is deprecated. Please ensure they have the same size.`);
  }
  const inputValues = convert(input, input._dtype)._buffer;
  if (inputValues.some((v) => !(v >= 0 && v <= 1))) throw new RuntimeError('all elements of input should be between 0 and 1');
  const out = withGradMode(false, () => {
    const logP = clamp(log(input), -100, null);
    const logQ = clamp(log(sub(neg(input), -1)), -100, null);
    const loss = neg(add(mul(target, logP), mul(sub(neg(target), -1), logQ)));
    return reduce(weight ? mul(loss, weight) : loss, reduction);
  });
  if (!needsRecording([input, target])) return out;
  return record(BinaryCrossEntropyBackward0, out, [input, target], [input, target], { reduction, count: input.numel(), weight, posWeight: null });
}

const BinaryCrossEntropyWithLogitsBackward0 = derivative<BceAttrs>({
  name: 'BinaryCrossEntropyWithLogitsBackward0',
  saved: ['self', 'target'],
  scalars: ['reduction', 'weight'],
  formulas: {
    self: 'grad * ((pos_weight * target + 1 - target) * sigmoid(self) - pos_weight * target) * weight',
    target: 'grad * (log_sigmoid(-self) - pos_weight * log_sigmoid(self)) * weight',
  },
  backward: (grad, [self, target], at, node) => {
    const g = unreduce(grad, self._shape, at);
    const weighted = (x: Tensor): Tensor => (at.weight ? mul(x, at.weight) : x);
    let selfGrad: Tensor | null = null;
    if (node.needs(0)) {
      const s = sigmoid(self);
      const core = at.posWeight
        ? sub(mul(add(mul(at.posWeight, target), sub(neg(target), -1)), s), mul(at.posWeight, target))
        : sub(s, target);
      selfGrad = weighted(mul(g, core));
    }
    let targetGrad: Tensor | null = null;
    if (node.needs(1)) {
      const logSigNeg = neg(softplusNeg(neg(self)));
      const logSig = neg(softplusNeg(self));
      targetGrad = weighted(mul(g, sub(logSigNeg, at.posWeight ? mul(at.posWeight, logSig) : logSig)));
    }
    return [selfGrad, targetGrad];
  },
});

/** `log(1 + exp(-x))`, computed stably. */
function softplusNeg(x: Tensor): Tensor {
  const m = clamp(neg(x), 0, null);
  return add(m, log(add(exp(neg(m)), exp(sub(neg(x), m)))));
}

/** `F.binary_cross_entropy_with_logits(input, target, {weight, pos_weight, reduction})` (BinaryCrossEntropyWithLogitsBackward0). */
export function binary_cross_entropy_with_logits(input: Tensor, target: Tensor, options?: Options): Tensor {
  const reduction = reductionOf(options);
  const weight = (options?.weight as Tensor | undefined) ?? null;
  const posWeight = (options?.pos_weight as Tensor | undefined) ?? null;
  if (!sameShape(input._shape, target._shape)) {
    throw new ValueError(`Target size (${target.shape}) must be the same as input size (${input.shape})`);
  }
  const out = withGradMode(false, () => {
    const softplus = softplusNeg(input);
    const loss = posWeight
      ? add(mul(sub(neg(target), -1), input), mul(add(mul(sub(posWeight, 1), target), 1), softplus))
      : add(mul(sub(neg(target), -1), input), softplus);
    return reduce(weight ? mul(loss, weight) : loss, reduction);
  });
  if (!needsRecording([input, target])) return out;
  return record(BinaryCrossEntropyWithLogitsBackward0, out, [input, target], [input, target], { reduction, count: input.numel(), weight, posWeight });
}
