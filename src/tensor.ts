/** The Tensor: a strided view over typed-array storage, with autograd metadata and PyTorch's methods. */
import { Category, type DType, type Storage, bool, float32, float64, int64 } from './dtype.js';
import { RuntimeError, TypeError_, ValueError } from './errors.js';
import * as autograd from './autograd/api.js';
import { is_grad_enabled } from './autograd/grad_mode.js';
import { AccumulateGrad, RemovableHandle, type Node, type TensorHook } from './autograd/node.js';
import { nextStorageSerial, type CountedStorage } from './autograd/ownership.js';
import { contiguousStrides, isContiguous, numelOf, type Strided } from './kernels/strided.js';
import { Size } from './size.js';
import { tensorRepr, type DTypeName } from './format.js';
import * as P from './ops/pointwise.js';
import * as A from './ops/activation.js';
import * as R from './ops/reduction.js';
import * as L from './ops/linalg.js';
import * as S from './ops/shape.js';
import * as Rand from './ops/sampling.js';
import type { Generator } from './random.js';
import { arg, parseShape, splitOptions, type Scalar } from './ops/common.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');
const jupyterDisplay = Symbol.for('Jupyter.display');

/** The typed array behind one or more tensors; views share it. */
export class TensorStorage implements CountedStorage {
  /** @internal Creation order (autograd/ownership.ts tells gradients made during a backward pass by it). */
  readonly serial = nextStorageSerial();
  /** @internal The engine's count of the slots holding this storage during a backward run (autograd/ownership.ts). */
  countedRun = 0;
  /** @internal */
  holders = 0;

  /** @internal */
  constructor(public buffer: Storage) {}
}

/**
 * In-place modification counter, shared by a tensor and its views (not by `.data`), as PyTorch's. It reads
 * as a number (`t._version + 0`, printing `1`), standing in for PyTorch's int `t._version`.
 */
export class VersionCounter {
  value = 0;

  /** The count. */
  valueOf(): number {
    return this.value;
  }

  /** The count, as Python prints the int. */
  toString(): string {
    return String(this.value);
  }

  /** Node's inspect prints the count. */
  [inspectSymbol](): string {
    return String(this.value);
  }
}

/** One index of `Tensor.get`/`Tensor.set`: an integer, a slice, `null` (new axis), `'...'`, or an index tensor. */
export type Index = number | string | Slice | null | Tensor | number[];

/** A Python slice `start:stop:step` for `Tensor.get`; `torch.slice(1, null)` is `1:`. */
export class Slice {
  /** @internal */
  constructor(readonly start: number | null, readonly stop: number | null, readonly step: number | null) {}

  /** `slice(1, None, None)`. */
  toString(): string {
    const show = (v: number | null): string => (v === null ? 'None' : String(v));
    return `slice(${show(this.start)}, ${show(this.stop)}, ${show(this.step)})`;
  }
}

/** The `generator` keyword of the ops that draw random numbers. */
export interface RandomOptions {
  generator?: Generator;
}

/** Options of `torch.multinomial` / `Tensor.multinomial`. */
export interface MultinomialOptions extends RandomOptions {
  num_samples?: number;
  replacement?: boolean;
}

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  gradient?: Tensor | null;
  retain_graph?: boolean;
  create_graph?: boolean;
}

let warnedNonLeafGrad = false;

/** Hook through which `src/viz` supplies the `text/html` part of a tensor's rich display. */
export const tensorDisplayHooks: { html: ((t: Tensor) => string | undefined) | null } = { html: null };

/** A multi-dimensional array of numbers that can record the operations applied to it, as `torch.Tensor`. */
export class Tensor implements Strided {
  /** @internal */ _storage: TensorStorage;
  /** @internal */ _shape: number[];
  /** @internal */ _strides: number[];
  /** @internal */ _offset: number;
  /** @internal */ _dtype: DType;
  /** Made on first use: most tensors (results, gradients) are never saved, viewed or changed in place. */
  private versionCounter: VersionCounter | null;
  /** @internal True for a leaf created with requires_grad. */ _requiresGrad = false;
  /** @internal */ _grad: Tensor | null = null;
  /** @internal */ _gradFn: Node | null = null;
  /** @internal */ _outputNr = 0;
  /** @internal The tensor this one is a view of (for in-place checks). */ _base: Tensor | null = null;
  /** @internal */ _retainsGrad = false;
  private accumulator: AccumulateGrad | null = null;
  private sizeCache: Size | null = null;

  /** @internal Use `torch.tensor` and the other creation functions. */
  constructor(storage: TensorStorage, shape: number[], strides: number[], offset: number, dtype: DType, version: VersionCounter | null) {
    this._storage = storage;
    this._shape = shape;
    this._strides = strides;
    this._offset = offset;
    this._dtype = dtype;
    this.versionCounter = version;
  }

  /** @internal A new tensor over a fresh buffer. */
  static _make(buffer: Storage, shape: number[], strides: number[], offset: number, dtype: DType): Tensor {
    return new Tensor(new TensorStorage(buffer), shape, strides, offset, dtype, null);
  }

  /** @internal A view of this tensor's storage with other geometry, sharing the version counter. */
  _view(shape: number[], strides: number[], offset: number): Tensor {
    const view = new Tensor(this._storage, shape, strides, offset, this._dtype, this._versionCounter);
    view._base = this._base ?? this;
    return view;
  }

