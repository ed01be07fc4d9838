/**
 * Elementwise ops and their derivatives. Each op: its kernel, its table entry (grad_fn name, readable
 * formula per input, backward written with differentiable ops so create_graph works), its forward.
 */
import { Category, type DType, bool, float32, float64, get_default_dtype, promote_types, resultType, scalarDtype } from '../dtype.js';
import { RuntimeError } from '../errors.js';
import { record, needsRecording } from '../autograd/function.js';
import { withGradMode, is_grad_enabled } from '../autograd/grad_mode.js';
import { derivative, type Derivative } from '../autograd/node.js';
import { BinaryKernel, UnaryKernel } from '../kernels/elementwise.js';
import { erf as erfOf } from '../kernels/special.js';
import { broadcastStrides, coalesce, contiguousStrides, forEachRow, isContiguous, noDims, numelOf, type Strided } from '../kernels/strided.js';
import { Tensor } from '../tensor.js';
import { broadcastShapes, emptyTensor, sameShape, shapeString, type Scalar } from './common.js';
import { sumToShape } from './reduction.js';
import { rebaseView } from './shape.js';

/** A tensor or a Python scalar operand. */
export type Operand = Tensor | Scalar;

// ---- operands and type promotion ------------------------------------------------------------------------

/** PyTorch's result type of a tensor and another operand, with the common cases answered without allocation. */
export function promotePair(a: Tensor, b: Operand): DType {
  if (b instanceof Tensor) {
    if (a._dtype === b._dtype) return a._dtype;
    const aZeroDim = a._shape.length === 0;
    if (aZeroDim === (b._shape.length === 0)) return promote_types(a._dtype, b._dtype);
    return aZeroDim ? resultType(b._dtype, a._dtype, null) : resultType(a._dtype, b._dtype, null);
  } else if (a._dtype.is_floating_point && typeof b === 'number') {
    return a._dtype;
  }
  return promote(a, b);
}

/** PyTorch's result type of two operands (Python scalars and 0-dim tensors take part by category only). */
export function promote(...operands: Operand[]): DType {
  let dimensioned: DType | null = null, zeroDim: DType | null = null, scalar: DType | null = null;
  for (const x of operands) {
    if (!(x instanceof Tensor)) scalar = widest(scalar, scalarDtype(x));
    else if (x._shape.length === 0) zeroDim = widest(zeroDim, x._dtype);
    else dimensioned = widest(dimensioned, x._dtype);
  }
  return resultType(dimensioned, zeroDim, scalar);
}

function widest(current: DType | null, dtype: DType): DType {
  return current === null ? dtype : promote_types(current, dtype);
}

function shapeOf(x: Operand): readonly number[] {
  return x instanceof Tensor ? x._shape : [];
}

/** Two reusable one-element views per dtype for scalar operands (kernels run synchronously and keep no views). */
const scalarSlots = new Map<DType, Strided[]>();

/** A 0-dim view of a scalar stored in `dtype`, in scratch slot `slot` (0 or 1). */
function scalarView(value: number, dtype: DType, slot: number): Strided {
  let slots = scalarSlots.get(dtype);
  if (slots === undefined) {
    slots = [0, 1].map(() => ({ _buffer: dtype.allocate(1), _shape: [], _strides: [], _offset: 0 }));
    scalarSlots.set(dtype, slots);
  }
  const view = slots[slot];
  view._buffer[0] = dtype.cast(value);
  return view;
}

/** The operand as the kernel reads it: float64 tensors are rounded to float32 first when computing in float32. */
function kernelOperand(x: Operand, dtype: DType, slot = 0): Strided {
  if (!(x instanceof Tensor)) return scalarView(Number(x), dtype, slot);
  if (x._dtype === float64 && dtype === float32) return convert(x, float32);
  return x;
}

const conversions = {
  floating: new UnaryKernel('a'),
  integral: new UnaryKernel('Math.trunc(a)'),
  bool: new UnaryKernel('(a !== 0 ? 1 : 0)'),
};

/** The kernel that converts values into `dtype`. */
export function conversionKernel(dtype: DType): UnaryKernel {
  return dtype.category === Category.Floating ? conversions.floating : dtype.category === Category.Integral ? conversions.integral : conversions.bool;
}

/** A contiguous copy of `x` in `dtype`, not recorded. */
export function convert(x: Strided, dtype: DType): Tensor {
  if (x instanceof Tensor && x._dtype === dtype && isContiguous(x._shape, x._strides)) {
    const n = numelOf(x._shape);
    const values = dtype.allocate(n);
    const source = x._buffer, offset = x._offset;
    // A loop copies a few elements faster than a subarray view would be made; set() copies many at memory speed.
    if (n <= 16) for (let i = 0; i < n; i++) values[i] = source[offset + i];
    else values.set(source.subarray(offset, offset + n));
    return Tensor._make(values, x._shape.length ? x._shape.slice() : noDims, contiguousStrides(x._shape), 0, dtype);
  }
  const out = emptyTensor(x._shape, dtype);
  conversionKernel(dtype).run(out, x);
  return out;
}

/** Runs a binary kernel over two broadcast operands into a new tensor. */
function binaryForward(kernel: BinaryKernel, a: Operand, b: Operand, computeDtype: DType, outDtype = computeDtype): Tensor {
  const shape = !(b instanceof Tensor) ? shapeOf(a) : !(a instanceof Tensor) ? b._shape : broadcastShapes(a._shape, b._shape);
  const out = emptyTensor(shape, outDtype);
  kernel.run(out, kernelOperand(a, computeDtype, 0), kernelOperand(b, computeDtype, 1));
  return out;
}

