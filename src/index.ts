/** The `torch` namespace: named export and default export. */
import * as dtypes from './dtype.js';
import * as creation from './creation.js';
import * as gradMode from './autograd/grad_mode.js';
import * as autogradApi from './autograd/api.js';
import * as autogradFunctional from './autograd/functional.js';
import { Node, AccumulateGrad, OpNode, RemovableHandle } from './autograd/node.js';
import * as nn from './nn/index.js';
import * as optim from './optim/index.js';
import * as viz from './viz/index.js';
import * as P from './ops/pointwise.js';
import * as A from './ops/activation.js';
import * as R from './ops/reduction.js';
import * as L from './ops/linalg.js';
import * as S from './ops/shape.js';
import { splitOptions, arg, type Scalar } from './ops/common.js';
import { Tensor, slice, tensorDisplayHooks } from './tensor.js';
import { Size } from './size.js';
import { manual_seed, default_generator, Generator } from './random.js';
import { callableClass } from './nn/callable.js';
import { set_printoptions } from './format.js';
import { RuntimeError, ValueError, IndexError } from './errors.js';
import type * as nnTypes from './nn/index.js';
import type * as optimTypes from './optim/index.js';

type Operand = Tensor | Scalar;

/** Names of Tensor methods returning a tensor. */
type TensorMethod = { [K in keyof Tensor]: Tensor[K] extends (...args: never[]) => Tensor ? K : never }[keyof Tensor];

/** Calls a Tensor method as the function `torch.name(tensor, ...args)`, typed like the method. */
function method<K extends TensorMethod>(name: K): (self: Tensor, ...args: Parameters<Tensor[K]>) => Tensor {
  return (self: Tensor, ...args: Parameters<Tensor[K]>) => (self[name] as (...a: unknown[]) => Tensor)(...args);
}

/** `torch`: creation functions, math functions, dtypes, grad modes, autograd, nn.functional. */
export const torch = {
  ...creation,
  Tensor,
  Size,
  /** `torch.Generator()`: a random number generator of its own, to pass as the `generator` option. */
  Generator: callableClass(Generator),
  dtype: dtypes.DType,
  float32: dtypes.float32,
  float: dtypes.float32,
  float64: dtypes.float64,
  double: dtypes.float64,
  int64: dtypes.int64,
  long: dtypes.int64,
  bool: dtypes.bool,
  get_default_dtype: dtypes.get_default_dtype,
  set_default_dtype: dtypes.set_default_dtype,
  promote_types: dtypes.promote_types,
  manual_seed,
  default_generator,
  set_printoptions,
  slice,
  no_grad: gradMode.no_grad,
  enable_grad: gradMode.enable_grad,
  set_grad_enabled: gradMode.set_grad_enabled,
  is_grad_enabled: gradMode.is_grad_enabled,
  autograd: {
    backward: autogradApi.backward,
    grad: autogradApi.grad,
    functional: autogradFunctional,
    graph: { Node },
  },
  nn,
  optim,
  viz,
  /** `torch.add(input, other, {alpha})`. */
  add: (input: Tensor, other: Operand, options?: { alpha?: number }) => input.add(other, options),
  /** `torch.sub(input, other, {alpha})`. */
  sub: (input: Tensor, other: Operand, options?: { alpha?: number }) => input.sub(other, options),
  /** `torch.rsub(input, other, {alpha})`: `other - alpha * input`. */
  rsub: (input: Tensor, other: Operand, options?: { alpha?: number }) => input.rsub(other, options),
  /** `torch.mul(input, other)`. */
  mul: (input: Tensor, other: Operand) => input.mul(other),
  /** `torch.div(input, other)`. */
  div: (input: Tensor, other: Operand) => input.div(other),
  /** `torch.remainder(input, other)`: Python's modulo; the input may be a Python scalar. */
  remainder: (input: Operand, other: Operand) => P.remainder(input, other),
  /** `torch.pow(input, exponent)`; the base may be a Python scalar. */
  pow: (input: Operand, exponent: Operand) => P.pow(input, exponent),
  neg: method('neg'),
  exp: method('exp'),
  erf: method('erf'),
  log: method('log'),
  sqrt: method('sqrt'),
  sin: method('sin'),
  log1p: method('log1p'),
  expm1: method('expm1'),
  floor: method('floor'),
  ceil: method('ceil'),
  round: method('round'),
  trunc: method('trunc'),
  cumsum: method('cumsum'),
  flip: method('flip'),
  tril: method('tril'),
  triu: method('triu'),
  gather: method('gather'),
  /** `torch.outer(a, b)`: `a.reshape(-1, 1) * b`, as PyTorch 1.13 composes it. */
  outer: (a: Tensor, b: Tensor) => S.reshape(a, [-1, 1]).mul(b),
  cos: method('cos'),
  square: method('square'),
  abs: method('abs'),
  sign: method('sign'),
  reciprocal: method('reciprocal'),
  clamp: method('clamp'),
  clip: method('clip'),
  relu: A.relu,
  sigmoid: A.sigmoid,
  tanh: A.tanh,
  /** `torch.softmax(input, dim)`. */
  softmax: (input: Tensor, ...args: unknown[]) => input.softmax(...args),
  /** `torch.multinomial(input, num_samples, replacement, {generator})`: category indices drawn per row of weights. */
  multinomial: method('multinomial'),
  /** `torch.bernoulli(input, {generator})`: 1 or 0 per element, drawn with the element's probability. */
  bernoulli: method('bernoulli'),
  /** `torch.logsumexp(input, dim, keepdim)`. */
  logsumexp: (input: Tensor, ...args: unknown[]) => input.logsumexp(...args),
  /** `torch.log_softmax(input, dim)`. */
  log_softmax: (input: Tensor, ...args: unknown[]) => input.log_softmax(...args),
  maximum: P.maximum,
  minimum: P.minimum,
  /** `torch.where(condition, input, other)`. */
  where: (condition: Tensor, input: Operand, other: Operand) => P.where(condition, input, other),
  eq: method('eq'),
  ne: method('ne'),
  lt: method('lt'),
  le: method('le'),
  gt: method('gt'),
  ge: method('ge'),
  equal: (a: Tensor, b: Tensor) => a.equal(b),
  allclose: (a: Tensor, b: Tensor, options?: { rtol?: number; atol?: number }) => a.allclose(b, options),
  sum: method('sum'),
  var: method('var'),
  prod: method('prod'),
  std: method('std'),
  norm: method('norm'),
  mean: method('mean'),
  /** `torch.max(input)`, `torch.max(input, dim, keepdim)` or `torch.max(input, other)`. */
  max: (input: Tensor, ...args: unknown[]) => R.extremeCall(input, args, true),
  /** `torch.min(input)`, `torch.min(input, dim, keepdim)` or `torch.min(input, other)`. */
  min: (input: Tensor, ...args: unknown[]) => R.extremeCall(input, args, false),
  argmax: method('argmax'),
  /** `torch.sort(input, dim, descending)`. */
  sort: (input: Tensor, ...args: unknown[]) => input.sort(...args),
  argsort: method('argsort'),
  /** `torch.topk(input, k, dim, largest)`. */
  topk: (input: Tensor, k: number, ...args: unknown[]) => input.topk(k, ...args),
  argmin: method('argmin'),
  matmul: L.matmul,
  mm: L.mm,
  bmm: L.bmm,
  mv: L.mv,
  dot: L.dot,
  /** `torch.addmm(input, mat1, mat2, {beta, alpha})`. */
  addmm: (input: Tensor, mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }) => input.addmm(mat1, mat2, options),
  t: S.t,
  transpose: S.transpose,
  /** `torch.permute(input, dims)`. */
  permute: (input: Tensor, dims: number[]) => S.permute(input, dims),
  /** `torch.reshape(input, shape)`. */
  reshape: (input: Tensor, shape: number[]) => S.reshape(input, shape),
  flatten: method('flatten'),
  squeeze: method('squeeze'),
  unsqueeze: S.unsqueeze,
  select: S.select,
  narrow: S.narrow,
  index_select: S.index_select,
  unbind: S.unbind,
  split: S.split,
  chunk: S.chunk,
  /** `torch.cat(tensors, dim)`. */
  cat: (tensors: Tensor[], ...args: unknown[]) => {
    const [positional, options] = splitOptions(args);
    return S.cat(tensors, arg(positional, options, 0, 'dim', 0));
  },
  /** `torch.stack(tensors, dim)`. */
  stack: (tensors: Tensor[], ...args: unknown[]) => {
    const [positional, options] = splitOptions(args);
    return S.stack(tensors, arg(positional, options, 0, 'dim', 0));
  },
  clone: S.clone,
  /** `torch.numel(input)`. */
  numel: (input: Tensor) => input.numel(),
  /** `torch.is_tensor(obj)`. */
  is_tensor: (obj: unknown) => obj instanceof Tensor,
};