  /** @internal The in-place modification counter, shared with views (made here on first use). */
  get _versionCounter(): VersionCounter {
    return (this.versionCounter ??= new VersionCounter());
  }

  /** @internal The counter's value, without making the counter (a tensor without one was never changed in place). */
  get _versionNumber(): number {
    return this.versionCounter === null ? 0 : this.versionCounter.value;
  }

  /** @internal The backing typed array. */
  get _buffer(): Storage {
    return this._storage.buffer;
  }

  // ---- metadata -------------------------------------------------------------------------------------------

  /** The shape, as a `torch.Size`. */
  get shape(): Size {
    if (this.sizeCache === null || this.sizeCache.length !== this._shape.length || this.sizeCache.some((d, i) => d !== this._shape[i])) {
      this.sizeCache = Size.of_(this._shape);
    }
    return this.sizeCache;
  }

  /** `size()` is the shape; `size(dim)` one dimension's length. */
  size(): Size;
  size(dim: number): number;
  size(dim?: number): Size | number {
    if (dim === undefined) return this.shape;
    return this._shape[normalize(dim, this._shape.length)];
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this._shape.length;
  }

  /** Number of dimensions. */
  dim(): number {
    return this._shape.length;
  }

  /** Number of elements. */
  numel(): number {
    return numelOf(this._shape);
  }

  /** Number of elements (alias of numel). */
  nelement(): number {
    return this.numel();
  }

  /** Element type, e.g. `torch.float32`. */
  get dtype(): DType {
    return this._dtype;
  }

  /** Always `cpu`. */
  get device(): string {
    return 'cpu';
  }

  /** Strides in elements; `stride(dim)` for one dimension. */
  stride(): number[];
  stride(dim: number): number;
  stride(dim?: number): number[] | number {
    if (dim === undefined) return this._strides.slice();
    return this._strides[normalize(dim, this._shape.length)];
  }

  /** Offset of the first element in the storage. */
  storage_offset(): number {
    return this._offset;
  }

  /** Bytes per element. */
  element_size(): number {
    return this._dtype.itemsize;
  }

  /** True for float32 and float64 tensors. */
  is_floating_point(): boolean {
    return this._dtype.is_floating_point;
  }

  /** True when the elements are laid out row-major without gaps. */
  is_contiguous(): boolean {
    return isContiguous(this._shape, this._strides);
  }

  /** PyTorch's `t._version`: how many in-place changes this tensor (or a view of it) went through. */
  get _version(): VersionCounter {
    return this._versionCounter;
  }

  // ---- autograd metadata ------------------------------------------------------------------------------------

  /** Whether gradients are computed for this tensor (settable on leaves). */
  get requires_grad(): boolean {
    return this._requiresGrad || this._gradFn !== null;
  }

  set requires_grad(value: boolean) {
    this.requires_grad_(value);
  }

  /** Sets requires_grad in place and returns this tensor. */
  requires_grad_(requiresGrad = true): this {
    if (this._gradFn !== null && !requiresGrad) {
      throw new RuntimeError(
        'you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a ' +
          'subgraph that doesn\'t require differentiation use var_no_grad = var.detach().',
      );
    }
    if (requiresGrad && this._dtype.category !== Category.Floating) {
      throw new RuntimeError('only Tensors of floating point dtype can require gradients');
    }
    this._requiresGrad = requiresGrad;
    return this;
  }

  /** True for tensors not produced by a recorded op. */
  get is_leaf(): boolean {
    return this._gradFn === null;
  }

  /** The node that produced this tensor (null for leaves). */
  get grad_fn(): Node | null {
    return this._gradFn;
  }

  /** Index of this tensor among its grad_fn's outputs. */
  get output_nr(): number {
    return this._outputNr;
  }

  /** Accumulated gradient; on a non-leaf that does not retain grad, null with PyTorch's warning. */
  get grad(): Tensor | null {
    if (this._gradFn !== null && !this._retainsGrad && this._grad === null && !warnedNonLeafGrad) {
      warnedNonLeafGrad = true;
      process.emitWarning(
        "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be " +
          'populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf ' +
          'Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make ' +
          'sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more informations.',
        'UserWarning',
      );
    }
    return this._grad;
  }

  set grad(value: Tensor | null) {
    if (value !== null && (value._dtype !== this._dtype || !sameDims(value._shape, this._shape))) {
      throw new RuntimeError(
        value._dtype !== this._dtype
          ? 'assigned grad has data of a different type'
          : 'assigned grad has data of a different size',
      );
    }
    this._grad = value;
  }

  /** Whether this non-leaf keeps its `.grad`. */
  get retains_grad(): boolean {
    return this._retainsGrad;
  }

  /** Makes a non-leaf keep its gradient in `.grad` during backward. */
  retain_grad(): void {
    if (!this.requires_grad) throw new RuntimeError("can't retain_grad on Tensor that has requires_grad=False");
    if (this._gradFn === null || this._retainsGrad) return;
    this._retainsGrad = true;
    this._gradFn.retainGradHooks.push([this._outputNr, (grad: Tensor) => {
      this._grad = this._grad === null ? grad.detach().clone() : this._grad.add(grad.detach());
    }]);
  }