/** Runs a unary kernel into a new tensor of `dtype`. */
function unaryForward(kernel: UnaryKernel, x: Tensor, dtype: DType): Tensor {
  const out = emptyTensor(x._shape, dtype);
  kernel.run(out, x._dtype === float64 && dtype === float32 ? convert(x, float32) : x);
  return out;
}

function floatingDtype(x: Tensor): DType {
  return x._dtype.is_floating_point ? x._dtype : get_default_dtype();
}

function tensorOrNull(x: Operand | null): Tensor | null {
  return x instanceof Tensor ? x : null;
}

interface BinaryAttrs {
  selfShape: readonly number[];
  otherShape: readonly number[];
  other: number;
  alpha: number;
}

function binaryAttrs(a: Operand, b: Operand, alpha = 1): BinaryAttrs {
  return { selfShape: shapeOf(a), otherShape: shapeOf(b), other: b instanceof Tensor ? 0 : Number(b), alpha };
}

/** Multiplies by a Python scalar unless it is 1 (PyTorch's maybe_multiply). */
function maybeMultiply(t: Tensor, factor: number): Tensor {
  return factor === 1 ? t : mul(t, factor);
}

// ---- arithmetic -----------------------------------------------------------------------------------------

const addKernel = new BinaryKernel('a + b', 'add');
const subKernel = new BinaryKernel('a - b', 'sub');
const mulKernel = new BinaryKernel('a * b', 'mul');
const divKernel = new BinaryKernel('a / b', 'div');
const powKernel = new BinaryKernel('Math.pow(a, b)');
const boolOrKernel = new BinaryKernel('(a || b) ? 1 : 0');

const AddBackward0 = derivative<BinaryAttrs>({
  name: 'AddBackward0',
  scalars: ['alpha'],
  formulas: { self: 'grad', other: 'grad * alpha' },
  backward: (grad, _saved, at, node) => [
    node.needs(0) ? sumToShape(grad, at.selfShape) : null,
    node.needs(1) ? sumToShape(maybeMultiply(grad, at.alpha), at.otherShape) : null,
  ],
});

const SubBackward0 = derivative<BinaryAttrs>({
  name: 'SubBackward0',
  scalars: ['alpha'],
  formulas: { self: 'grad', other: '-grad * alpha' },
  backward: (grad, _saved, at, node) => [
    node.needs(0) ? sumToShape(grad, at.selfShape) : null,
    node.needs(1) ? sumToShape(maybeMultiply(neg(grad), at.alpha), at.otherShape) : null,
  ],
});

const RsubBackward0 = derivative<BinaryAttrs>({
  name: 'RsubBackward0',
  scalars: ['alpha'],
  formulas: { self: '-grad * alpha', other: 'grad' },
  backward: (grad, _saved, at, node) => [
    node.needs(0) ? sumToShape(maybeMultiply(neg(grad), at.alpha), at.selfShape) : null,
    node.needs(1) ? sumToShape(grad, at.otherShape) : null,
  ],
});

const RsubBackward1 = derivative<BinaryAttrs>({
  name: 'RsubBackward1',
  scalars: ['alpha'],
  formulas: { self: '-grad * alpha' },
  backward: (grad, _saved, at) => [maybeMultiply(neg(grad), at.alpha)],
});

const MulBackward0 = derivative<BinaryAttrs>({
  name: 'MulBackward0',
  saved: ['self', 'other'],
  scalars: ['other'],
  formulas: { self: 'grad * other', other: 'grad * self' },
  backward: (grad, [self, other], at, node) => [
    node.needs(0) ? sumToShape(mul(grad, other ?? at.other), at.selfShape) : null,
    node.needs(1) ? sumToShape(mul(grad, self), at.otherShape) : null,
  ],
});

const DivBackward0 = derivative<BinaryAttrs>({
  name: 'DivBackward0',
  saved: ['self', 'other'],
  scalars: ['other'],
  formulas: { self: 'grad / other', other: '-grad * self / (other * other)' },
  backward: (grad, [self, other], at, node) => [
    node.needs(0) ? sumToShape(div(grad, other ?? at.other), at.selfShape) : null,
    node.needs(1) ? sumToShape(div(mul(neg(grad), self), mul(other, other)), at.otherShape) : null,
  ],
});

const DivBackward1 = derivative<BinaryAttrs>({
  name: 'DivBackward1',
  scalars: ['other'],
  formulas: { self: 'grad / other' },
  backward: (grad, _saved, at) => [div(grad, at.other)],
});

/** Division by a C++ Scalar, as ATen's own composites record it (DivBackward1, one edge); cells get DivBackward0. */
export function divByScalar(a: Tensor, b: number): Tensor {
  return scalarOp(divKernel, DivBackward1, a, b, a._dtype.is_floating_point ? a._dtype : get_default_dtype());
}

const MulBackward1 = derivative<BinaryAttrs>({
  name: 'MulBackward1',
  scalars: ['other'],
  formulas: { self: 'grad * other' },
  backward: (grad, _saved, at) => [mul(grad, at.other)],
});

/** Product with a C++ Scalar, as ATen's own composites record it (MulBackward1, one edge); cells get MulBackward0. */
export function mulByScalar(a: Tensor, b: number): Tensor {
  return scalarOp(mulKernel, MulBackward1, a, b, promotePair(a, b));
}

/** `kernel(a, b)` for a C++ Scalar `b`, recorded under `def` with the one edge of `a`. */
function scalarOp(kernel: BinaryKernel, def: Derivative<BinaryAttrs>, a: Tensor, b: number, dtype: DType): Tensor {
  return record(def, binaryForward(kernel, a, b, dtype), [a], [], binaryAttrs(a, b));
}