/** The instance types behind `torch`'s classes, so that `let t: torch.Tensor` reads as PyTorch's type hints. */
type TensorType = Tensor;
type SizeType = Size;
type GeneratorType = Generator;
type NodeType = Node;

/** `torch.Tensor`, `torch.nn.Linear`, `torch.optim.SGD`... as types: `function fit(model: torch.nn.Module)`. */
export declare namespace torch {
  type Tensor = TensorType;
  type Size = SizeType;
  type Generator = GeneratorType;
  type dtype = dtypes.DType;
  namespace autograd.graph {
    type Node = NodeType;
  }
  namespace nn {
    type Module = nnTypes.Module;
    type Parameter = nnTypes.Parameter;
    type Linear = nnTypes.Linear;
    type Identity = nnTypes.Identity;
    type Flatten = nnTypes.Flatten;
    type ReLU = nnTypes.ReLU;
    type Sigmoid = nnTypes.Sigmoid;
    type Tanh = nnTypes.Tanh;
    type Softmax = nnTypes.Softmax;
    type Sequential = nnTypes.Sequential;
    type MSELoss = nnTypes.MSELoss;
    type L1Loss = nnTypes.L1Loss;
    type CrossEntropyLoss = nnTypes.CrossEntropyLoss;
    type NLLLoss = nnTypes.NLLLoss;
    type BCELoss = nnTypes.BCELoss;
    type BCEWithLogitsLoss = nnTypes.BCEWithLogitsLoss;
  }
  namespace optim {
    type Optimizer = optimTypes.Optimizer;
    type SGD = optimTypes.SGD;
    type Adam = optimTypes.Adam;
  }
}

export default torch;
export { Tensor, Size, Node, AccumulateGrad, OpNode, RemovableHandle, tensorDisplayHooks, RuntimeError, ValueError, IndexError };
export { binaryOperator, unaryOperator, type BinaryOperator } from './operators.js';
export type { Derivative } from './autograd/node.js';