  /** Registers `fn(grad)`, called with this tensor's gradient; a returned tensor replaces it. */
  register_hook(fn: TensorHook): RemovableHandle {
    if (!this.requires_grad) {
      throw new RuntimeError("cannot register a hook on a tensor that doesn't require gradient");
    }
    if (this._gradFn !== null) return this._gradFn.addTensorHook(this._outputNr, fn);
    return this._gradAccumulator().addTensorHook(0, fn);
  }

  /** @internal The AccumulateGrad node of this leaf (one per leaf, shared by all ops using it). */
  _gradAccumulator(): AccumulateGrad {
    return (this.accumulator ??= new AccumulateGrad(this));
  }

  /**
   * @internal Adds an arriving gradient into `.grad`, as AccumulateGrad does. `owned` says that only the engine
   * holds the gradient's storage (autograd/ownership.ts): like PyTorch, `.grad` then adopts it instead of a copy.
   */
  _accumulateGrad(grad: Tensor, owned = false): void {
    if (this._grad === null) {
      const adoptable = owned && grad._dtype === this._dtype && sameDims(grad._shape, this._shape) && isContiguous(grad._shape, grad._strides);
      this._grad = is_grad_enabled() ? grad.clone() : adoptable ? grad.detach() : P.convert(grad, grad._dtype);
    } else if (is_grad_enabled()) {
      this._grad = this._grad.add(grad);
    } else {
      this._grad.add_(grad);
    }
  }

  /** Computes the gradient of this tensor with respect to the graph leaves, accumulating into their `.grad`. */
  backward(gradient?: Tensor | null | BackwardOptions, retainGraph?: boolean, createGraph?: boolean): void {
    if (gradient === undefined && retainGraph === undefined && createGraph === undefined) {
      autograd.backward(this);
      return;
    }
    const options: BackwardOptions = gradient instanceof Tensor || gradient == null ? { gradient, retain_graph: retainGraph, create_graph: createGraph } : gradient;
    autograd.backward(this, { grad_tensors: options.gradient ?? undefined, retain_graph: options.retain_graph, create_graph: options.create_graph });
  }

  /** A new tensor sharing storage and version counter, detached from the graph. */
  detach(): Tensor {
    return new Tensor(this._storage, this._shape, this._strides, this._offset, this._dtype, this._versionCounter);
  }

  /** Detaches this tensor from the graph in place. */
  detach_(): this {
    this._gradFn = null;
    this._requiresGrad = false;
    return this;
  }

  /** A detached view sharing storage but with its own version counter; assigning replaces this tensor's data. */
  get data(): Tensor {
    return new Tensor(this._storage, this._shape, this._strides, this._offset, this._dtype, null);
  }

  set data(value: Tensor) {
    this._storage = value._storage;
    this._shape = value._shape;
    this._strides = value._strides;
    this._offset = value._offset;
    this._dtype = value._dtype;
  }

  // ---- values -----------------------------------------------------------------------------------------------

  /** The single element as a JS number (at run time a boolean for bool tensors, as Python's True/False). */
  item(): number {
    if (this.numel() !== 1) throw new ValueError('only one element tensors can be converted to Python scalars');
    const value = this._storage.buffer[this._offset];
    return this._dtype === bool ? ((value !== 0) as unknown as number) : value;
  }

  /** The elements as nested arrays (a number for a 0-dim tensor); typed `any` so cells can index it freely. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  tolist(): any {
    const buffer = this._storage.buffer;
    const asBool = this._dtype === bool;
    const read = (dim: number, offset: number): unknown => {
      if (dim === this._shape.length) return asBool ? buffer[offset] !== 0 : buffer[offset];
      const out: unknown[] = [];
      for (let i = 0; i < this._shape[dim]; i++) out.push(read(dim + 1, offset + i * this._strides[dim]));
      return out;
    };
    return read(0, this._offset);
  }

  /** The elements in row-major order as a new typed array of this tensor's storage type. */
  toTypedArray(): Storage {
    const source = S.contiguous(this.detach());
    return source._buffer.slice(source._offset, source._offset + this.numel()) as Storage;
  }

  /** `JSON.stringify(t)` gives the nested values. */
  toJSON(): unknown {
    return this.tolist();
  }

  /** This tensor (everything lives on the CPU). */
  cpu(): this {
    return this;
  }

  /** Iterates over the first dimension, as Python's `for row in t`. */
  *[Symbol.iterator](): IterableIterator<Tensor> {
    if (this._shape.length === 0) throw new globalThis.TypeError('iteration over a 0-d tensor');
    for (let i = 0; i < this._shape[0]; i++) yield S.select(this, 0, i);
  }

  // ---- printing ---------------------------------------------------------------------------------------------

  /** PyTorch's repr, e.g. `tensor([1., 2.], requires_grad=True)`. */
  toString(): string {
    const source = { values: this.toTypedArray(), shape: this._shape, dtype: this._dtype.name as DTypeName };
    const suffixes = this._gradFn !== null ? { gradFn: this._gradFn.typeName } : { requiresGrad: this._requiresGrad };
    return tensorRepr(source, suffixes, 'tensor(');
  }

  /** Node's inspect (used for cell results) prints the repr. */
  [inspectSymbol](): string {
    return this.toString();
  }