function scaledOperand(b: Operand, alpha: number): Operand {
  if (alpha === 1) return b;
  if (b instanceof Tensor) return binaryForward(mulKernel, b, alpha, promote(b, alpha));
  return Number(b) * alpha;
}

function additive(a: Tensor, b: Operand): DType {
  return promotePair(a, b);
}

/** `self + alpha * other` (AddBackward0). */
export function add(a: Tensor, b: Operand, alpha = 1): Tensor {
  const dtype = additive(a, b);
  const out = binaryForward(dtype === bool ? boolOrKernel : addKernel, a, scaledOperand(b, alpha), dtype);
  return record(AddBackward0, out, [a, tensorOrNull(b)], [], binaryAttrs(a, b, alpha));
}

/** `self - alpha * other` (SubBackward0). */
export function sub(a: Tensor, b: Operand, alpha = 1): Tensor {
  if (a._dtype === bool && (b instanceof Tensor ? b._dtype === bool : typeof b === 'boolean')) {
    throw new RuntimeError(
      'Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.',
    );
  }
  const out = binaryForward(subKernel, a, scaledOperand(b, alpha), additive(a, b));
  return record(SubBackward0, out, [a, tensorOrNull(b)], [], binaryAttrs(a, b, alpha));
}

/** `other - alpha * self` (RsubBackward0 with a tensor, RsubBackward1 with a scalar). */
export function rsub(a: Tensor, b: Operand, alpha = 1): Tensor {
  const out = binaryForward(subKernel, b, scaledOperand(a, alpha), additive(a, b));
  if (b instanceof Tensor) return record(RsubBackward0, out, [a, b], [], binaryAttrs(a, b, alpha));
  return record(RsubBackward1, out, [a], [], binaryAttrs(a, b, alpha));
}

/** Elementwise product (MulBackward0). */
export function mul(a: Tensor, b: Operand): Tensor {
  const dtype = promotePair(a, b);
  const out = binaryForward(mulKernel, a, b, dtype);
  const other = tensorOrNull(b);
  const inputs = [a, other];
  if (!needsRecording(inputs)) return out;
  return record(MulBackward0, out, inputs, [other?.requires_grad ? a : null, a.requires_grad ? other : null], binaryAttrs(a, b));
}

/** True division (DivBackward0); integer operands give the default float dtype. */
export function div(a: Tensor, b: Operand): Tensor {
  const promoted = promotePair(a, b);
  const dtype = promoted.is_floating_point ? promoted : get_default_dtype();
  const out = binaryForward(divKernel, a, b, dtype);
  if (!needsRecording([a, tensorOrNull(b)])) return out;
  const other = tensorOrNull(b);
  return record(DivBackward0, out, [a, other], [other?.requires_grad ? a : null, other], binaryAttrs(a, b));
}

interface PowAttrs {
  exponent: number;
  base: number;
}

const PowBackward0 = derivative<PowAttrs>({
  name: 'PowBackward0',
  saved: ['self'],
  scalars: ['exponent'],
  formulas: { self: 'grad * exponent * self ** (exponent - 1)' },
  backward: (grad, [self], at) => [
    at.exponent === 0 ? zerosLike(self) : mul(grad, mul(pow(self, at.exponent - 1), at.exponent)),
  ],
});

const PowBackward1 = derivative<PowAttrs>({
  name: 'PowBackward1',
  saved: ['self', 'exponent', 'result'],
  formulas: { self: 'grad * exponent * self ** (exponent - 1)', exponent: 'grad * result * log(self)' },
  backward: (grad, [self, exponent, result], at, node) => {
    const base = self ?? at.base;
    const selfGrad = node.needs(0) ? sumToShape(mul(grad, mul(exponent, pow(self, sub(exponent, 1)))), self._shape) : null;
    let exponentGrad: Tensor | null = null;
    if (node.needs(1)) {
      const logBase = base instanceof Tensor ? log(base) : Math.log(base);
      const raw = mul(mul(grad, result), logBase);
      const zeroBase = base instanceof Tensor ? logicalAnd(eq(base, 0), ge(exponent, 0)) : base === 0 ? ge(exponent, 0) : null;
      exponentGrad = sumToShape(zeroBase ? where(zeroBase, 0, raw) : raw, exponent._shape);
    }
    return [selfGrad, exponentGrad];
  },
});

/** `self ** exponent`: PowBackward0 for a scalar exponent, PowBackward1 when the exponent (or only the base) is a tensor. */
export function pow(a: Operand, b: Operand): Tensor {
  const dtype = promote(a, b);
  if (!(a instanceof Tensor)) {
    const exponent = b as Tensor;
    const out = binaryForward(powKernel, a, exponent, dtype);
    if (!needsRecording([exponent])) return out;
    return record(PowBackward1, out, [null, exponent], [null, exponent, out], { exponent: 0, base: Number(a) });
  }
  if (!(b instanceof Tensor)) {
    const out = binaryForward(powKernel, a, b, dtype);
    return record(PowBackward0, out, [a], [a], { exponent: Number(b), base: 0 });
  }
  const out = binaryForward(powKernel, a, b, dtype);
  if (!needsRecording([a, b])) return out;
  return record(PowBackward1, out, [a, b], [a, b, b.requires_grad ? out : null], { exponent: 0, base: 0 });
}

// Python's modulo: fmod, moved into the divisor's sign when the signs differ (ATen's remainder kernel).
const remainderKernel = new BinaryKernel('((a % b) !== 0 && (b < 0) !== ((a % b) < 0) ? (a % b) + b : (a % b))');

