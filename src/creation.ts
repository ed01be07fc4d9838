/** Tensor creation: torch.tensor, zeros/ones/full/empty, arange, linspace, eye, random tensors, *_like forms. */
import { Category, type DType, bool, float32, float64, get_default_dtype, int64, scalarDtype } from './dtype.js';
import { allocationError, RuntimeError, ValueError } from './errors.js';
import { contiguousStrides, numelOf } from './kernels/strided.js';
import type { Generator } from './random.js';
import { Tensor } from './tensor.js';
import { isScalar, parseShape, splitOptions, type Options } from './ops/common.js';
import { convert } from './ops/pointwise.js';
import { generatorOf } from './ops/sampling.js';

/** Keyword arguments shared by the creation functions. */
export interface CreationOptions {
  dtype?: DType;
  requires_grad?: boolean;
  /** For the random creators: the generator to draw from (the default one when absent). */
  generator?: Generator;
}

function finish(t: Tensor, options: Options): Tensor {
  if (options.requires_grad) t.requires_grad_(true);
  return t;
}

/** How many elements a new tensor of this shape holds, refusing what PyTorch refuses: negative sizes, and more bytes than it can count. */
function elementsOf(shape: readonly number[], dtype: DType): number {
  for (const size of shape) {
    if (!Number.isInteger(size) || size < 0) throw new RuntimeError(`Trying to create tensor with negative dimension ${size}: [${shape.join(', ')}]`);
  }
  const numel = numelOf(shape);
  if (numel * dtype.itemsize >= 2 ** 63) throw new RuntimeError(`Storage size calculation overflowed with sizes=[${shape.join(', ')}]`);
  return numel;
}

/** Samples `numel` values with `draw`, a refused allocation raised as PyTorch's allocator raises it. */
function sample<T>(numel: number, dtype: DType, draw: (numel: number) => T): T {
  try {
    return draw(numel);
  } catch (error) {
    throw allocationError(error, numel * dtype.itemsize);
  }
}

function make(shape: number[], dtype: DType, fill?: number): Tensor {
  const buffer = dtype.allocate(elementsOf(shape, dtype));
  if (fill !== undefined && fill !== 0) buffer.fill(dtype.cast(fill));
  return Tensor._make(buffer, shape, contiguousStrides(shape), 0, dtype);
}

/** Splits `(...sizes, options?)` into a shape and keyword options. */
function sizeArgs(args: unknown[]): [number[], Options] {
  const [positional, options] = splitOptions(args);
  return [parseShape(positional), options];
}

// ---- torch.tensor ---------------------------------------------------------------------------------------

type Nested = number | boolean | Number | Nested[] | ArrayLike<number>;

function typedArrayDtype(data: ArrayBufferView): DType {
  if (data instanceof Float32Array) return float32;
  if (data instanceof Float64Array) return float64;
  return int64;
}

/** Walks nested data: shape, flat values, inferred dtype (bool < int64 < default float, typed arrays by type). */
function flatten(data: Nested): { shape: number[]; values: number[]; dtype: DType | null } {
  const values: number[] = [];
  const shape: number[] = [];
  let dtype: DType | null = null;
  const widen = (next: DType): void => {
    dtype = dtype === null || next.category > dtype.category || (next === float64 && dtype === float32) ? next : dtype;
  };
  const visit = (item: Nested, depth: number): void => {
    if (isScalar(item)) {
      if (depth !== shape.length) throw new ValueError(`expected sequence of length ${shape[depth]} at dim ${depth} (got 0)`);
      widen(scalarDtype(item));
      values.push(Number(item));
      return;
    }
    if (item instanceof Tensor) {
      const list = item.tolist();
      widen(item.dtype);
      visit(list as Nested, depth);
      return;
    }
    const items = ArrayBuffer.isView(item) ? Array.from(item as ArrayLike<number>) : (item as Nested[]);
    if (ArrayBuffer.isView(item)) widen(typedArrayDtype(item as ArrayBufferView));
    if (depth === shape.length) {
      if (values.length > 0) throw new ValueError(`expected sequence of length 0 at dim ${depth}`);
      shape.push(items.length);
    } else if (shape[depth] !== items.length) {
      throw new ValueError(`expected sequence of length ${shape[depth]} at dim ${depth} (got ${items.length})`);
    }
    if (ArrayBuffer.isView(item)) {
      if (depth + 1 !== shape.length && items.length) shape.length = depth + 1;
      for (const v of items) values.push(Number(v));
      return;
    }
    for (const sub of items) visit(sub, depth + 1);
  };
  visit(data, 0);
  return { shape, values, dtype };
}