  /** The Jupyter MIME bundle: the repr as text, plus HTML when src/viz registered a renderer. */
  [jupyterDisplay](): Record<string, string> {
    const bundle: Record<string, string> = { 'text/plain': this.toString() };
    const html = tensorDisplayHooks.html?.(this);
    if (html !== undefined) bundle['text/html'] = html;
    return bundle;
  }

  // ---- conversions ------------------------------------------------------------------------------------------

  /** Converts to `dtype` (`to(torch.float64)` or `to({dtype})`); returns this tensor when already that dtype. */
  to(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    const dtype = arg<DType | string | null>(positional, options, 0, 'dtype', null);
    if (dtype === null || typeof dtype === 'string') return this;
    return S.toDtype(this, dtype, arg(positional, options, 2, 'copy', false));
  }

  /** `to(torch.float32)`. */
  float(): Tensor {
    return S.toDtype(this, float32, false);
  }

  /** `to(torch.float64)`. */
  double(): Tensor {
    return S.toDtype(this, float64, false);
  }

  /** `to(torch.int64)`. */
  long(): Tensor {
    return S.toDtype(this, int64, false);
  }

  /** `to(torch.bool)`. */
  bool(): Tensor {
    return S.toDtype(this, bool, false);
  }

  /** A contiguous copy recorded as CloneBackward0. */
  clone(): Tensor {
    return S.clone(this);
  }

  /** This tensor if contiguous, else a contiguous copy. */
  contiguous(): Tensor {
    return S.contiguous(this);
  }

  // ---- arithmetic -------------------------------------------------------------------------------------------

  /** `self + alpha * other`. */
  add(other: Tensor | Scalar, options?: { alpha?: number }): Tensor {
    return P.add(this, other, options?.alpha ?? 1);
  }

  /** `self - alpha * other`. */
  sub(other: Tensor | Scalar, options?: { alpha?: number }): Tensor {
    return P.sub(this, other, options?.alpha ?? 1);
  }

  /** Alias of sub. */
  subtract(other: Tensor | Scalar, options?: { alpha?: number }): Tensor {
    return this.sub(other, options);
  }

  /** `other - alpha * self` (torch.rsub). */
  rsub(other: Tensor | Scalar, options?: { alpha?: number }): Tensor {
    return P.rsub(this, other, options?.alpha ?? 1);
  }

  /** Elementwise product. */
  mul(other: Tensor | Scalar): Tensor {
    return P.mul(this, other);
  }

  /** Alias of mul. */
  multiply(other: Tensor | Scalar): Tensor {
    return P.mul(this, other);
  }

  /** True division (the result is floating even for integer operands). */
  div(other: Tensor | Scalar): Tensor {
    return P.div(this, other);
  }

  /** Alias of div. */
  true_divide(other: Tensor | Scalar): Tensor {
    return P.div(this, other);
  }

  /** Python's `self % other`: the result takes the divisor's sign. */
  remainder(other: Tensor | Scalar): Tensor {
    return P.remainder(this, other);
  }

  /** `self ** exponent`. */
  pow(exponent: Tensor | Scalar): Tensor {
    return P.pow(this, exponent);
  }

  /** Python's `other + self`. */
  radd(other: Scalar): Tensor {
    return P.add(this, other, 1);
  }

  /** Python's `other * self`. */
  rmul(other: Scalar): Tensor {
    return P.mul(this, other);
  }

  /** Python's `other / self`: `reciprocal() * other`. */
  rdiv(other: Scalar): Tensor {
    return P.mul(P.reciprocal(this), other);
  }

  /** Python's `other ** self`. */
  rpow(other: Scalar): Tensor {
    return P.pow(other, this);
  }

  /** `-self`. */
  neg(): Tensor {
    return P.neg(this);
  }

  /** Alias of neg. */
  negative(): Tensor {
    return P.neg(this);
  }

  /** `e ** self`. */
  exp(): Tensor {
    return P.exp(this);
  }

  /** The error function, elementwise. */
  erf(): Tensor {
    return P.erf(this);
  }

  /** Natural logarithm. */
  log(): Tensor {
    return P.log(this);
  }

  /** Square root. */
  sqrt(): Tensor {
    return P.sqrt(this);
  }

  /** Sine. */
  sin(): Tensor {
    return P.sin(this);
  }

  /** Cosine. */
  cos(): Tensor {
    return P.cos(this);
  }

  /** `log(1 + self)`, accurate near 0. */
  log1p(): Tensor {
    return P.log1p(this);
  }

  /** `exp(self) - 1`, accurate near 0. */
  expm1(): Tensor {
    return P.expm1(this);
  }

  /** Rounds down (zero gradient). */
  floor(): Tensor {
    return P.rounding(this, 'floor');
  }

  /** Rounds up (zero gradient). */
  ceil(): Tensor {
    return P.rounding(this, 'ceil');
  }

  /** Rounds to nearest, halves to even (zero gradient). */
  round(): Tensor {
    return P.rounding(this, 'round');
  }

  /** Rounds toward zero (zero gradient). */
  trunc(): Tensor {
    return P.rounding(this, 'trunc');
  }

  /** `self * self` (recorded as PowBackward0, as in PyTorch). */
  square(): Tensor {
    return P.pow(this, 2);
  }

  /** Absolute value. */
  abs(): Tensor {
    return P.abs(this);
  }