const RemainderBackward0 = derivative<BinaryAttrs>({
  name: 'RemainderBackward0',
  formulas: { self: 'grad' },
  backward: (grad) => [grad],
});

const RemainderBackward1 = derivative<BinaryAttrs>({
  name: 'RemainderBackward1',
  saved: ['self', 'other'],
  formulas: { self: 'grad', other: '-grad * self.div(other, rounding_mode="floor")' },
  backward: (grad, [self, other], at, node) => [
    node.needs(0) ? sumToShape(grad, at.selfShape) : null,
    node.needs(1) ? sumToShape(mul(neg(grad), rounding(div(self, other), 'floor')), at.otherShape) : null,
  ],
});

/** PyTorch 1.13 records `remainder(Scalar, Tensor)` with no derivative: backward through it fails. */
const RemainderNotImplemented = derivative<BinaryAttrs>({
  name: 'torch::autograd::NotImplemented',
  formulas: { other: 'not implemented' },
  backward: () => {
    throw new RuntimeError('derivative for aten::remainder is not implemented');
  },
});

function hasZero(x: Operand): boolean {
  if (!(x instanceof Tensor)) return Number(x) === 0;
  return withGradMode(false, () => Boolean(compare('eq', x, 0).any().item()));
}

/** Python's `a % b` elementwise: the result takes the divisor's sign; integer division by zero raises. */
export function remainder(a: Operand, b: Operand): Tensor {
  const dtype = promote(a, b);
  if (dtype.category !== Category.Floating && hasZero(b)) throw new RuntimeError('ZeroDivisionError');
  const out = binaryForward(remainderKernel, a, b, dtype);
  if (!(a instanceof Tensor)) return record(RemainderNotImplemented, out, [b as Tensor], [], binaryAttrs(a, b));
  if (!(b instanceof Tensor)) return record(RemainderBackward0, out, [a], [], binaryAttrs(a, b));
  if (!needsRecording([a, b])) return out;
  return record(RemainderBackward1, out, [a, b], [a, b], binaryAttrs(a, b));
}

// ---- unary ----------------------------------------------------------------------------------------------

const negKernel = new UnaryKernel('-a');
const expKernel = new UnaryKernel('Math.exp(a)');
const logKernel = new UnaryKernel('Math.log(a)');
const sqrtKernel = new UnaryKernel('Math.sqrt(a)');
const absKernel = new UnaryKernel('Math.abs(a)');
const reciprocalKernel = new UnaryKernel('1 / a');
const signKernel = new UnaryKernel('(a > 0 ? 1 : a < 0 ? -1 : 0)');
const sinKernel = new UnaryKernel('Math.sin(a)');
const cosKernel = new UnaryKernel('Math.cos(a)');
const log1pKernel = new UnaryKernel('Math.log1p(a)');
const expm1Kernel = new UnaryKernel('Math.expm1(a)');
const roundingKernels = {
  floor: new UnaryKernel('Math.floor(a)'),
  ceil: new UnaryKernel('Math.ceil(a)'),
  trunc: new UnaryKernel('Math.trunc(a)'),
  // Halves round to even, as PyTorch (and IEEE nearbyint) do.
  round: new UnaryKernel('(Math.abs(a % 1) === 0.5 ? 2 * Math.round(a / 2) : Math.round(a))'),
};

const NegBackward0 = derivative({
  name: 'NegBackward0',
  formulas: { self: '-grad' },
  backward: (grad) => [neg(grad)],
});

const ExpBackward0 = derivative({
  name: 'ExpBackward0',
  saved: ['result'],
  formulas: { self: 'grad * result' },
  backward: (grad, [result]) => [mul(grad, result)],
});

const ErfBackward0 = derivative({
  name: 'ErfBackward0',
  saved: ['self'],
  formulas: { self: '2 / sqrt(pi) * exp(-self ** 2) * grad' },
  backward: (grad, [self]) => [mul(grad, mul(exp(neg(mul(self, self))), 2 / Math.sqrt(Math.PI)))],
});

const LogBackward0 = derivative({
  name: 'LogBackward0',
  saved: ['self'],
  formulas: { self: 'grad / self' },
  backward: (grad, [self]) => [div(grad, self)],
});

const SqrtBackward0 = derivative({
  name: 'SqrtBackward0',
  saved: ['result'],
  formulas: { self: 'grad / (2 * result)' },
  backward: (grad, [result]) => [div(grad, mul(result, 2))],
});

const AbsBackward0 = derivative({
  name: 'AbsBackward0',
  saved: ['self'],
  formulas: { self: 'grad * self.sign()' },
  backward: (grad, [self]) => [mul(grad, sign(self))],
});

const ReciprocalBackward0 = derivative({
  name: 'ReciprocalBackward0',
  saved: ['result'],
  formulas: { self: '-grad * result * result' },
  backward: (grad, [result]) => [mul(neg(grad), mul(result, result))],
});

const SignBackward0 = derivative({
  name: 'SignBackward0',
  formulas: { self: '0' },
  backward: (grad) => [zerosLike(grad)],
});

const SinBackward0 = derivative({
  name: 'SinBackward0',
  saved: ['self'],
  formulas: { self: 'grad * self.cos()' },
  backward: (grad, [self]) => [mul(grad, cos(self))],
});

const CosBackward0 = derivative({
  name: 'CosBackward0',
  saved: ['self'],
  formulas: { self: 'grad * -self.sin()' },
  backward: (grad, [self]) => [mul(grad, neg(sin(self)))],
});