/**
 * `torch.tensor(data, {dtype, requires_grad})` from a number, boolean, nested arrays or typed arrays.
 * Integers infer int64 as in Python; since JS cannot tell `1.` from `1`, integral data asked to require
 * grad without a dtype becomes the default float (a boxed `new Number(1)` also counts as a Python float).
 */
export function tensor(data: Nested | Tensor, options: CreationOptions = {}): Tensor {
  const { shape, values, dtype: inferred } = flatten(data as Nested);
  let dtype = options.dtype ?? inferred ?? get_default_dtype();
  if (options.dtype === undefined && options.requires_grad && dtype.category !== Category.Floating) dtype = get_default_dtype();
  const buffer = dtype.allocate(values.length);
  for (let i = 0; i < values.length; i++) buffer[i] = dtype.cast(values[i]);
  return finish(Tensor._make(buffer, shape, contiguousStrides(shape), 0, dtype), options as Options);
}

/** `torch.from_numpy` for typed arrays: a 1-D (or `shape`d) tensor sharing the array's memory. */
export function from_numpy(array: Float32Array | Float64Array, shape?: number[]): Tensor {
  const dims = shape ?? [array.length];
  if (numelOf(dims) !== array.length) throw new RuntimeError(`shape '[${dims.join(', ')}]' is invalid for input of size ${array.length}`);
  return Tensor._make(array, dims, contiguousStrides(dims), 0, array instanceof Float32Array ? float32 : float64);
}

/** `torch.as_tensor`: the tensor itself when already one, else `torch.tensor(data)`. */
export function as_tensor(data: Nested | Tensor, options: CreationOptions = {}): Tensor {
  if (data instanceof Tensor) return options.dtype ? data.to(options.dtype) : data;
  return tensor(data, options);
}

// ---- filled ---------------------------------------------------------------------------------------------

/** `torch.zeros(*size, {dtype, requires_grad})`. */
export function zeros(...args: unknown[]): Tensor {
  const [shape, options] = sizeArgs(args);
  return finish(make(shape, (options.dtype as DType) ?? get_default_dtype()), options);
}

/** `torch.ones(*size, {dtype, requires_grad})`. */
export function ones(...args: unknown[]): Tensor {
  const [shape, options] = sizeArgs(args);
  return finish(make(shape, (options.dtype as DType) ?? get_default_dtype(), 1), options);
}

/** `torch.empty(*size)`: zero-filled here (JS typed arrays always are). */
export function empty(...args: unknown[]): Tensor {
  return zeros(...args);
}

/** `torch.full(size, fill_value, {dtype})`; the dtype follows the fill value as in PyTorch. */
export function full(size: number[], fillValue: number | boolean, options: CreationOptions = {}): Tensor {
  const dtype = options.dtype ?? scalarDtype(fillValue);
  return finish(make(size.slice(), dtype, Number(fillValue)), options as Options);
}

function likeArgs(x: Tensor, options: Options): [number[], DType] {
  return [x._shape.slice(), (options.dtype as DType) ?? x._dtype];
}

/** `torch.zeros_like(x)`. */
export function zeros_like(x: Tensor, options: CreationOptions = {}): Tensor {
  const [shape, dtype] = likeArgs(x, options as Options);
  return finish(make(shape, dtype), options as Options);
}

/** `torch.ones_like(x)`. */
export function ones_like(x: Tensor, options: CreationOptions = {}): Tensor {
  const [shape, dtype] = likeArgs(x, options as Options);
  return finish(make(shape, dtype, 1), options as Options);
}

/** `torch.empty_like(x)` (zero-filled). */
export function empty_like(x: Tensor, options: CreationOptions = {}): Tensor {
  return zeros_like(x, options);
}

/** `torch.full_like(x, value)`. */
export function full_like(x: Tensor, value: number, options: CreationOptions = {}): Tensor {
  const [shape, dtype] = likeArgs(x, options as Options);
  return finish(make(shape, dtype, value), options as Options);
}

// ---- ranges ---------------------------------------------------------------------------------------------

/** `torch.arange(end)` or `torch.arange(start, end, step)`: int64 for integer arguments, else the default float. */
export function arange(...args: unknown[]): Tensor {
  const [positional, options] = splitOptions(args);
  const numbers = positional.map(Number);
  const [start, end, step] = numbers.length === 1 ? [0, numbers[0], 1] : [numbers[0], numbers[1], numbers[2] ?? 1];
  if (step === 0) throw new RuntimeError('step must be nonzero');
  if ((step > 0 && start > end) || (step < 0 && start < end)) throw new RuntimeError('upper bound and larger bound inconsistent with step sign');
  const integral = positional.every((v) => typeof v === 'number' && Number.isInteger(v));
  const dtype = (options.dtype as DType) ?? (integral ? int64 : get_default_dtype());
  const count = Math.ceil((end - start) / step);
  const out = make([count], dtype);
  for (let i = 0; i < count; i++) out._buffer[i] = start + i * step;
  return finish(out, options);
}