  /** `1 / self`. */
  reciprocal(): Tensor {
    return P.reciprocal(this);
  }

  /** -1, 0 or 1 by sign. */
  sign(): Tensor {
    return P.sign(this);
  }

  /** Clamps into [min, max]: `clamp(min, max)` or `clamp({min, max})`; either bound may be a tensor. */
  clamp(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return P.clamp(this, arg(positional, options, 0, 'min', null), arg(positional, options, 1, 'max', null));
  }

  /** Alias of clamp. */
  clip(...args: unknown[]): Tensor {
    return this.clamp(...args);
  }

  /** Elementwise maximum of two tensors. */
  maximum(other: Tensor): Tensor {
    return P.maximum(this, other);
  }

  /** Elementwise minimum of two tensors. */
  minimum(other: Tensor): Tensor {
    return P.minimum(this, other);
  }

  /** `max(0, self)`. */
  relu(): Tensor {
    return A.relu(this);
  }

  /** `1 / (1 + exp(-self))`. */
  sigmoid(): Tensor {
    return A.sigmoid(this);
  }

  /** Hyperbolic tangent. */
  tanh(): Tensor {
    return A.tanh(this);
  }

  /** Softmax along `dim`. */
  softmax(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return A.softmax(this, arg(positional, options, 0, 'dim', -1));
  }

  /** `log(sum(exp(self), dim))`, computed stably: `logsumexp(1)`, `logsumexp([0, 1], true)` or `logsumexp({dim: 1, keepdim: true})`. */
  logsumexp(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    const dim = arg<number | number[] | undefined>(positional, options, 0, 'dim', undefined);
    if (dim === undefined) throw new TypeError_("logsumexp() missing required argument 'dim'");
    return A.logsumexp(this, dim, arg(positional, options, 1, 'keepdim', false));
  }

  /** Log of softmax along `dim`. */
  log_softmax(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return A.log_softmax(this, arg(positional, options, 0, 'dim', -1));
  }

  /** `self` with `value` where the bool `mask` holds. */
  masked_fill(mask: Tensor, value: Scalar): Tensor {
    return P.masked_fill(this, mask, value);
  }

  /** In-place masked_fill. */
  masked_fill_(mask: Tensor, value: Scalar): this {
    return P.inplace(this, (self) => P.masked_fill(self, mask, value), []);
  }

  // ---- comparisons (bool results) ---------------------------------------------------------------------------

  /** `self == other` elementwise. */
  eq(other: Tensor | Scalar): Tensor {
    return P.compare('eq', this, other);
  }

  /** `self != other` elementwise. */
  ne(other: Tensor | Scalar): Tensor {
    return P.compare('ne', this, other);
  }

  /** `self < other` elementwise. */
  lt(other: Tensor | Scalar): Tensor {
    return P.compare('lt', this, other);
  }

  /** `self <= other` elementwise. */
  le(other: Tensor | Scalar): Tensor {
    return P.compare('le', this, other);
  }

  /** `self > other` elementwise. */
  gt(other: Tensor | Scalar): Tensor {
    return P.compare('gt', this, other);
  }

  /** `self >= other` elementwise. */
  ge(other: Tensor | Scalar): Tensor {
    return P.compare('ge', this, other);
  }

  /** Elementwise `not` (Python's `~mask` on bool tensors). */
  logical_not(): Tensor {
    return P.logicalNot(this);
  }

  /** Elementwise `and` of two tensors (as bools). */
  logical_and(other: Tensor): Tensor {
    return P.logicalAnd(this, other);
  }

  /** Elementwise `or` of two tensors (as bools). */
  logical_or(other: Tensor): Tensor {
    return P.logicalOr(this, other);
  }

  /** Whether any element is non-zero (or along `dim`), as a bool tensor. */
  any(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return R.any(this, arg(positional, options, 0, 'dim', null), arg(positional, options, 1, 'keepdim', false));
  }

  /** Whether every element is non-zero (or along `dim`), as a bool tensor. */
  all(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return R.all(this, arg(positional, options, 0, 'dim', null), arg(positional, options, 1, 'keepdim', false));
  }

  /** True when both tensors have the same shape and elements. */
  equal(other: Tensor): boolean {
    return P.equal(this, other);
  }

  /** True when all elements are within `atol + rtol * |other|`. */
  allclose(other: Tensor, options?: { rtol?: number; atol?: number }): boolean {
    return P.allclose(this, other, options?.rtol ?? 1e-5, options?.atol ?? 1e-8);
  }

  // ---- reductions -------------------------------------------------------------------------------------------

  /** Sum of all elements, or along `dim` (a number or array): `sum(dim, keepdim)` or `sum({dim, keepdim, dtype})`. */
  sum(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return R.sum(this, arg(positional, options, 0, 'dim', null), arg(positional, options, 1, 'keepdim', false), arg(positional, options, 2, 'dtype', null));
  }

  /** Product of all elements, or along `dim`: `prod()`, `prod(dim, keepdim)`. */
  prod(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return R.prod(this, arg(positional, options, 0, 'dim', null), arg(positional, options, 1, 'keepdim', false));
  }

  /** Mean of all elements, or along `dim`. */
  mean(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return R.mean(this, arg(positional, options, 0, 'dim', null), arg(positional, options, 1, 'keepdim', false), arg(positional, options, 2, 'dtype', null));
  }