const Log1PBackward0 = derivative({
  name: 'Log1PBackward0',
  saved: ['self'],
  formulas: { self: 'grad / (self + 1)' },
  backward: (grad, [self]) => [div(grad, add(self, 1))],
});

const Expm1Backward0 = derivative({
  name: 'Expm1Backward0',
  saved: ['result'],
  formulas: { self: 'grad * (result + 1)' },
  backward: (grad, [result]) => [mul(grad, add(result, 1))],
});

const roundingDerivatives = {
  floor: derivative({ name: 'FloorBackward0', formulas: { self: '0' }, backward: (grad) => [zerosLike(grad)] }),
  ceil: derivative({ name: 'CeilBackward0', formulas: { self: '0' }, backward: (grad) => [zerosLike(grad)] }),
  trunc: derivative({ name: 'TruncBackward0', formulas: { self: '0' }, backward: (grad) => [zerosLike(grad)] }),
  round: derivative({ name: 'RoundBackward0', formulas: { self: '0' }, backward: (grad) => [zerosLike(grad)] }),
};

/** `log(1 + self)`, accurate near 0 (Log1PBackward0). */
export function log1p(x: Tensor): Tensor {
  return record(Log1PBackward0, unaryForward(log1pKernel, x, floatingDtype(x)), [x], [x]);
}

/** `exp(self) - 1`, accurate near 0 (Expm1Backward0). */
export function expm1(x: Tensor): Tensor {
  const out = unaryForward(expm1Kernel, x, floatingDtype(x));
  return record(Expm1Backward0, out, [x], [out]);
}

/** floor, ceil, trunc or round (halves to even); their gradient is zero. */
export function rounding(x: Tensor, kind: keyof typeof roundingKernels): Tensor {
  if (!x._dtype.is_floating_point) return convert(x, x._dtype);
  return record(roundingDerivatives[kind], unaryForward(roundingKernels[kind], x, x._dtype), [x]);
}

/** Sine (SinBackward0). */
export function sin(x: Tensor): Tensor {
  return record(SinBackward0, unaryForward(sinKernel, x, floatingDtype(x)), [x], [x]);
}

/** Cosine (CosBackward0). */
export function cos(x: Tensor): Tensor {
  return record(CosBackward0, unaryForward(cosKernel, x, floatingDtype(x)), [x], [x]);
}

/** `-self` (NegBackward0). */
export function neg(x: Tensor): Tensor {
  if (x._dtype === bool) {
    throw new RuntimeError('Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.');
  }
  return record(NegBackward0, unaryForward(negKernel, x, x._dtype), [x]);
}

/** `e ** self` (ExpBackward0, saves the result). */
export function exp(x: Tensor): Tensor {
  const out = unaryForward(expKernel, x, floatingDtype(x));
  return record(ExpBackward0, out, [x], [out]);
}

/** The error function (ErfBackward0). */
export function erf(x: Tensor): Tensor {
  return record(ErfBackward0, mapValues(x, erfOf), [x], [x]);
}

/** `f` of every element of `x` (computed in float64, stored in x's floating dtype), not recorded. */
export function mapValues(x: Tensor, f: (value: number) => number): Tensor {
  const dtype = floatingDtype(x);
  const source = convert(x, x._dtype)._buffer;
  const out = emptyTensor(x._shape, dtype);
  const values = out._buffer;
  for (let i = 0; i < values.length; i++) values[i] = f(source[i]);
  return out;
}

/** Natural log (LogBackward0). */
export function log(x: Tensor): Tensor {
  return record(LogBackward0, unaryForward(logKernel, x, floatingDtype(x)), [x], [x]);
}

/** Square root (SqrtBackward0, saves the result). */
export function sqrt(x: Tensor): Tensor {
  const out = unaryForward(sqrtKernel, x, floatingDtype(x));
  return record(SqrtBackward0, out, [x], [out]);
}

/** Absolute value (AbsBackward0). */
export function abs(x: Tensor): Tensor {
  return record(AbsBackward0, unaryForward(absKernel, x, x._dtype), [x], [x]);
}

/** `1 / self` (ReciprocalBackward0, saves the result). */
export function reciprocal(x: Tensor): Tensor {
  const out = unaryForward(reciprocalKernel, x, floatingDtype(x));
  return record(ReciprocalBackward0, out, [x], [out]);
}

/** -1, 0 or 1 (SignBackward0). */
export function sign(x: Tensor): Tensor {
  return record(SignBackward0, unaryForward(signKernel, x, x._dtype), [x]);
}

interface AddcAttrs {
  value: number;
  selfShape: readonly number[];
}

const AddcmulBackward0 = derivative<AddcAttrs>({
  name: 'AddcmulBackward0',
  saved: ['tensor1', 'tensor2'],
  scalars: ['value'],
  formulas: { self: 'grad', tensor1: 'grad * tensor2 * value', tensor2: 'grad * tensor1 * value' },
  backward: (grad, [tensor1, tensor2], at, node) => [
    node.needs(0) ? sumToShape(grad, at.selfShape) : null,
    node.needs(1) ? sumToShape(maybeMultiply(mul(grad, tensor2), at.value), tensor1._shape) : null,
    node.needs(2) ? sumToShape(maybeMultiply(mul(grad, tensor1), at.value), tensor2._shape) : null,
  ],
});

const AddcdivBackward0 = derivative<AddcAttrs>({
  name: 'AddcdivBackward0',
  saved: ['tensor1', 'tensor2'],
  scalars: ['value'],
  formulas: { self: 'grad', tensor1: 'grad * value / tensor2', tensor2: '-grad * value * tensor1 / (tensor2 * tensor2)' },
  backward: (grad, [tensor1, tensor2], at, node) => [
    node.needs(0) ? sumToShape(grad, at.selfShape) : null,
    node.needs(1) ? sumToShape(div(maybeMultiply(grad, at.value), tensor2), tensor1._shape) : null,
    node.needs(2) ? sumToShape(div(mul(maybeMultiply(neg(grad), at.value), tensor1), mul(tensor2, tensor2)), tensor2._shape) : null,
  ],
});