/** `torch.linspace(start, end, steps)`, filling from both ends as PyTorch's kernel does. */
export function linspace(start: number, end: number, steps: number, options: CreationOptions = {}): Tensor {
  const dtype = options.dtype ?? get_default_dtype();
  const out = make([steps], dtype);
  const round = dtype === float32 ? Math.fround : (v: number): number => v;
  const step = steps > 1 ? round((end - start) / (steps - 1)) : 0;
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out._buffer[i] = i < halfway ? round(start + round(step * i)) : round(end - round(step * (steps - i - 1)));
  }
  if (steps === 1) out._buffer[0] = start;
  return finish(out, options as Options);
}

/** `torch.eye(n, m)`: ones on the diagonal. */
export function eye(n: number, m?: number | CreationOptions, options: CreationOptions = {}): Tensor {
  const cols = typeof m === 'number' ? m : n;
  const opts = typeof m === 'object' ? m : options;
  const out = make([n, cols], opts.dtype ?? get_default_dtype());
  for (let i = 0; i < Math.min(n, cols); i++) out._buffer[i * cols + i] = 1;
  return finish(out, opts as Options);
}

// ---- random ---------------------------------------------------------------------------------------------

function floatName(dtype: DType): 'float32' | 'float64' {
  if (!dtype.is_floating_point) throw new RuntimeError(`"normal_kernel_cpu" not implemented for '${dtype === bool ? 'Bool' : 'Long'}'`);
  return dtype === float64 ? 'float64' : 'float32';
}

/** `torch.randn(*size)`: standard normal samples (from the `generator` option, else the default generator). */
export function randn(...args: unknown[]): Tensor {
  const [shape, options] = sizeArgs(args);
  const dtype = (options.dtype as DType) ?? get_default_dtype();
  const values = sample(elementsOf(shape, dtype), dtype, (numel) => generatorOf(options).normal(numel, floatName(dtype)));
  return finish(Tensor._make(values, shape, contiguousStrides(shape), 0, dtype), options);
}

/** `torch.rand(*size)`: uniform samples in [0, 1). */
export function rand(...args: unknown[]): Tensor {
  const [shape, options] = sizeArgs(args);
  const dtype = (options.dtype as DType) ?? get_default_dtype();
  const values = sample(elementsOf(shape, dtype), dtype, (numel) => generatorOf(options).uniform(numel, floatName(dtype)));
  return finish(Tensor._make(values, shape, contiguousStrides(shape), 0, dtype), options);
}

/** `torch.randint(high, size)` or `torch.randint(low, high, size)`: int64 unless a dtype is given. */
export function randint(...args: unknown[]): Tensor {
  const [positional, options] = splitOptions(args);
  const [low, high, size] = positional.length === 2 ? [0, positional[0] as number, positional[1] as number[]] : (positional as [number, number, number[]]);
  if (low >= high) throw new RuntimeError(`random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  const shape = Array.from(size);
  const values = sample(elementsOf(shape, int64), int64, (numel) => generatorOf(options).randint(low, high, numel));
  const dtype = (options.dtype as DType) ?? int64;
  const out = Tensor._make(values, shape, contiguousStrides(shape), 0, int64);
  return finish(dtype === int64 ? out : convert(out, dtype), options);
}

/** `torch.randperm(n)`: a random permutation of 0..n-1 (int64). */
export function randperm(n: number, options: CreationOptions = {}): Tensor {
  const out = Tensor._make(generatorOf(options as Options).randperm(n), [n], [1], 0, int64);
  return finish(options.dtype && options.dtype !== int64 ? convert(out, options.dtype) : out, options as Options);
}

/** `torch.randn_like(x)`. */
export function randn_like(x: Tensor, options: CreationOptions = {}): Tensor {
  return randn(x._shape, { dtype: options.dtype ?? x._dtype, requires_grad: options.requires_grad });
}

/** `torch.rand_like(x)`. */
export function rand_like(x: Tensor, options: CreationOptions = {}): Tensor {
  return rand(x._shape, { dtype: options.dtype ?? x._dtype, requires_grad: options.requires_grad });
}