  /** Variance (`var(dim, unbiased, keepdim)` or `var({dim, unbiased, keepdim})`), unbiased by default. */
  var(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return R.variance(this, arg(positional, options, 0, 'dim', null), arg(positional, options, 1, 'unbiased', true), arg(positional, options, 2, 'keepdim', false));
  }

  /** Standard deviation, unbiased by default. */
  std(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return R.std(this, arg(positional, options, 0, 'dim', null), arg(positional, options, 1, 'unbiased', true), arg(positional, options, 2, 'keepdim', false));
  }

  /** The 2-norm of all elements, or along `dim`: `norm()`, `norm({dim, keepdim})`. */
  norm(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    const p = arg<number | string>(positional, options, 0, 'p', 2);
    if (p !== 2 && p !== 'fro') throw new RuntimeError('tsgrad implements the 2-norm only');
    return R.norm(this, arg(positional, options, 1, 'dim', null), arg(positional, options, 2, 'keepdim', false));
  }

  /** Largest element; `max(dim, keepdim)` gives `(values, indices)`; `max(tensor)` is maximum. */
  max(): Tensor;
  max(other: Tensor): Tensor;
  max(dim: number, keepdim?: boolean): R.ReturnTypes;
  max(options: { dim: number; keepdim?: boolean }): R.ReturnTypes;
  max(...args: unknown[]): Tensor | R.ReturnTypes {
    return R.extremeCall(this, args, true);
  }

  /** Smallest element; `min(dim, keepdim)` gives `(values, indices)`; `min(tensor)` is minimum. */
  min(): Tensor;
  min(other: Tensor): Tensor;
  min(dim: number, keepdim?: boolean): R.ReturnTypes;
  min(options: { dim: number; keepdim?: boolean }): R.ReturnTypes;
  min(...args: unknown[]): Tensor | R.ReturnTypes {
    return R.extremeCall(this, args, false);
  }

  /** `(values, indices)` of each slice along `dim` sorted: `sort()`, `sort(dim, descending)`, `sort({dim, descending})`. */
  sort(...args: unknown[]): R.ReturnTypes {
    const [positional, options] = splitOptions(args);
    const [values, indices] = S.sort(this, arg(positional, options, 0, 'dim', -1), arg(positional, options, 1, 'descending', false));
    return new R.ReturnTypes('sort', values, indices);
  }

  /** Positions that sort each slice along `dim`. */
  argsort(...args: unknown[]): Tensor {
    return this.sort(...args).indices;
  }

  /** `(values, indices)` of the `k` largest (or smallest, `largest: false`) along `dim` (last by default). */
  topk(k: number, ...args: unknown[]): R.ReturnTypes {
    const [positional, options] = splitOptions(args);
    const [values, indices] = S.topk(this, k, arg(positional, options, 0, 'dim', -1), arg(positional, options, 1, 'largest', true));
    return new R.ReturnTypes('topk', values, indices);
  }

  /** Index of the largest element (flattened), or along `dim`. */
  argmax(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return R.argExtreme(this, arg(positional, options, 0, 'dim', null), arg(positional, options, 1, 'keepdim', false), true);
  }

  /** Index of the smallest element (flattened), or along `dim`. */
  argmin(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return R.argExtreme(this, arg(positional, options, 0, 'dim', null), arg(positional, options, 1, 'keepdim', false), false);
  }

  // ---- linear algebra ---------------------------------------------------------------------------------------

  /** Matrix product with NumPy's rules for 1-D and batched operands. */
  matmul(other: Tensor): Tensor {
    return L.matmul(this, other);
  }

  /** Product of two matrices. */
  mm(other: Tensor): Tensor {
    return L.mm(this, other);
  }

  /** Batched product of two 3-D tensors. */
  bmm(other: Tensor): Tensor {
    return L.bmm(this, other);
  }

  /** Dot product of two 1-D tensors. */
  dot(other: Tensor): Tensor {
    return L.dot(this, other);
  }

  /** Matrix-vector product. */
  mv(other: Tensor): Tensor {
    return L.mv(this, other);
  }

  /** `beta * self + alpha * (mat1 @ mat2)`. */
  addmm(mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): Tensor {
    return L.addmm(this, mat1, mat2, options?.beta ?? 1, options?.alpha ?? 1);
  }

  // ---- shape ------------------------------------------------------------------------------------------------

  /** Transpose of a tensor of at most 2 dimensions. */
  t(): Tensor {
    return S.t(this);
  }

  /** All dimensions reversed (PermuteBackward0). */
  get T(): Tensor {
    return S.permute(this, this._shape.map((_, i) => this._shape.length - 1 - i));
  }

  /** Swaps two dimensions. */
  transpose(dim0: number, dim1: number): Tensor {
    return S.transpose(this, dim0, dim1);
  }

  /** Reorders dimensions: `permute(1, 0)` or `permute([1, 0])`. */
  permute(...dims: (number | number[])[]): Tensor {
    return S.permute(this, parseShape(dims));
  }

  /** A view with another shape (one size may be -1); fails when the strides do not allow it. */
  view(...shape: (number | number[])[]): Tensor {
    return S.view(this, parseShape(shape));
  }