/** `self + value * tensor1 * tensor2` (AddcmulBackward0). */
export function addcmul(self: Tensor, tensor1: Tensor, tensor2: Tensor, value = 1): Tensor {
  const out = withGradMode(false, () => add(self, mul(tensor1, tensor2), value));
  return record(AddcmulBackward0, out, [self, tensor1, tensor2], [tensor1, tensor2], { value, selfShape: self._shape });
}

/** `self + value * tensor1 / tensor2` (AddcdivBackward0). */
export function addcdiv(self: Tensor, tensor1: Tensor, tensor2: Tensor, value = 1): Tensor {
  const out = withGradMode(false, () => add(self, div(tensor1, tensor2), value));
  return record(AddcdivBackward0, out, [self, tensor1, tensor2], [tensor1, tensor2], { value, selfShape: self._shape });
}

// ---- clamp, maximum, where ------------------------------------------------------------------------------

const lowerBoundKernel = new BinaryKernel('(b > a ? b : a)');
const upperBoundKernel = new BinaryKernel('(b < a ? b : a)');
const maximumKernel = new BinaryKernel('((a > b || a !== a) ? a : b)');
const minimumKernel = new BinaryKernel('((a < b || a !== a) ? a : b)');

interface ClampAttrs {
  min: number | null;
  max: number | null;
}

const ClampBackward1 = derivative<ClampAttrs>({
  name: 'ClampBackward1',
  saved: ['self'],
  scalars: ['min', 'max'],
  formulas: { self: 'grad * (min <= self <= max)' },
  backward: (grad, [self], at) => {
    let inside: Tensor | null = null;
    if (at.min !== null) inside = ge(self, at.min);
    if (at.max !== null) inside = inside ? logicalAnd(inside, le(self, at.max)) : le(self, at.max);
    return [inside ? where(inside, grad, 0) : grad];
  },
});

const ClampBackward0 = derivative({
  name: 'ClampBackward0',
  saved: ['self', 'min', 'max'],
  formulas: { self: 'grad * (min <= self <= max)', min: 'grad * (self < min)', max: 'grad * (self > max)' },
  backward: (grad, [self, min, max], _at, node) => {
    const below = min ? lt(self, min) : null;
    const above = max ? gt(self, max) : null;
    const outside = below && above ? logicalOr(below, above) : below ?? above!;
    return [
      node.needs(0) ? where(outside, 0, grad) : null,
      node.needs(1) ? sumToShape(where(below!, grad, 0), min!._shape) : null,
      node.needs(2) ? sumToShape(where(above!, grad, 0), max!._shape) : null,
    ];
  },
});

/** Clamps into [min, max] (ClampBackward1 for scalar bounds, ClampBackward0 for tensor bounds). */
export function clamp(x: Tensor, min: Operand | null, max: Operand | null): Tensor {
  if (min === null && max === null) throw new RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None");
  const bounds = [min, max].filter((b): b is Operand => b !== null);
  const dtype = promote(x, ...bounds);
  let out: Tensor = x;
  if (min !== null) out = binaryForward(lowerBoundKernel, out, min, dtype);
  if (max !== null) out = binaryForward(upperBoundKernel, out, max, dtype);
  if (min instanceof Tensor || max instanceof Tensor) {
    const minT = tensorOrNull(min), maxT = tensorOrNull(max);
    return record(ClampBackward0, out, [x, minT, maxT], [x, minT, maxT]);
  }
  return record(ClampBackward1, out, [x], [x], { min: min === null ? null : Number(min), max: max === null ? null : Number(max) });
}

const MaximumBackward0 = derivative({
  name: 'MaximumBackward0',
  saved: ['self', 'other'],
  formulas: { self: 'grad * (self >= other) (halved on ties)', other: 'grad * (other >= self) (halved on ties)' },
  backward: (grad, [self, other], _at, node) => extremumBackward(grad, self, other, node.needs(0), node.needs(1), gt),
});

const MinimumBackward0 = derivative({
  name: 'MinimumBackward0',
  saved: ['self', 'other'],
  formulas: { self: 'grad * (self <= other) (halved on ties)', other: 'grad * (other <= self) (halved on ties)' },
  backward: (grad, [self, other], _at, node) => extremumBackward(grad, self, other, node.needs(0), node.needs(1), lt),
});

function extremumBackward(grad: Tensor, self: Tensor, other: Tensor, needSelf: boolean, needOther: boolean, wins: (a: Tensor, b: Tensor) => Tensor): (Tensor | null)[] {
  const shared = where(eq(self, other), div(grad, 2), grad);
  return [
    needSelf ? sumToShape(where(wins(other, self), 0, shared), self._shape) : null,
    needOther ? sumToShape(where(wins(self, other), 0, shared), other._shape) : null,
  ];
}

/** Elementwise maximum (MaximumBackward0; NaN propagates). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  return record(MaximumBackward0, binaryForward(maximumKernel, a, b, promote(a, b)), [a, b], [a, b]);
}

/** Elementwise minimum (MinimumBackward0; NaN propagates). */
export function minimum(a: Tensor, b: Tensor): Tensor {
  return record(MinimumBackward0, binaryForward(minimumKernel, a, b, promote(a, b)), [a, b], [a, b]);
}

