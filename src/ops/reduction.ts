/** Reductions (sum, mean, max, min, argmax, argmin) and their derivatives. */
import { Category, type DType, bool, float32, int64 } from '../dtype.js';
import { IndexError, RuntimeError } from '../errors.js';
import { record, needsRecording } from '../autograd/function.js';
import { derivative } from '../autograd/node.js';
import { withGradMode } from '../autograd/grad_mode.js';
import { extremeAlongDim, sumReduce } from '../kernels/reduce.js';
import { contiguousStrides } from '../kernels/strided.js';
import { Tensor } from '../tensor.js';
import { emptyTensor, normalizeDim, sameShape, splitOptions, arg } from './common.js';
import { compare, div, maximum, minimum, mul, sqrt, sub, where } from './pointwise.js';
import { expand, reshape, unsqueeze } from './shape.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** A dimension argument: one dim, several, or null for all. */
export type Dims = number | number[] | null;

/** Flags of the dimensions `dim` reduces (all when null). */
function reducedFlags(x: Tensor, dim: Dims): boolean[] {
  const flags = x._shape.map(() => dim === null);
  if (dim === null) return flags;
  for (const d of Array.isArray(dim) ? dim : [dim]) {
    const at = normalizeDim(d, x._shape.length);
    if (x._shape.length > 0) flags[at] = true;
  }
  return flags;
}