  /** A view shaped like `other`. */
  view_as(other: Tensor): Tensor {
    return S.view(this, other._shape);
  }

  /** Another shape: a view when possible, else a copy. */
  reshape(...shape: (number | number[])[]): Tensor {
    return S.reshape(this, parseShape(shape));
  }

  /** Reshaped like `other`. */
  reshape_as(other: Tensor): Tensor {
    return S.reshape(this, other._shape);
  }

  /** Flattens dimensions `start_dim..end_dim` into one. */
  flatten(...args: unknown[]): Tensor {
    const [positional, options] = splitOptions(args);
    return S.flatten(this, arg(positional, options, 0, 'start_dim', 0), arg(positional, options, 1, 'end_dim', -1));
  }

  /** Removes size-1 dimensions (all, or only `dim`). */
  squeeze(dim?: number): Tensor {
    return S.squeeze(this, dim ?? null);
  }

  /** Inserts a size-1 dimension at `dim`. */
  unsqueeze(dim: number): Tensor {
    return S.unsqueeze(this, dim);
  }

  /** A broadcast view to a larger shape (-1 keeps a size). */
  expand(...sizes: (number | number[])[]): Tensor {
    return S.expand(this, parseShape(sizes));
  }

  /** Expanded to `other`'s shape. */
  expand_as(other: Tensor): Tensor {
    return S.expand(this, other._shape);
  }

  /** The slice at `index` along `dim` (one dimension fewer). */
  select(dim: number, index: number): Tensor {
    return S.select(this, dim, index);
  }

  /** `length` elements from `start` along `dim`, as a view. */
  narrow(dim: number, start: number, length: number): Tensor {
    return S.narrow(this, dim, start, length);
  }

  /** Running sums along `dim`. */
  cumsum(dim: number): Tensor {
    return S.cumsum(this, dim);
  }

  /** Elements reversed along `dims` (a copy). */
  flip(...dims: (number | number[])[]): Tensor {
    return S.flip(this, parseShape(dims));
  }

  /** The lower triangle (below `diagonal`) of the last two dims; zeros elsewhere. */
  tril(diagonal = 0): Tensor {
    return S.triangle(this, diagonal, true);
  }

  /** The upper triangle (above `diagonal`) of the last two dims; zeros elsewhere. */
  triu(diagonal = 0): Tensor {
    return S.triangle(this, diagonal, false);
  }

  /** Values picked along `dim` by the int64 `index` tensor (`torch.gather`). */
  gather(dim: number, index: Tensor): Tensor {
    return S.gather(this, dim, index);
  }

  /** The tensor tiled along each dim: `repeat(2, 1)` or `repeat([2, 1])`. */
  repeat(...repeats: (number | number[])[]): Tensor {
    return S.repeat(this, parseShape(repeats));
  }

  /** The slices along `dim` as views (Python's `t.unbind(dim)`). */
  unbind(dim = 0): Tensor[] {
    return S.unbind(this, dim);
  }

  /** Pieces of `size` (or of the listed sizes) along `dim`, as views. */
  split(size: number | number[], dim = 0): Tensor[] {
    return S.split(this, size, dim);
  }

  /** `chunks` nearly equal pieces along `dim`, as views. */
  chunk(chunks: number, dim = 0): Tensor[] {
    return S.chunk(this, chunks, dim);
  }

  /** Elements at the positions of the int64 tensor `index` along `dim` (a copy). */
  index_select(dim: number, index: Tensor): Tensor {
    return S.index_select(this, dim, index);
  }

  /**
   * Python's `t[...]`: each argument indexes one dimension. Numbers select, `':'`, `'1:'`, `'::2'` or
   * `torch.slice(start, stop, step)` slice, `null` inserts an axis, `'...'` skips dimensions, an int64 or
   * bool tensor (or array of integers) picks elements; several of them are broadcast together, as in PyTorch.
   * `t.get(0, ':', null)` is `t[0, :, None]`; `logp.get(torch.arange(n), y)` is `logp[torch.arange(n), y]`.
   */
  get(...indices: Index[]): Tensor {
    return S.index(this, indices);
  }

  /**
   * Python's `t[index] = value`: `t.set(0, 5)`; an array is a tuple of indices, `t.set([0, '1:'], other)` is
   * `t[0, 1:] = other`, `t.set(t.lt(0), 0)` is `t[t < 0] = 0`.
   */
  set(index: Index | Index[], value: Tensor | Scalar): this {
    const indices = Array.isArray(index) ? (index as Index[]) : [index];
    S.setIndex(this, indices, value);
    return this;
  }

  // ---- in place -------------------------------------------------------------------------------------------

  /** Fills with zeros. */
  zero_(): this {
    return P.fill_(this, 0);
  }

  /** Fills with `value`. */
  fill_(value: Scalar | Tensor): this {
    return P.fill_(this, value);
  }

  /** In-place add. */
  add_(other: Tensor | Scalar, options?: { alpha?: number }): this {
    return P.inplace(this, (self) => P.add(self, other, options?.alpha ?? 1), [other]);
  }

  /** In-place sub. */
  sub_(other: Tensor | Scalar, options?: { alpha?: number }): this {
    return P.inplace(this, (self) => P.sub(self, other, options?.alpha ?? 1), [other]);
  }

  /** In-place mul. */
  mul_(other: Tensor | Scalar): this {
    return P.inplace(this, (self) => P.mul(self, other), [other]);
  }