const WhereBackward0 = derivative({
  name: 'WhereBackward0',
  saved: ['condition'],
  formulas: { self: 'where(condition, grad, 0)', other: 'where(condition, 0, grad)' },
  backward: (grad, [condition, self, other], _at, node) => [
    node.needs(0) ? sumToShape(where(condition, grad, 0), self._shape) : null,
    node.needs(1) ? sumToShape(where(condition, 0, grad), other._shape) : null,
  ],
});

/** `torch.where(condition, self, other)`: elements of self where condition holds, else of other (WhereBackward0). */
export function where(condition: Tensor, a: Operand, b: Operand): Tensor {
  const dtype = promote(a, b);
  const shape = broadcastShapes(condition._shape, broadcastShapes(shapeOf(a), shapeOf(b)));
  const out = emptyTensor(shape, dtype);
  const x = kernelOperand(a, dtype, 0), y = kernelOperand(b, dtype, 1);
  const operands: Strided[] = [out, condition, x, y];
  const [dims, strides] = coalesce(shape, operands.map((o, i) => (i === 0 ? o._strides : broadcastStrides(o, shape))));
  const last = dims.length - 1;
  const [o, c, xb, yb] = operands.map((v) => v._buffer);
  const step = strides.map((s) => s[last] ?? 0);
  forEachRow(dims, strides, operands.map((v) => v._offset), (offsets, n) => {
    let [oo, co, xo, yo] = offsets;
    for (let i = 0; i < n; i++, oo += step[0], co += step[1], xo += step[2], yo += step[3]) o[oo] = c[co] ? xb[xo] : yb[yo];
  });
  const inputA = tensorOrNull(a), inputB = tensorOrNull(b);
  return record(WhereBackward0, out, [inputA, inputB], [condition, inputA ?? out, inputB ?? out]);
}

const MaskedFillBackward0 = derivative<ShapeAttrs>({
  name: 'MaskedFillBackward0',
  saved: ['mask'],
  formulas: { self: 'grad.masked_fill(mask, 0)' },
  backward: (grad, [mask], at) => [sumToShape(where(mask, 0, grad), at.shape)],
});

/** Elements of `x` replaced by `value` where `mask` (bool, broadcastable) holds (MaskedFillBackward0). */
export function masked_fill(x: Tensor, mask: Tensor, value: Scalar): Tensor {
  if (mask._dtype !== bool) throw new RuntimeError(`masked_fill_ only supports boolean masks, but got mask with dtype ${mask._dtype.name === 'int64' ? 'long int' : mask._dtype.name}`);
  const out = withGradMode(false, () => where(mask, Number(value), x));
  const result = out._dtype === x._dtype ? out : convert(out, x._dtype);
  return record(MaskedFillBackward0, result, [x], [mask], { shape: x._shape, dtype: x._dtype });
}

// ---- comparisons ----------------------------------------------------------------------------------------

const comparisonKernels = {
  eq: new BinaryKernel('a === b'),
  ne: new BinaryKernel('a !== b'),
  lt: new BinaryKernel('a < b'),
  le: new BinaryKernel('a <= b'),
  gt: new BinaryKernel('a > b'),
  ge: new BinaryKernel('a >= b'),
};
const logicalKernels = {
  and: new BinaryKernel('(a && b) ? 1 : 0'),
  or: new BinaryKernel('(a || b) ? 1 : 0'),
};

/** Elementwise comparison into a bool tensor (not differentiable). */
export function compare(kind: keyof typeof comparisonKernels, a: Tensor, b: Operand): Tensor {
  return binaryForward(comparisonKernels[kind], a, b, promote(a, b), bool);
}

function eq(a: Tensor, b: Operand): Tensor {
  return compare('eq', a, b);
}
function ge(a: Tensor, b: Operand): Tensor {
  return compare('ge', a, b);
}
function le(a: Tensor, b: Operand): Tensor {
  return compare('le', a, b);
}
function lt(a: Tensor, b: Operand): Tensor {
  return compare('lt', a, b);
}
function gt(a: Tensor, b: Operand): Tensor {
  return compare('gt', a, b);
}

const notKernel = new UnaryKernel('(a ? 0 : 1)');

/** Elementwise logical not into a bool tensor. */
export function logicalNot(a: Tensor): Tensor {
  return unaryForward(notKernel, a, bool);
}

/** Elementwise logical and into a bool tensor. */
export function logicalAnd(a: Tensor, b: Tensor): Tensor {
  return binaryForward(logicalKernels.and, a, b, bool);
}

/** Elementwise logical or into a bool tensor. */
export function logicalOr(a: Tensor, b: Tensor): Tensor {
  return binaryForward(logicalKernels.or, a, b, bool);
}

/** True when the shapes and all elements are equal (`torch.equal`). */
export function equal(a: Tensor, b: Tensor): boolean {
  if (!sameShape(a._shape, b._shape)) return false;
  const same = compare('eq', a, b)._buffer;
  return same.every((v) => v === 1);
}

/** `torch.allclose`: |a - b| <= atol + rtol * |b| everywhere (NaNs differ). */
export function allclose(a: Tensor, b: Tensor, rtol: number, atol: number): boolean {
  const close = binaryForward(new BinaryKernel(`Math.abs(a - b) <= ${atol} + ${rtol} * Math.abs(b)`), a, b, float64, bool);
  return close._buffer.every((v) => v === 1);
}

// ---- creation helpers used by backward formulas ------------------------------------------------------------

/** Zeros shaped and typed like `x`. */
export function zerosLike(x: Tensor): Tensor {
  return emptyTensor(x._shape, x._dtype);
}