function reducedShape(shape: readonly number[], flags: readonly boolean[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((size, d) => {
    if (!flags[d]) out.push(size);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** Stores float64 results into a new tensor of `dtype` and `shape`. */
function fromFloat64(values: Float64Array, shape: number[], dtype: DType): Tensor {
  const buffer = dtype.category === Category.Bool ? Uint8Array.from(values, (v) => (v ? 1 : 0)) : dtype === float32 ? new Float32Array(values) : values;
  return Tensor._make(buffer, shape, contiguousStrides(shape), 0, dtype);
}

/** Gradient of a reduction output broadcast back to the input: unsqueeze the reduced dims, then expand. */
function expandBack(grad: Tensor, shape: readonly number[], flags: readonly boolean[], keepdim: boolean): Tensor {
  let g = grad;
  if (!keepdim) flags.forEach((reduced, d) => { if (reduced) g = unsqueeze(g, d); });
  return expand(g, shape);
}

/** Sums `grad` down to `shape` (undoing broadcasting), as PyTorch's sum_to. */
export function sumToShape(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad._shape, shape)) return grad;
  const lead = grad._shape.length - shape.length;
  const dims: number[] = [];
  for (let d = 0; d < grad._shape.length; d++) {
    if (d < lead || (shape[d - lead] === 1 && grad._shape[d] !== 1)) dims.push(d);
  }
  const summed = dims.length ? sum(grad, dims, true) : grad;
  return lead > 0 || !sameShape(summed._shape, shape) ? reshape(summed, shape) : summed;
}

interface ReduceAttrs {
  shape: readonly number[];
  flags: readonly boolean[];
  keepdim: boolean;
  count: number;
}

const SumBackward0 = derivative<ReduceAttrs>({
  name: 'SumBackward0',
  formulas: { self: 'grad.expand(self.sizes())' },
  backward: (grad, _saved, at) => [expand(grad, at.shape)],
});

const SumBackward1 = derivative<ReduceAttrs>({
  name: 'SumBackward1',
  scalars: ['keepdim'],
  formulas: { self: 'grad.unsqueeze(dim).expand(self.sizes())' },
  backward: (grad, _saved, at) => [expandBack(grad, at.shape, at.flags, at.keepdim)],
});

const MeanBackward0 = derivative<ReduceAttrs>({
  name: 'MeanBackward0',
  formulas: { self: 'grad.expand(self.sizes()) / self.numel()' },
  backward: (grad, _saved, at) => [div(expand(grad, at.shape), at.count)],
});

const MeanBackward1 = derivative<ReduceAttrs>({
  name: 'MeanBackward1',
  scalars: ['keepdim'],
  formulas: { self: 'grad.unsqueeze(dim).expand(self.sizes()) / N' },
  backward: (grad, _saved, at) => [div(expandBack(grad, at.shape, at.flags, at.keepdim), at.count)],
});

function reduceAttrs(x: Tensor, flags: boolean[], keepdim: boolean): ReduceAttrs {
  let count = 1;
  x._shape.forEach((size, d) => { if (flags[d]) count *= size; });
  return { shape: x._shape, flags, keepdim, count };
}

/** Sum over all elements (SumBackward0) or over `dim` (SumBackward1); integer sums are int64. */
export function sum(x: Tensor, dim: Dims = null, keepdim = false, dtype: DType | null = null): Tensor {
  const flags = reducedFlags(x, dim);
  const outDtype = dtype ?? (x._dtype.is_floating_point ? x._dtype : int64);
  const out = fromFloat64(sumReduce(x, flags), reducedShape(x._shape, flags, keepdim), outDtype);
  if (!needsRecording([x])) return out;
  return record(dim === null ? SumBackward0 : SumBackward1, out, [x], [], reduceAttrs(x, flags, keepdim));
}

/**
 * A mean's divisor in the result's arithmetic: PyTorch divides a float32 sum by the count as a float32, which
 * rounds counts past 2^24 (16,777,259 elements divide by 16,777,260).
 */
export function meanDivisor(count: number, dtype: DType): number {
  return dtype === float32 ? Math.fround(count) : count;
}

/** Mean over all elements (MeanBackward0) or over `dim` (MeanBackward1); needs a floating dtype. */
export function mean(x: Tensor, dim: Dims = null, keepdim = false, dtype: DType | null = null): Tensor {
  const outDtype = dtype ?? x._dtype;
  if (!outDtype.is_floating_point) {
    throw new RuntimeError(
      'mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. ' +
        `Got: ${outDtype === bool ? 'Bool' : 'Long'}`,
    );
  }
  const flags = reducedFlags(x, dim);
  const attrs = reduceAttrs(x, flags, keepdim);
  const sums = sumReduce(x, flags);
  const divisor = meanDivisor(attrs.count, outDtype);
  for (let i = 0; i < sums.length; i++) sums[i] /= divisor;
  const out = fromFloat64(sums, reducedShape(x._shape, flags, keepdim), outDtype);
  return record(dim === null ? MeanBackward0 : MeanBackward1, out, [x], [], attrs);
}

/** True (a 0-dim bool tensor) when any element is non-zero, or along `dim`. */
export function any(x: Tensor, dim: number | null, keepdim: boolean): Tensor {
  const counts = sum(compare('ne', x, 0), dim, keepdim);
  return compare('gt', counts, 0);
}

/** True (a 0-dim bool tensor) when every element is non-zero, or along `dim`. */
export function all(x: Tensor, dim: number | null, keepdim: boolean): Tensor {
  const zeros = sum(compare('eq', x, 0), dim, keepdim);
  return compare('eq', zeros, 0);
}

interface ProdAttrs extends ReduceAttrs {
  dim: number | null;
}

/** Product of the other elements of each reduced slice: grad * result / self when no element is zero. */
function prodBackward(grad: Tensor, self: Tensor, result: Tensor, at: ProdAttrs): Tensor {
  const expandedGrad = expandBack(grad, at.shape, at.flags, at.keepdim);
  const values = self.toTypedArray();
  if (!values.some((v) => v === 0)) {
    return mul(expandedGrad, div(expandBack(result, at.shape, at.flags, at.keepdim), self));
  }
  // With zeros, multiply the others explicitly (not differentiable again, as the zero-free formula is).
  const others = emptyTensor(at.shape, self._dtype);
  const length = at.dim === null ? self.numel() : at.shape[at.dim];
  const stride = at.dim === null ? 1 : at.shape.slice(at.dim + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < values.length; i++) {
    const position = Math.floor(i / stride) % length;
    const start = i - position * stride;
    let product = 1;
    for (let k = 0; k < length; k++) if (k !== position) product *= values[start + k * stride];
    others._buffer[i] = product;
  }
  return mul(expandedGrad, others);
}

const ProdBackward0 = derivative<ProdAttrs>({
  name: 'ProdBackward0',
  saved: ['self', 'result'],
  formulas: { self: 'grad * (product of the other elements)' },
  backward: (grad, [self, result], at) => [prodBackward(grad, self, result, at)],
});

const ProdBackward1 = derivative<ProdAttrs>({
  name: 'ProdBackward1',
  saved: ['self', 'result'],
  scalars: ['dim', 'keepdim'],
  formulas: { self: 'grad * (product of the other elements along dim)' },
  backward: (grad, [self, result], at) => [prodBackward(grad, self, result, at)],
});

/** Product of all elements (ProdBackward0) or along `dim` (ProdBackward1); integers multiply as int64. */
export function prod(x: Tensor, dim: number | null = null, keepdim = false): Tensor {
  const d = dim === null ? null : normalizeDim(dim, x._shape.length);
  const flags = reducedFlags(x, d);
  const outDtype = x._dtype.is_floating_point ? x._dtype : int64;
  const out = fromFloat64(sumReduce(x, flags, true), reducedShape(x._shape, flags, keepdim), outDtype);
  if (!needsRecording([x])) return out;
  return record(d === null ? ProdBackward0 : ProdBackward1, out, [x], [x, out], { ...reduceAttrs(x, flags, keepdim), dim: d });
}

// ---- var, std, norm -------------------------------------------------------------------------------------

interface SpreadAttrs extends ReduceAttrs {
  correction: number;
}

const VarBackward0 = derivative<SpreadAttrs>({
  name: 'VarBackward0',
  saved: ['self'],
  scalars: ['correction', 'keepdim'],
  formulas: { self: 'grad * 2 * (self - self.mean(dim)) / (N - correction)' },
  backward: (grad, [self], at) => {
    const centered = sub(self, mean(self, dimsOf(at), true));
    return [mul(expandBack(grad, at.shape, at.flags, at.keepdim), div(mul(centered, 2), at.count - at.correction))];
  },
});

const StdBackward0 = derivative<SpreadAttrs>({
  name: 'StdBackward0',
  saved: ['self', 'result'],
  scalars: ['correction', 'keepdim'],
  formulas: { self: 'grad * (self - self.mean(dim)) / ((N - correction) * result)' },
  backward: (grad, [self, result], at) => {
    const centered = sub(self, mean(self, dimsOf(at), true));
    const scale = div(expandBack(grad, at.shape, at.flags, at.keepdim), expandBack(mul(result, at.count - at.correction), at.shape, at.flags, at.keepdim));
    return [mul(centered, scale)];
  },
});

const NormBackward1 = derivative<ReduceAttrs>({
  name: 'NormBackward1',
  saved: ['self', 'result'],
  scalars: ['keepdim'],
  formulas: { self: 'grad * self / result (0 where result is 0)' },
  backward: (grad, [self, result], at) => {
    const ratio = div(expandBack(grad, at.shape, at.flags, at.keepdim), expandBack(result, at.shape, at.flags, at.keepdim));
    return [where(compare('eq', expandBack(result, at.shape, at.flags, at.keepdim), 0), 0, mul(self, ratio))];
  },
});

function dimsOf(at: ReduceAttrs): number[] {
  return at.flags.flatMap((reduced, d) => (reduced ? [d] : []));
}

/** Variance over all elements or along `dim`, with Bessel's correction unless `unbiased` is false (VarBackward0). */
export function variance(x: Tensor, dim: Dims, unbiased: boolean, keepdim: boolean): Tensor {
  const flags = reducedFlags(x, dim);
  const attrs = { ...reduceAttrs(x, flags, keepdim), correction: unbiased ? 1 : 0 };
  const out = withGradMode(false, () => {
    const centered = sub(x, mean(x, dim, true));
    return div(sum(mul(centered, centered), dim, keepdim), attrs.count - attrs.correction);
  });
  return record(VarBackward0, out, [x], [x], attrs);
}

/** Standard deviation, as `variance(...).sqrt()` but recorded as one StdBackward0. */
export function std(x: Tensor, dim: Dims, unbiased: boolean, keepdim: boolean): Tensor {
  const flags = reducedFlags(x, dim);
  const attrs = { ...reduceAttrs(x, flags, keepdim), correction: unbiased ? 1 : 0 };
  const out = withGradMode(false, () => sqrt(variance(x, dim, unbiased, keepdim)));
  return record(StdBackward0, out, [x], [x, out], attrs);
}

/** The 2-norm over all elements or along `dim` (NormBackward1). */
export function norm(x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const flags = reducedFlags(x, dim);
  const out = withGradMode(false, () => sqrt(sum(mul(x, x), dim, keepdim)));
  return record(NormBackward1, out, [x], [x, out], reduceAttrs(x, flags, keepdim));
}

// ---- max / min ------------------------------------------------------------------------------------------

/** `torch.return_types.max(values=..., indices=...)`: a pair that destructures like PyTorch's namedtuple. */
export class ReturnTypes {
  /** @internal */
  constructor(
    private readonly kind: string,
    /** The extreme values. */
    readonly values: Tensor,
    /** Their positions along the reduced dimension (int64). */
    readonly indices: Tensor,
  ) {}

  /** `const [values, indices] = t.max(1)`. */
  *[Symbol.iterator](): IterableIterator<Tensor> {
    yield this.values;
    yield this.indices;
  }

  /** Element 0 (values). */
  get 0(): Tensor {
    return this.values;
  }

  /** Element 1 (indices). */
  get 1(): Tensor {
    return this.indices;
  }

  /** Always 2, as the namedtuple's len. */
  get length(): number {
    return 2;
  }

  /** The namedtuple's repr. */
  toString(): string {
    return `torch.return_types.${this.kind}(\nvalues=${this.values},\nindices=${this.indices})`;
  }

  /** Node's inspect prints the Python repr. */
  [inspectSymbol](): string {
    return this.toString();
  }
}

interface ExtremeAttrs {
  shape: readonly number[];
  dim: number;
  keepdim: boolean;
}

const MaxBackward1 = derivative({
  name: 'MaxBackward1',
  saved: ['self', 'result'],
  formulas: { self: 'grad * (self == result) / count(self == result)' },
  backward: (grad, [self, result]) => [evenlyDistribute(grad, self, result)],
});

const MinBackward1 = derivative({
  name: 'MinBackward1',
  saved: ['self', 'result'],
  formulas: { self: 'grad * (self == result) / count(self == result)' },
  backward: (grad, [self, result]) => [evenlyDistribute(grad, self, result)],
});

const MaxBackward0 = derivative<ExtremeAttrs>({
  name: 'MaxBackward0',
  saved: ['indices'],
  scalars: ['dim', 'keepdim'],
  formulas: { self: 'grad scattered to indices along dim' },
  backward: (grad, [indices], at) => [indexBackward(grad, indices, at)],
});

const MinBackward0 = derivative<ExtremeAttrs>({
  name: 'MinBackward0',
  saved: ['indices'],
  scalars: ['dim', 'keepdim'],
  formulas: { self: 'grad scattered to indices along dim' },
  backward: (grad, [indices], at) => [indexBackward(grad, indices, at)],
});

function evenlyDistribute(grad: Tensor, self: Tensor, result: Tensor): Tensor {
  const hits = compare('eq', self, result);
  const count = sumReduce(hits, hits._shape.map(() => true))[0];
  return where(hits, expand(div(grad, count), self._shape), 0);
}

function indexBackward(grad: Tensor, indices: Tensor, at: ExtremeAttrs): Tensor {
  const g = at.keepdim ? grad : unsqueeze(grad, at.dim);
  const idx = at.keepdim ? indices : unsqueeze(indices, at.dim);
  const positionShape = at.shape.map((size, d) => (d === at.dim ? size : 1));
  const positions = emptyTensor(positionShape, int64);
  for (let i = 0; i < at.shape[at.dim]; i++) positions._buffer[i] = i;
  return where(compare('eq', positions, idx), expand(g, at.shape), 0);
}

function checkNonEmpty(x: Tensor, name: string): void {
  if (x.numel() === 0) {
    throw new RuntimeError(`${name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`);
  }
}

/** Dispatches `max()`, `max(other)`, `max(dim, keepdim)` and their `min` twins. */
export function extremeCall(x: Tensor, args: unknown[], wantMax: boolean): Tensor | ReturnTypes {
  const [positional, options] = splitOptions(args);
  if (positional[0] instanceof Tensor) return wantMax ? maximum(x, positional[0]) : minimum(x, positional[0]);
  const dim = arg<number | null>(positional, options, 0, 'dim', null);
  if (dim === null) return extreme(x, wantMax);
  return extremeAlong(x, dim, arg(positional, options, 1, 'keepdim', false), wantMax);
}

/** The largest (or smallest) element, NaN winning (MaxBackward1 / MinBackward1). */
export function extreme(x: Tensor, wantMax: boolean): Tensor {
  checkNonEmpty(x, wantMax ? 'max' : 'min');
  const flat = x.is_contiguous() ? x : x.contiguous();
  const view = { _buffer: flat._buffer, _shape: [x.numel()], _strides: [1], _offset: flat._offset };
  const { values } = extremeAlongDim(view, 0, wantMax);
  const out = fromFloat64(values, [], x._dtype);
  return record(wantMax ? MaxBackward1 : MinBackward1, out, [x], [x, out]);
}

/** `(values, indices)` of the extreme along `dim` (values record MaxBackward0 / MinBackward0). */
export function extremeAlong(x: Tensor, dim: number, keepdim: boolean, wantMax: boolean): ReturnTypes {
  const d = normalizeDim(dim, x._shape.length);
  if (x._shape.length > 0 && x._shape[d] === 0) {
    throw new IndexError(`${wantMax ? 'max' : 'min'}(): Expected reduction dim ${d} to have non-zero size.`);
  }
  const source = x._shape.length === 0 ? x._view([1], [1], x._offset) : x;
  const { values, indices } = extremeAlongDim(source, d, wantMax);
  const flags = x._shape.map((_, i) => i === d);
  const shape = reducedShape(x._shape, flags, keepdim);
  const valuesT = fromFloat64(values, shape, x._dtype);
  const indicesT = fromFloat64(indices, shape.slice(), int64);
  record(wantMax ? MaxBackward0 : MinBackward0, valuesT, [x], [indicesT], { shape: x._shape, dim: d, keepdim });
  return new ReturnTypes(wantMax ? 'max' : 'min', valuesT, indicesT);
}

/** Index of the extreme element, over the flattened tensor or along `dim` (int64, not differentiable). */
export function argExtreme(x: Tensor, dim: number | null, keepdim: boolean, wantMax: boolean): Tensor {
  if (dim === null) {
    checkNonEmpty(x, wantMax ? 'argmax' : 'argmin');
    const flat = x.contiguous();
    const view = { _buffer: flat._buffer, _shape: [x.numel()], _strides: [1], _offset: flat._offset };
    return fromFloat64(extremeAlongDim(view, 0, wantMax).indices, keepdim ? x._shape.map(() => 1) : [], int64);
  }
  const d = normalizeDim(dim, x._shape.length);
  const source = x._shape.length === 0 ? x._view([1], [1], x._offset) : x;
  const flags = x._shape.map((_, i) => i === d);
  return fromFloat64(extremeAlongDim(source, d, wantMax).indices, reducedShape(x._shape, flags, keepdim), int64);
}