  /** In-place div. */
  div_(other: Tensor | Scalar): this {
    return P.inplace(this, (self) => P.div(self, other), [other]);
  }

  /** In-place remainder (`%=`). */
  remainder_(other: Tensor | Scalar): this {
    return P.inplace(this, (self) => P.remainder(self, other), [other]);
  }

  /** In-place pow. */
  pow_(exponent: Tensor | Scalar): this {
    return P.inplace(this, (self) => P.pow(self, exponent), [exponent]);
  }

  /** In-place clamp. */
  clamp_(...args: unknown[]): this {
    const [positional, options] = splitOptions(args);
    const min = arg<Tensor | Scalar | null>(positional, options, 0, 'min', null);
    const max = arg<Tensor | Scalar | null>(positional, options, 1, 'max', null);
    return P.inplace(this, (self) => P.clamp(self, min, max), [min, max]);
  }

  /** In-place relu. */
  relu_(): this {
    return P.inplace(this, (self) => A.relu(self), []);
  }

  /** In-place neg. */
  neg_(): this {
    return P.inplace(this, (self) => P.neg(self), []);
  }

  /** In-place exp. */
  exp_(): this {
    return P.inplace(this, (self) => P.exp(self), []);
  }

  /** `self + value * tensor1 * tensor2` (AddcmulBackward0). */
  addcmul(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor {
    return P.addcmul(this, tensor1, tensor2, options?.value ?? 1);
  }

  /** `self + value * tensor1 / tensor2` (AddcdivBackward0). */
  addcdiv(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor {
    return P.addcdiv(this, tensor1, tensor2, options?.value ?? 1);
  }

  /** In place `self += value * tensor1 * tensor2` (optimizers use it). */
  addcmul_(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): this {
    const value = options?.value ?? 1;
    return P.inplace(this, (self) => P.addcmul(self, tensor1, tensor2, value), [tensor1, tensor2]);
  }

  /** In place `self += value * tensor1 / tensor2` (optimizers use it). */
  addcdiv_(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): this {
    const value = options?.value ?? 1;
    return P.inplace(this, (self) => P.addcdiv(self, tensor1, tensor2, value), [tensor1, tensor2]);
  }

  /** Copies `src` (broadcast, converted) into this tensor. */
  copy_(src: Tensor): this {
    return P.copy_(this, src);
  }

  /** Fills with samples of N(mean, std): `normal_()`, `normal_(0, 0.02)`, `normal_(0, 1, {generator: g})`. */
  normal_(...args: (number | RandomOptions)[]): this {
    const [positional, options] = splitOptions(args);
    return Rand.normal_(this, arg(positional, options, 0, 'mean', 0), arg(positional, options, 1, 'std', 1), Rand.generatorOf(options));
  }

  /** Fills with samples of U(from, to): `uniform_()`, `uniform_(-1, 1)`, `uniform_(0, 1, {generator: g})`. */
  uniform_(...args: (number | RandomOptions)[]): this {
    const [positional, options] = splitOptions(args);
    return Rand.uniform_(this, arg(positional, options, 0, 'from', 0), arg(positional, options, 1, 'to', 1), Rand.generatorOf(options));
  }

  /** Fills with 1 with probability `p`, else 0: `bernoulli_(0.3)`, `bernoulli_(0.3, {generator: g})`. */
  bernoulli_(...args: (number | RandomOptions)[]): this {
    const [positional, options] = splitOptions(args);
    return Rand.bernoulli_(this, arg(positional, options, 0, 'p', 0.5), Rand.generatorOf(options));
  }

  /** Fills with samples of the exponential distribution of rate `lambd` (default 1). */
  exponential_(...args: (number | RandomOptions)[]): this {
    const [positional, options] = splitOptions(args);
    return Rand.exponential_(this, arg(positional, options, 0, 'lambd', 1), Rand.generatorOf(options));
  }

  /** 1 or 0 per element, drawn with the element's probability (`torch.bernoulli(self)`). */
  bernoulli(options?: RandomOptions): Tensor {
    return Rand.bernoulli(this, Rand.generatorOf(options as Record<string, unknown>));
  }

  /** Category indices drawn per row of weights: `multinomial(1)`, `multinomial(5, true)`, `multinomial({num_samples: 1, generator: g})`. */
  multinomial(...args: (number | boolean | MultinomialOptions)[]): Tensor {
    const [positional, options] = splitOptions(args);
    return Rand.multinomial(
      this, Number(arg(positional, options, 0, 'num_samples', 1)), Boolean(arg(positional, options, 1, 'replacement', false)), Rand.generatorOf(options),
    );
  }
}

function normalize(dim: number, ndim: number): number {
  const rank = Math.max(ndim, 1);
  return dim < 0 ? dim + rank : dim;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `torch.slice(start, stop, step)`: a Python slice for `Tensor.get`. */
export function slice(start: number | null = null, stop: number | null = null, step: number | null = null): Slice {
  return new Slice(start, stop, step);
}

/** A fresh contiguous tensor with the given contents. */
export function fromBuffer(buffer: Storage, shape: readonly number[], dtype: DType): Tensor {
  return Tensor._make(buffer, shape.slice(), contiguousStrides(shape), 0, dtype);
}