// ---- in-place -------------------------------------------------------------------------------------------

const pythonTypeNames = new Map<DType, string>([[float32, 'Float'], [float64, 'Double'], [bool, 'Bool']]);

function typeName(dtype: DType): string {
  return pythonTypeNames.get(dtype) ?? 'Long';
}

/** Raises PyTorch's errors for in-place ops on leaves requiring grad (and views of them) in grad mode. */
export function checkInplace(self: Tensor): void {
  if (!is_grad_enabled() || !self.requires_grad) return;
  if (self._gradFn === null && self._requiresGrad) {
    throw new RuntimeError('a leaf Variable that requires grad is being used in an in-place operation.');
  }
  const base = self._base;
  if (base !== null && base._gradFn === null && base._requiresGrad) {
    throw new RuntimeError('a view of a leaf Variable that requires grad is being used in an in-place operation.');
  }
}

/** Writes `result` into `self`'s storage (broadcasting, converting), bumping the version counter. */
function writeInto(self: Tensor, result: Tensor): void {
  const shape = broadcastShapes(self._shape, result._shape);
  if (!sameShape(shape, self._shape)) {
    throw new RuntimeError(`output with shape ${shapeString(self._shape)} doesn't match the broadcast shape ${shapeString(shape)}`);
  }
  conversionKernel(self._dtype).run(self, result);
  self._versionCounter.value++;
}

/** An autograd stand-in for `self` holding a copy of its current values, so saved values survive the write. */
function snapshot(self: Tensor): Tensor {
  const copy = convert(self, self._dtype);
  copy._gradFn = self._gradFn;
  copy._outputNr = self._outputNr;
  copy._requiresGrad = self._requiresGrad;
  return copy;
}

/**
 * Runs an in-place op: `compute(self)` gives the out-of-place result, which is written into `self`;
 * when recording, `self` takes over the result's grad_fn, as PyTorch rebases history for in-place ops.
 */
export function inplace<T extends Tensor>(self: T, compute: (self: Tensor) => Tensor, others: readonly (Operand | null)[], anyCast = false): T {
  checkInplace(self);
  const recording = needsRecording([self, ...others.map(tensorOrNull)]);
  const result = recording ? compute(snapshot(self)) : withGradMode(false, () => compute(self));
  if (!anyCast && result._dtype.category > self._dtype.category) {
    throw new RuntimeError(`result type ${typeName(result._dtype)} can't be cast to the desired output type ${typeName(self._dtype)}`);
  }
  writeInto(self, result);
  if (recording && self._base !== null) {
    rebaseView(self._base, self, result._gradFn!);
  } else if (recording) {
    self._gradFn = result._gradFn;
    self._outputNr = result._outputNr;
  }
  return self;
}

interface ShapeAttrs {
  shape: readonly number[];
  dtype: DType;
}

const FillBackward0 = derivative({
  name: 'FillBackward0',
  formulas: { self: '0' },
  backward: (grad) => [zerosLike(grad)],
});

const CopyBackwards = derivative<ShapeAttrs>({
  name: 'torch::autograd::CopyBackwards',
  formulas: { self: '0', src: 'grad' },
  backward: (grad, _saved, at, node) => [
    node.needs(0) ? zerosLike(grad) : null,
    node.needs(1) ? sumToShape(grad, at.shape).to(at.dtype) : null,
  ],
});

/** Fills `self` with a scalar (or 0-dim tensor's) value. */
export function fill_<T extends Tensor>(self: T, value: Operand): T {
  const scalar = value instanceof Tensor ? (value.item() as number) : Number(value);
  return inplace(self, (s) => {
    const out = emptyTensor(s._shape, s._dtype);
    out._buffer.fill(s._dtype.cast(scalar));
    return record(FillBackward0, out, [s]);
  }, [], true);
}

/** Copies `src` into `self` (broadcast, converted), as `Tensor.copy_` (CopyBackwards). */
export function copy_<T extends Tensor>(self: T, src: Tensor): T {
  return inplace(self, (s) => {
    const out = emptyTensor(s._shape, s._dtype);
    writeInto(out, src);
    return record(CopyBackwards, out, [s, src], [], { shape: src._shape, dtype: src._dtype });
  }, [src], true);
}

/** Draws `n` samples of a distribution in a float dtype; `contiguous` says whether the tensor filled is (normal_ cares). */
export type Draw = (n: number, dtype: 'float32' | 'float64', contiguous: boolean) => Float32Array | Float64Array;

/**
 * Fills `self` with what `draw` gives (`normal_`, `uniform_`, `bernoulli_`, `exponential_`), not recorded. A
 * non-contiguous tensor is filled in memory order (TensorIterator visits the largest stride outermost), and
 * normal_ then takes PyTorch's scalar path whatever the size.
 */
export function fill_random<T extends Tensor>(self: T, draw: Draw): T {
  checkInplace(self);
  const contiguous = self.is_contiguous();
  const values = draw(self.numel(), self._dtype === float64 ? 'float64' : 'float32', contiguous);
  const target = contiguous ? self : inMemoryOrder(self);
  writeInto(target, Tensor._make(values, target._shape.slice(), contiguousStrides(target._shape), 0, values instanceof Float32Array ? float32 : float64));
  return self;
}

/** A view of `t` with its dimensions permuted so that the largest stride is outermost (a stable sort). */
function inMemoryOrder(t: Tensor): Tensor {
  const order = t._shape.map((_, dim) => dim).sort((a, b) => t._strides[b]! - t._strides[a]!);
  return t._view(order.map((dim) => t._shape[dim]!), order.map((dim) => t._strides[dim]!), t._offset);
}
