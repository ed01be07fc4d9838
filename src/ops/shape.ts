/** View and shape ops (view, reshape, transpose, expand, select, slice...), joins (cat, stack), copies. */
import { type DType, bool, int64 } from '../dtype.js';
import { IndexError, RuntimeError, ValueError } from '../errors.js';
import { gradientEdge, record, recordMany, needsRecording } from '../autograd/function.js';
import { withGradMode } from '../autograd/grad_mode.js';
import { derivative, Node, type Edge } from '../autograd/node.js';
import { contiguousStrides, isContiguous, numelOf } from '../kernels/strided.js';
import { Slice, Tensor, type Index } from '../tensor.js';
import { emptyTensor, isScalar, normalizeDim, sameShape, shapeString, type Scalar } from './common.js';
import { conversionKernel, convert, copy_, inplace, where } from './pointwise.js';
import { type AdvancedIndex, advancedIndex, advancedPut, planIndex } from './advanced-indexing.js';
import { sum, sumToShape } from './reduction.js';
import { cumulativeSum } from '../kernels/reduce.js';

interface ShapeAttrs {
  shape: readonly number[];
}

const reshapeBack = (grad: Tensor, at: ShapeAttrs): Tensor[] => [reshape(grad, at.shape)];

const ViewBackward0 = derivative<ShapeAttrs>({ name: 'ViewBackward0', formulas: { self: 'grad.reshape(self.sizes())' }, backward: (g, _s, at) => reshapeBack(g, at) });
const ReshapeAliasBackward0 = derivative<ShapeAttrs>({ name: 'ReshapeAliasBackward0', formulas: { self: 'grad.reshape(self.sizes())' }, backward: (g, _s, at) => reshapeBack(g, at) });
const UnsafeViewBackward0 = derivative<ShapeAttrs>({ name: 'UnsafeViewBackward0', formulas: { self: 'grad.reshape(self.sizes())' }, backward: (g, _s, at) => reshapeBack(g, at) });
const SqueezeBackward0 = derivative<ShapeAttrs>({ name: 'SqueezeBackward0', formulas: { self: 'grad.reshape(self.sizes())' }, backward: (g, _s, at) => reshapeBack(g, at) });
const ExpandBackward0 = derivative<ShapeAttrs>({ name: 'ExpandBackward0', formulas: { self: 'grad.sum_to_size(self.sizes())' }, backward: (g, _s, at) => [sumToShape(g, at.shape)] });

interface DimAttrs {
  shape: readonly number[];
  dim: number;
}

function unsqueezeTo(grad: Tensor, at: DimAttrs): Tensor[] {
  return [at.shape[at.dim] === 1 ? unsqueeze(grad, at.dim) : grad];
}

const SqueezeBackward1 = derivative<DimAttrs>({ name: 'SqueezeBackward1', formulas: { self: 'grad.unsqueeze(dim)' }, backward: (g, _s, at) => unsqueezeTo(g, at) });
const SqueezeBackward3 = derivative<DimAttrs>({ name: 'SqueezeBackward3', formulas: { self: 'grad.unsqueeze(dim)' }, backward: (g, _s, at) => unsqueezeTo(g, at) });
const UnsqueezeBackward0 = derivative<DimAttrs>({ name: 'UnsqueezeBackward0', formulas: { self: 'grad.squeeze(dim)' }, backward: (g, _s, at) => [squeeze(g, at.dim)] });

const TBackward0 = derivative({ name: 'TBackward0', formulas: { self: 'grad.t()' }, backward: (g) => [t(g)] });

const TransposeBackward0 = derivative<{ dim0: number; dim1: number }>({
  name: 'TransposeBackward0',
  scalars: ['dim0', 'dim1'],
  formulas: { self: 'grad.transpose(dim0, dim1)' },
  backward: (g, _s, at) => [transpose(g, at.dim0, at.dim1)],
});

const PermuteBackward0 = derivative<{ inverse: number[] }>({
  name: 'PermuteBackward0',
  formulas: { self: 'grad.permute(inverse(dims))' },
  backward: (g, _s, at) => [permute(g, at.inverse)],
});

const CloneBackward0 = derivative({ name: 'CloneBackward0', formulas: { self: 'grad' }, backward: (g) => [g] });

const ToCopyBackward0 = derivative<{ dtype: DType }>({
  name: 'ToCopyBackward0',
  formulas: { self: 'grad.to(self.dtype)' },
  backward: (g, _s, at) => [toDtype(g, at.dtype, false)],
});

// ---- views ----------------------------------------------------------------------------------------------

/** Resolves a `-1` in a requested shape, raising PyTorch's errors. */
export function inferShape(shape: readonly number[], numel: number): number[] {
  let inferred = -1;
  let known = 1;
  shape.forEach((size, d) => {
    if (size === -1) {
      if (inferred >= 0) throw new RuntimeError('only one dimension can be inferred');
      inferred = d;
    } else if (size < 0) {
      throw new RuntimeError(`invalid shape dimension ${size}`);
    } else {
      known *= size;
    }
  });
  const out = shape.slice();
  if (inferred >= 0 && known !== 0 && numel % known === 0) out[inferred] = numel / known;
  else if (numel !== known || inferred >= 0) throw new RuntimeError(`shape '${shapeString(shape)}' is invalid for input of size ${numel}`);
  return out;
}

/** Strides viewing `oldShape`/`oldStrides` as `newShape` without copying, or null (PyTorch's computeStride). */
export function viewStrides(oldShape: readonly number[], oldStrides: readonly number[], newShape: readonly number[]): number[] | null {
  if (oldShape.length === 0) return newShape.map(() => 1);
  const numel = numelOf(oldShape);
  if (numel === 0) return sameShape(oldShape, newShape) ? oldStrides.slice() : contiguousStrides(newShape);
  const newStrides = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d];
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? newStrides : null;
}

/** A view with another shape (ViewBackward0). */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel());
  const strides = viewStrides(x._shape, x._strides, target);
  if (strides === null) {
    throw new RuntimeError(
      "view size is not compatible with input tensor's size and stride (at least one dimension spans across two " +
        'contiguous subspaces). Use .reshape(...) instead.',
    );
  }
  return record(ViewBackward0, x._view(target, strides, x._offset), [x], [], { shape: x._shape });
}

/** A view when the strides allow (ReshapeAliasBackward0), else a copy (CloneBackward0 then UnsafeViewBackward0). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel());
  const strides = viewStrides(x._shape, x._strides, target);
  if (strides !== null) return record(ReshapeAliasBackward0, x._view(target, strides, x._offset), [x], [], { shape: x._shape });
  return unsafeView(clone(x), target);
}

/** ATen's `_unsafe_view` of a contiguous tensor (UnsafeViewBackward0). */
export function unsafeView(x: Tensor, shape: readonly number[]): Tensor {
  const target = inferShape(shape, x.numel());
  const out = Tensor._make(x._buffer, target, contiguousStrides(target), x._offset, x._dtype);
  out._storage = x._storage;
  return record(UnsafeViewBackward0, out, [x], [], { shape: x._shape });
}

/** Flattens dims start..end into one (via reshape; no-op for 0/1-dim or a single dim). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x._shape.length === 0) return reshape(x, [1]);
  const start = normalizeDim(startDim, x._shape.length);
  const end = normalizeDim(endDim, x._shape.length);
  if (start > end) throw new RuntimeError('flatten() has invalid args: start_dim cannot come after end_dim');
  if (start === end) return x;
  const merged = x._shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x._shape.slice(0, start), merged, ...x._shape.slice(end + 1)]);
}

/** Transpose of a ≤2-dim tensor (TBackward0). */
export function t(x: Tensor): Tensor {
  if (x._shape.length > 2) throw new RuntimeError(`t() expects a tensor with <= 2 dimensions, but self is ${x._shape.length}D`);
  const out = x._view(x._shape.slice().reverse(), x._strides.slice().reverse(), x._offset);
  return record(TBackward0, out, [x]);
}

/** Swaps two dimensions (TransposeBackward0). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const a = normalizeDim(dim0, x._shape.length);
  const b = normalizeDim(dim1, x._shape.length);
  const shape = x._shape.slice(), strides = x._strides.slice();
  if (shape.length > 0) {
    [shape[a], shape[b]] = [shape[b], shape[a]];
    [strides[a], strides[b]] = [strides[b], strides[a]];
  }
  return record(TransposeBackward0, x._view(shape, strides, x._offset), [x], [], { dim0: a, dim1: b });
}

/** Reorders dimensions (PermuteBackward0). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== x._shape.length) {
    throw new RuntimeError(
      'permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ' +
        `ordering of dimensions i.e. input.dim() = ${x._shape.length} is not equal to len(dims) = ${dims.length}`,
    );
  }
  const order = dims.map((d) => normalizeDim(d, x._shape.length));
  if (new Set(order).size !== order.length) throw new RuntimeError('permute(): duplicate dims are not allowed.');
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => { inverse[d] = i; });
  const out = x._view(order.map((d) => x._shape[d]), order.map((d) => x._strides[d]), x._offset);
  return record(PermuteBackward0, out, [x], [], { inverse });
}

/** Removes size-1 dims: all (SqueezeBackward0) or only `dim` (SqueezeBackward1). */
export function squeeze(x: Tensor, dim: number | null): Tensor {
  if (dim === null) {
    const keep = x._shape.map((s) => s !== 1);
    const out = x._view(x._shape.filter((_, i) => keep[i]), x._strides.filter((_, i) => keep[i]), x._offset);
    return record(SqueezeBackward0, out, [x], [], { shape: x._shape });
  }
  return squeezeDim(x, dim, SqueezeBackward1);
}

function squeezeDim(x: Tensor, dim: number, def: typeof SqueezeBackward1): Tensor {
  const d = normalizeDim(dim, x._shape.length);
  const drop = x._shape.length > 0 && x._shape[d] === 1;
  const out = drop
    ? x._view(x._shape.filter((_, i) => i !== d), x._strides.filter((_, i) => i !== d), x._offset)
    : x._view(x._shape.slice(), x._strides.slice(), x._offset);
  return record(def, out, [x], [], { shape: x._shape, dim: d });
}

/** The in-place `squeeze_(dim)` matmul applies to its result (SqueezeBackward3). */
export function squeezeInplaceDim(x: Tensor, dim: number): Tensor {
  return squeezeDim(x, dim, SqueezeBackward3);
}

/** Inserts a size-1 dim (UnsqueezeBackward0). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x._shape.length + 1);
  const shape = x._shape.slice(), strides = x._strides.slice();
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < x._shape.length ? x._shape[d] * x._strides[d] : 1);
  return record(UnsqueezeBackward0, x._view(shape, strides, x._offset), [x], [], { shape: x._shape, dim: d });
}

/** A broadcast view (ExpandBackward0); -1 keeps a size. */
export function expand(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x._shape.length) {
    throw new RuntimeError(
      `expand(torch.FloatTensor{${shapeString(x._shape)}}, size=${shapeString(sizes)}): the number of sizes provided ` +
        `(${sizes.length}) must be greater or equal to the number of dimensions in the tensor (${x._shape.length})`,
    );
  }
  if (sameShape(sizes, x._shape) && !needsRecording([x])) return x;
  const shift = sizes.length - x._shape.length;
  const shape = new Array<number>(sizes.length);
  const strides = new Array<number>(sizes.length);
  for (let i = 0; i < sizes.length; i++) {
    const own = i >= shift ? x._shape[i - shift] : 1;
    const size = sizes[i] === -1 ? own : sizes[i];
    if (i < shift && sizes[i] === -1) {
      throw new RuntimeError(`The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension ${i}`);
    }
    if (own !== size && own !== 1) {
      throw new RuntimeError(
        `The expanded size of the tensor (${size}) must match the existing size (${own}) at non-singleton dimension ${i}.  ` +
          `Target sizes: ${shapeString(sizes)}.  Tensor sizes: ${shapeString(x._shape)}`,
      );
    }
    shape[i] = size;
    strides[i] = i < shift || own !== size ? 0 : x._strides[i - shift];
  }
  return record(ExpandBackward0, x._view(shape, strides, x._offset), [x], [], { shape: x._shape });
}

// ---- select, slice, index_select ----------------------------------------------------------------------------

interface RegionAttrs {
  shape: readonly number[];
  region: (base: Tensor) => Tensor;
}

/** A tensor of zeros shaped `shape` whose `region` holds `grad`: the backward of select and slice. */
function embed(grad: Tensor, at: RegionAttrs, def: typeof SelectBackwardBackward0): Tensor {
  const out = emptyTensor(at.shape, grad._dtype);
  withGradMode(false, () => conversionKernel(out._dtype).run(at.region(out), grad));
  return record(def, out, [grad], [], at);
}

const SelectBackwardBackward0 = derivative<RegionAttrs>({
  name: 'SelectBackwardBackward0',
  formulas: { grad: 'grad.select(dim, index)' },
  backward: (g, _s, at) => [at.region(g)],
});

const SliceBackwardBackward0 = derivative<RegionAttrs>({
  name: 'SliceBackwardBackward0',
  formulas: { grad: 'grad.slice(dim, start, end, step)' },
  backward: (g, _s, at) => [at.region(g)],
});

const SelectBackward0 = derivative<RegionAttrs>({
  name: 'SelectBackward0',
  formulas: { self: 'zeros(self.sizes()).select(dim, index) = grad' },
  backward: (g, _s, at) => [embed(g, at, SelectBackwardBackward0)],
});

const SliceBackward0 = derivative<RegionAttrs>({
  name: 'SliceBackward0',
  formulas: { self: 'zeros(self.sizes()).slice(dim, start, end, step) = grad' },
  backward: (g, _s, at) => [embed(g, at, SliceBackwardBackward0)],
});

/** The slice at `index` along `dim` (SelectBackward0). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  if (x._shape.length === 0) throw new IndexError('select() cannot be applied to a 0-dim tensor.');
  const d = normalizeDim(dim, x._shape.length);
  const size = x._shape[d];
  if (index < -size || index >= size) {
    throw new IndexError(`index ${index} is out of bounds for dimension ${d} with size ${size}`);
  }
  const i = index < 0 ? index + size : index;
  const out = x._view(x._shape.filter((_, k) => k !== d), x._strides.filter((_, k) => k !== d), x._offset + i * x._strides[d]);
  if (!needsRecording([x])) return out;
  return record(SelectBackward0, out, [x], [], { shape: x._shape, region: (base: Tensor) => select(base, d, i) });
}

/** Python's `x[start:stop:step]` along `dim` (SliceBackward0), clamping the bounds as Python does. */
export function slice(x: Tensor, dim: number, start: number | null, stop: number | null, step: number | null): Tensor {
  const d = normalizeDim(dim, x._shape.length);
  const size = x._shape[d];
  const stride = step ?? 1;
  if (stride <= 0) throw new ValueError('step must be greater than zero');
  const clampIndex = (v: number | null, fallback: number): number => {
    if (v === null) return fallback;
    const w = v < 0 ? v + size : v;
    return Math.min(Math.max(w, 0), size);
  };
  const begin = clampIndex(start, 0);
  const end = Math.max(clampIndex(stop, size), begin);
  const length = Math.ceil((end - begin) / stride);
  const shape = x._shape.slice(), strides = x._strides.slice();
  shape[d] = length;
  strides[d] = x._strides[d] * stride;
  const out = x._view(shape, strides, x._offset + begin * x._strides[d]);
  if (!needsRecording([x])) return out;
  return record(SliceBackward0, out, [x], [], { shape: x._shape, region: (base: Tensor) => slice(base, d, begin, end, stride) });
}

/** `length` elements from `start` along `dim` (SliceBackward0). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim(dim, x._shape.length);
  const size = x._shape[d];
  const begin = start < 0 ? start + size : start;
  if (begin < 0 || begin + length > size || length < 0) {
    throw new RuntimeError(`start (${start}) + length (${length}) exceeds dimension size (${size}).`);
  }
  return slice(x, d, begin, begin + length, 1);
}

interface GatherAttrs {
  shape: readonly number[];
  dim: number;
  index: Float64Array;
}

const IndexAddBackward0 = derivative<GatherAttrs>({
  name: 'IndexAddBackward0',
  formulas: { source: 'grad.index_select(dim, index)' },
  backward: (g, _s, at) => [gatherRows(g, at.dim, at.index, IndexSelectBackward0)],
});

const IndexSelectBackward0 = derivative<GatherAttrs>({
  name: 'IndexSelectBackward0',
  formulas: { self: 'zeros(self.sizes()).index_add(dim, index, grad)' },
  backward: (g, _s, at) => [scatterAddRows(g, at)],
});

/** Rows `index` of `x` along `dim`, copied; recorded under `def`. */
function gatherRows(x: Tensor, dim: number, index: Float64Array, def: typeof IndexSelectBackward0): Tensor {
  const shape = x._shape.slice();
  shape[dim] = index.length;
  const out = emptyTensor(shape, x._dtype);
  withGradMode(false, () => {
    index.forEach((row, i) => {
      conversionKernel(x._dtype).run(select(out, dim, i), select(x, dim, row));
    });
  });
  if (!needsRecording([x])) return out;
  return record(def, out, [x], [], { shape: x._shape, dim, index });
}

/** Zeros shaped `at.shape` with the rows of `grad` added at `at.index` along `at.dim` (IndexAddBackward0). */
function scatterAddRows(grad: Tensor, at: GatherAttrs): Tensor {
  const out = emptyTensor(at.shape, grad._dtype);
  withGradMode(false, () => {
    at.index.forEach((row, i) => {
      const target = select(out, at.dim, row);
      const sum = convert(target, target._dtype);
      copyInto(target, addValues(sum, select(grad, at.dim, i)));
    });
  });
  return record(IndexAddBackward0, out, [grad], [], at);
}

function addValues(a: Tensor, b: Tensor): Tensor {
  const out = convert(a, a._dtype);
  const buf = out._buffer;
  const other = convert(b, a._dtype)._buffer;
  for (let i = 0; i < buf.length; i++) buf[i] += other[i];
  return out;
}

function copyInto(target: Tensor, values: Tensor): void {
  conversionKernel(target._dtype).run(target, values);
}

function indexValues(x: Tensor, index: Tensor | readonly number[], dim: number): Float64Array {
  const size = x._shape[dim];
  const raw = index instanceof Tensor ? convert(index, int64)._buffer : Float64Array.from(index);
  return Float64Array.from(raw, (v) => {
    if (v < -size || v >= size) throw new IndexError(`index ${v} is out of bounds for dimension ${dim} with size ${size}`);
    return v < 0 ? v + size : v;
  });
}

/** Elements at the positions `index` (1-D int64) along `dim` (IndexSelectBackward0). */
export function index_select(x: Tensor, dim: number, index: Tensor): Tensor {
  if (index._dtype !== int64) throw new RuntimeError('index_select(): Expected dtype int64 for index');
  if (index._shape.length > 1) throw new IndexError('index_select(): Index is supposed to be a vector');
  const d = normalizeDim(dim, x._shape.length);
  return gatherRows(x, d, indexValues(x, index, d), IndexSelectBackward0);
}

// ---- Python indexing ------------------------------------------------------------------------------------

function parseSlice(text: string): Slice {
  const parts = text.split(':').map((p) => p.trim());
  if (parts.length < 2 || parts.length > 3) throw new IndexError(`invalid slice '${text}'`);
  const read = (p: string | undefined): number | null => (p === undefined || p === '' ? null : Number(p));
  return new Slice(read(parts[0]), read(parts[1]), read(parts[2]));
}

/** Python's `x[indices]`: basic indexing as views, then the tensor (or integer array) indices, if any. */
export function index(x: Tensor, indices: readonly Index[]): Tensor {
  const { view, advanced } = basicIndex(x, indices);
  if (advanced.length === 0) return view === x ? aliasOf(x) : view;
  return advancedIndex(view, planIndex(view._shape, advanced));
}

/** The view the basic indices (integers, slices, None, `...`) make, and the advanced ones, by dimension of that view. */
function basicIndex(x: Tensor, indices: readonly Index[]): { view: Tensor; advanced: AdvancedIndex[] } {
  let consumed = 0;
  for (const item of indices) {
    if (item instanceof Tensor && item._dtype === bool) consumed += item._shape.length;
    else if (item !== null && item !== '...') consumed++;
  }
  if (consumed > x._shape.length) {
    throw new IndexError(`too many indices for tensor of dimension ${x._shape.length}`);
  }
  let view = x;
  let dim = 0;
  const advanced: AdvancedIndex[] = [];
  for (const item of indices) {
    if (item === '...') {
      dim += x._shape.length - consumed;
    } else if (item === null) {
      view = unsqueeze(view, dim);
      dim++;
    } else if (typeof item === 'number') {
      view = select(view, dim, item);
    } else if (typeof item === 'string' || item instanceof Slice) {
      const s = typeof item === 'string' ? parseSlice(item) : item;
      view = slice(view, dim, s.start, s.stop, s.step);
      dim++;
    } else {
      advanced.push({ dim, index: item });
      dim += item instanceof Tensor && item._dtype === bool ? item._shape.length : 1;
    }
  }
  return { view, advanced };
}

function aliasOf(x: Tensor): Tensor {
  return slice(x, 0, null, null, 1);
}

/**
 * Python's `x[indices] = value`, in place: basic indices copy `value` into the indexed view; tensor indices
 * write it at the positions they pick (`index_put_`, IndexPutBackward0).
 */
export function setIndex(x: Tensor, indices: readonly Index[], value: Tensor | Scalar): void {
  const { view, advanced } = basicIndex(x, indices);
  if (advanced.length === 0) {
    const target = view === x ? aliasOf(x) : view;
    copy_(target, isScalar(value) ? fullLike(target, Number(value)) : value);
    return;
  }
  const plan = planIndex(view._shape, advanced);
  inplace(view, (self) => advancedPut(self, plan, value instanceof Tensor ? value : Number(value), false), [value]);
}

// ---- unbind, split, chunk ----------------------------------------------------------------------------------

interface PiecesAttrs {
  dim: number;
  shapes: number[][];
  dtype: DType;
}

/** The gradients of the pieces, zeros where none arrived. */
function pieceGrads(grads: (Tensor | null)[], at: PiecesAttrs): Tensor[] {
  return grads.map((g, i) => g ?? emptyTensor(at.shapes[i], at.dtype));
}

const UnbindBackward0 = derivative<PiecesAttrs>({
  name: 'UnbindBackward0',
  formulas: { self: 'stack(grads, dim)' },
  combine: (grads, at) => stack(pieceGrads(grads, at), at.dim),
  backward: (grad) => [grad],
});

const SplitBackward0 = derivative<PiecesAttrs>({
  name: 'SplitBackward0',
  formulas: { self: 'cat(grads, dim)' },
  combine: (grads, at) => cat(pieceGrads(grads, at), at.dim),
  backward: (grad) => [grad],
});

const SplitWithSizesBackward0 = derivative<PiecesAttrs>({
  name: 'SplitWithSizesBackward0',
  formulas: { self: 'cat(grads, dim)' },
  combine: (grads, at) => cat(pieceGrads(grads, at), at.dim),
  backward: (grad) => [grad],
});

function viewsOf(x: Tensor, pieces: Tensor[], def: typeof UnbindBackward0, dim: number): Tensor[] {
  const views = pieces.map((p) => x._view(p._shape, p._strides, p._offset));
  return recordMany(def, views, [x], { dim, shapes: views.map((v) => v._shape), dtype: x._dtype });
}

/** The slices along `dim`, as views (one UnbindBackward0 with an output per slice). */
export function unbind(x: Tensor, dim = 0): Tensor[] {
  const d = normalizeDim(dim, x._shape.length);
  const pieces = withGradMode(false, () => Array.from({ length: x._shape[d] }, (_, i) => select(x, d, i)));
  return viewsOf(x, pieces, UnbindBackward0, d);
}

/** Pieces of `size` along `dim` (SplitBackward0), or of the listed sizes (SplitWithSizesBackward0). */
export function split(x: Tensor, size: number | number[], dim = 0): Tensor[] {
  const d = normalizeDim(dim, x._shape.length);
  const length = x._shape[d];
  const sizes = Array.isArray(size) ? size : Array.from({ length: Math.max(Math.ceil(length / size), 1) }, (_, i) => Math.min(size, length - i * size));
  if (Array.isArray(size) && size.reduce((a, b) => a + b, 0) !== length) {
    throw new RuntimeError(`split_with_sizes expects split_sizes to sum exactly to ${length} (input tensor's size at dimension ${d}), but got split_sizes=${shapeString(size)}`);
  }
  let start = 0;
  const pieces = withGradMode(false, () => sizes.map((n) => {
    const piece = narrow(x, d, start, n);
    start += n;
    return piece;
  }));
  return viewsOf(x, pieces, Array.isArray(size) ? SplitWithSizesBackward0 : SplitBackward0, d);
}

/** `chunks` nearly equal pieces along `dim` (split by ceil(size / chunks)). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normalizeDim(dim, x._shape.length);
  return split(x, Math.max(Math.ceil(x._shape[d] / chunks), 1), d);
}

// ---- joins ------------------------------------------------------------------------------------------------

interface JoinAttrs {
  dim: number;
  sizes: number[];
  dtypes: DType[];
}

const CatBackward0 = derivative<JoinAttrs>({
  name: 'CatBackward0',
  formulas: { tensors: 'grad.narrow(dim, offset_i, size_i) for each input' },
  backward: (g, _s, at) => {
    let start = 0;
    return at.sizes.map((size, i) => {
      const part = narrow(g, at.dim, start, size);
      start += size;
      return part._dtype === at.dtypes[i] ? part : toDtype(part, at.dtypes[i], false);
    });
  },
});

const StackBackward0 = derivative<JoinAttrs>({
  name: 'StackBackward0',
  formulas: { tensors: 'grad.select(dim, i) for each input' },
  backward: (g, _s, at) => at.sizes.map((_, i) => {
    const part = select(g, at.dim, i);
    return part._dtype === at.dtypes[i] ? part : toDtype(part, at.dtypes[i], false);
  }),
});

/** Joins tensors along an existing dim (CatBackward0). */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RuntimeError('torch.cat(): expected a non-empty list of Tensors');
  const parts = tensors.filter((p) => !(p._shape.length === 1 && p._shape[0] === 0));
  const reference = parts[0] ?? tensors[0];
  if (reference._shape.length === 0) throw new RuntimeError('zero-dimensional tensor (at position 0) cannot be concatenated');
  const d = normalizeDim(dim, reference._shape.length);
  parts.forEach((p, i) => {
    if (p._shape.length !== reference._shape.length) {
      throw new RuntimeError(`Tensors must have same number of dimensions: got ${reference._shape.length} and ${p._shape.length}`);
    }
    p._shape.forEach((size, k) => {
      if (k !== d && size !== reference._shape[k]) {
        throw new RuntimeError(`Sizes of tensors must match except in dimension ${d}. Expected size ${reference._shape[k]} but got size ${size} for tensor number ${i} in the list.`);
      }
    });
  });
  const dtype = tensors.reduce<DType>((acc, p) => promoteDtype(acc, p._dtype), tensors[0]._dtype);
  const shape = reference._shape.slice();
  shape[d] = parts.reduce((n, p) => n + p._shape[d], 0);
  const out = emptyTensor(shape, dtype);
  let start = 0;
  withGradMode(false, () => {
    for (const p of parts) {
      conversionKernel(dtype).run(slice(out, d, start, start + p._shape[d], 1), p);
      start += p._shape[d];
    }
  });
  return record(CatBackward0, out, tensors, [], { dim: d, sizes: tensors.map((p) => (p._shape.length ? p._shape[d] ?? 0 : 0)), dtypes: tensors.map((p) => p._dtype) });
}

function promoteDtype(a: DType, b: DType): DType {
  return a.itemsize >= b.itemsize && a.category >= b.category ? a : b.category >= a.category ? b : a;
}

/** Joins same-shaped tensors along a new dim (StackBackward0). */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (tensors.length === 0) throw new RuntimeError('stack expects a non-empty TensorList');
  const first = tensors[0];
  tensors.forEach((p, i) => {
    if (!sameShape(p._shape, first._shape)) {
      throw new RuntimeError(`stack expects each tensor to be equal size, but got ${shapeString(first._shape)} at entry 0 and ${shapeString(p._shape)} at entry ${i}`);
    }
  });
  const d = normalizeDim(dim, first._shape.length + 1);
  const dtype = tensors.reduce<DType>((acc, p) => promoteDtype(acc, p._dtype), first._dtype);
  const shape = first._shape.slice();
  shape.splice(d, 0, tensors.length);
  const out = emptyTensor(shape, dtype);
  withGradMode(false, () => tensors.forEach((p, i) => conversionKernel(dtype).run(select(out, d, i), p)));
  return record(StackBackward0, out, tensors, [], { dim: d, sizes: tensors.map(() => 1), dtypes: tensors.map((p) => p._dtype) });
}

// ---- flip, cumsum, tril/triu, gather, one_hot, repeat -------------------------------------------------------

const FlipBackward0 = derivative<{ dims: number[] }>({
  name: 'FlipBackward0',
  formulas: { self: 'grad.flip(dims)' },
  backward: (g, _s, at) => [flip(g, at.dims)],
});

/** A copy with the order of elements reversed along `dims` (FlipBackward0). */
export function flip(x: Tensor, dims: readonly number[]): Tensor {
  const ds = dims.map((d) => normalizeDim(d, x._shape.length));
  let offset = x._offset;
  const strides = x._strides.slice();
  for (const d of ds) {
    offset += (x._shape[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  const reversed = { _buffer: x._buffer, _shape: x._shape, _strides: strides, _offset: offset };
  return record(FlipBackward0, convert(reversed, x._dtype), [x], [], { dims: ds });
}

const CumsumBackward0 = derivative<{ dim: number }>({
  name: 'CumsumBackward0',
  scalars: ['dim'],
  formulas: { self: 'grad.flip(dim).cumsum(dim).flip(dim)' },
  backward: (g, _s, at) => [flip(cumsum(flip(g, [at.dim]), at.dim), [at.dim])],
});

/** Running sums along `dim` (CumsumBackward0); integers sum as int64. */
export function cumsum(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x._shape.length);
  const source = x._shape.length === 0 ? x._view([1], [1], x._offset) : x;
  const dtype = x._dtype.is_floating_point ? x._dtype : int64;
  const values = cumulativeSum(source, d);
  const out = Tensor._make(dtype.allocate(values.length), x._shape.slice(), contiguousStrides(x._shape), 0, dtype);
  out._buffer.set(values);
  return record(CumsumBackward0, out, [x], [], { dim: d });
}

interface TriangleAttrs {
  diagonal: number;
  lower: boolean;
}

const TrilBackward0 = derivative<TriangleAttrs>({
  name: 'TrilBackward0',
  scalars: ['diagonal'],
  formulas: { self: 'grad.tril(diagonal)' },
  backward: (g, _s, at) => [triangle(g, at.diagonal, true)],
});

const TriuBackward0 = derivative<TriangleAttrs>({
  name: 'TriuBackward0',
  scalars: ['diagonal'],
  formulas: { self: 'grad.triu(diagonal)' },
  backward: (g, _s, at) => [triangle(g, at.diagonal, false)],
});

/** The lower (tril) or upper (triu) triangle of the last two dims, relative to `diagonal`; the rest zero. */
export function triangle(x: Tensor, diagonal: number, lower: boolean): Tensor {
  if (x._shape.length < 2) throw new RuntimeError(`${lower ? 'tril' : 'triu'}: input tensor must have at least 2 dimensions`);
  const [rows, cols] = x._shape.slice(-2);
  const keep = emptyTensor([rows, cols], bool);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) keep._buffer[i * cols + j] = (lower ? j - i <= diagonal : j - i >= diagonal) ? 1 : 0;
  }
  const out = withGradMode(false, () => where(keep, x, 0));
  return record(lower ? TrilBackward0 : TriuBackward0, out._dtype === x._dtype ? out : convert(out, x._dtype), [x], [], { diagonal, lower });
}

interface GatherIndexAttrs {
  shape: readonly number[];
  dim: number;
  index: Tensor;
}

const GatherBackward0 = derivative<GatherIndexAttrs>({
  name: 'GatherBackward0',
  scalars: ['dim', 'index'],
  formulas: { self: 'zeros(self.sizes()).scatter_add(dim, index, grad)' },
  backward: (g, _s, at) => [scatterAdd(g, at)],
});

const ScatterAddBackward0 = derivative<GatherIndexAttrs>({
  name: 'ScatterAddBackward0',
  formulas: { src: 'grad.gather(dim, index)' },
  backward: (g, _s, at) => [gather(g, at.dim, at.index)],
});

/** Walks every position of `index`, giving the flat offset into a contiguous tensor of `shape` it addresses. */
function forEachGathered(shape: readonly number[], dim: number, index: Tensor, visit: (position: number, offset: number) => void): void {
  const values = convert(index, int64)._buffer;
  const strides = contiguousStrides(shape);
  const indexStrides = contiguousStrides(index._shape);
  values.forEach((value, position) => {
    const size = shape[dim];
    if (value < -size || value >= size) throw new RuntimeError(`index ${value} is out of bounds for dimension ${dim} with size ${size}`);
    let offset = 0;
    let rest = position;
    for (let d = 0; d < index._shape.length; d++) {
      const coordinate = Math.floor(rest / indexStrides[d]);
      rest -= coordinate * indexStrides[d];
      offset += (d === dim ? (value < 0 ? value + size : value) : coordinate) * strides[d];
    }
    visit(position, offset);
  });
}

/** Values of `x` picked along `dim` by the int64 `index` (same rank), as `torch.gather` (GatherBackward0). */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  if (index._dtype !== int64) throw new RuntimeError('gather(): Expected dtype int64 for index');
  const d = normalizeDim(dim, x._shape.length);
  const source = convert(x, x._dtype)._buffer;
  const out = emptyTensor(index._shape, x._dtype);
  forEachGathered(x._shape, d, index, (position, offset) => { out._buffer[position] = source[offset]; });
  return record(GatherBackward0, out, [x], [], { shape: x._shape, dim: d, index });
}

/** `indices` (int64) as one-hot rows of `numClasses` (the largest index + 1 when -1): int64, not differentiable. */
export function one_hot(indices: Tensor, numClasses = -1): Tensor {
  if (indices._dtype !== int64) throw new RuntimeError('one_hot is only applicable to index tensor.');
  const values = convert(indices, int64)._buffer;
  if (numClasses === -1 && values.length === 0) throw new RuntimeError('Can not infer total number of classes from empty tensor.');
  let largest = -1;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0) throw new RuntimeError('Class values must be non-negative.');
    largest = Math.max(largest, values[i]);
  }
  const classes = numClasses === -1 ? largest + 1 : numClasses;
  if (largest >= classes) throw new RuntimeError('Class values must be smaller than num_classes.');
  const out = emptyTensor([...indices._shape, classes], int64);
  for (let i = 0; i < values.length; i++) out._buffer[i * classes + values[i]] = 1;
  return out;
}

/** Zeros shaped `at.shape` with `src` added at the gathered positions (ScatterAddBackward0). */
function scatterAdd(src: Tensor, at: GatherIndexAttrs): Tensor {
  const out = emptyTensor(at.shape, src._dtype);
  const values = convert(src, src._dtype)._buffer;
  forEachGathered(at.shape, at.dim, at.index, (position, offset) => { out._buffer[offset] += values[position]; });
  return record(ScatterAddBackward0, out, [src], [], at);
}

const SortBackward0 = derivative<GatherIndexAttrs>({
  name: 'SortBackward0',
  saved: ['indices'],
  scalars: ['dim'],
  formulas: { self: 'zeros(self.sizes()).scatter(dim, indices, grad)' },
  backward: (g, _s, at) => [scatterAdd(g, at)],
});

const TopkBackward0 = derivative<GatherIndexAttrs>({
  name: 'TopkBackward0',
  saved: ['indices'],
  scalars: ['dim'],
  formulas: { self: 'zeros(self.sizes()).scatter(dim, indices, grad)' },
  backward: (g, _s, at) => [scatterAdd(g, at)],
});

/** The order of each slice along `dim`: positions sorted by value (NaN last, ties by position), per slice. */
function orderAlong(x: Tensor, dim: number, descending: boolean, keep: number): Tensor {
  const shape = x._shape.slice();
  const length = shape[dim];
  shape[dim] = keep;
  const indices = emptyTensor(shape, int64);
  const values = convert(x, x._dtype)._buffer;
  const stride = contiguousStrides(x._shape)[dim];
  const outStride = contiguousStrides(shape)[dim];
  const slices = values.length / Math.max(length, 1);
  const sign = descending ? -1 : 1;
  for (let s = 0; s < slices; s++) {
    const outer = Math.floor(s / stride), inner = s % stride;
    const start = outer * stride * length + inner;
    const order = Array.from({ length }, (_, i) => i);
    const at = (i: number): number => values[start + i * stride];
    order.sort((i, j) => {
      const a = at(i), b = at(j);
      if (a !== a || b !== b) return a !== a ? (b !== b ? i - j : descending ? -1 : 1) : descending ? 1 : -1;
      return a === b ? i - j : sign * (a - b);
    });
    const outStart = outer * outStride * keep + inner;
    for (let k = 0; k < keep; k++) indices._buffer[outStart + k * outStride] = order[k];
  }
  return indices;
}

/** Values and indices of the slices along `dim` sorted (SortBackward0 for the values). */
export function sort(x: Tensor, dim: number, descending: boolean): [Tensor, Tensor] {
  const d = normalizeDim(dim, x._shape.length);
  if (x._shape.length === 0) return [clone(x), emptyTensor([], int64)];
  const indices = orderAlong(x, d, descending, x._shape[d]);
  const values = withGradMode(false, () => gather(x, d, indices));
  return [record(SortBackward0, values, [x], [indices], { shape: x._shape, dim: d, index: indices }), indices];
}

/** The `k` largest (or smallest) values along `dim` and their indices (TopkBackward0 for the values). */
export function topk(x: Tensor, k: number, dim: number, largest: boolean): [Tensor, Tensor] {
  const d = normalizeDim(dim, x._shape.length);
  const length = x._shape.length === 0 ? 1 : x._shape[d];
  if (k < 0 || k > length) throw new RuntimeError('selected index k out of range');
  const source = x._shape.length === 0 ? x._view([1], [1], x._offset) : x;
  const indices = orderAlong(source, d, largest, k);
  const values = withGradMode(false, () => gather(source, d, indices));
  return [record(TopkBackward0, values, [x], [indices], { shape: source._shape, dim: d, index: indices }), indices];
}

const RepeatBackward0 = derivative<{ shape: readonly number[]; repeats: readonly number[] }>({
  name: 'RepeatBackward0',
  formulas: { self: 'grad summed over the repeated blocks' },
  backward: (g, _s, at) => {
    const lead = at.repeats.length - at.shape.length;
    const split: number[] = [];
    const reduced: number[] = [];
    at.repeats.forEach((r, d) => {
      const size = d < lead ? 1 : at.shape[d - lead];
      reduced.push(split.length);
      split.push(r, size);
    });
    return [reshape(sum(reshape(g, split), reduced), at.shape)];
  },
});

/** The tensor tiled `repeats[d]` times along each dim (leading repeats add dims), as `Tensor.repeat` (RepeatBackward0). */
export function repeat(x: Tensor, repeats: readonly number[]): Tensor {
  if (repeats.length < x._shape.length) {
    throw new RuntimeError('Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor');
  }
  const lead = repeats.length - x._shape.length;
  const padded = [...new Array<number>(lead).fill(1), ...x._shape];
  const interleaved: number[] = [];
  padded.forEach((size, d) => interleaved.push(repeats[d], size));
  const out = withGradMode(false, () => {
    const source = view(x.detach(), interleaved.map((v, i) => (i % 2 === 0 ? 1 : v)));
    return clone(expand(source, interleaved)).reshape(padded.map((size, d) => size * repeats[d]));
  });
  return record(RepeatBackward0, out, [x], [], { shape: x._shape, repeats });
}

// ---- copies and conversions -----------------------------------------------------------------------------

/** A contiguous copy (CloneBackward0). */
export function clone(x: Tensor): Tensor {
  return record(CloneBackward0, convert(x, x._dtype), [x]);
}

/** `x` when contiguous, else a contiguous copy (CloneBackward0). */
export function contiguous(x: Tensor): Tensor {
  return isContiguous(x._shape, x._strides) ? x : clone(x);
}

/** Conversion to `dtype` (ToCopyBackward0); returns `x` itself when already that dtype and no copy is asked. */
export function toDtype(x: Tensor, dtype: DType, copy: boolean): Tensor {
  if (x._dtype === dtype && !copy) return x;
  if (x.requires_grad && !dtype.is_floating_point) {
    return convert(x, dtype);
  }
  return record(ToCopyBackward0, convert(x, dtype), [x], [], { dtype: x._dtype });
}

/** Ones shaped and typed like `x`. */
export function onesLike(x: Tensor): Tensor {
  return fullLike(x, 1);
}

/** A contiguous tensor shaped and typed like `x`, filled with `value`. */
export function fullLike(x: Tensor, value: number): Tensor {
  const out = emptyTensor(x._shape, x._dtype);
  const values = out._buffer, filler = x._dtype.cast(value);
  // As in convert: a loop fills a few elements faster than the call into fill() starts.
  if (values.length <= 16) for (let i = 0; i < values.length; i++) values[i] = filler;
  else values.fill(filler);
  return out;
}

// ---- in-place ops on views: CopySlices -------------------------------------------------------------------

/** The part of a tensor shaped like `base` that `view` covers (`base` and the tensor contiguous). */
function viewRegion(base: Tensor, view: Tensor): (t: Tensor) => Tensor {
  const shape = view._shape.slice(), strides = view._strides.slice(), offset = view._offset - base._offset;
  return (t: Tensor) => t._view(shape, strides, t._offset + offset);
}

/**
 * PyTorch's CopySlices: the base's grad_fn after an in-place op on one of its views. The gradient of the
 * base passes through unchanged outside the view; inside, it goes through the in-place op's node `fn`.
 */
export class CopySlices extends Node {
  /** @internal */
  constructor(
    baseEdge: Edge,
    /** The grad_fn of the in-place op applied to the view. */
    readonly fn: Node,
    private readonly region: (t: Tensor) => Tensor,
    base: Tensor,
  ) {
    super([baseEdge, ...fn._edges.slice(1)], base._dtype);
  }

  override name(): string {
    return 'torch::autograd::CopySlices';
  }

  override apply(gradOutputs: (Tensor | null)[]): (Tensor | null)[] {
    const grad = gradOutputs[0];
    if (grad === null) return this._edges.map(() => null);
    const result = clone(grad);
    const slice = this.region(result);
    const inner = this.fn.apply([clone(slice)]);
    withGradMode(false, () => conversionKernel(slice._dtype).run(slice, inner[0] ?? fullLike(slice, 0)));
    return [result, ...inner.slice(1)];
  }

  override release(): void {
    this.fn.release();
  }
}

const AsStridedBackward0 = derivative<RegionAttrs>({
  name: 'AsStridedBackward0',
  formulas: { self: 'zeros(self.sizes()).as_strided(size, stride, offset) = grad' },
  backward: (g, _s, at) => [embed(g, at, AsStridedBackwardBackward0)],
});

const AsStridedBackwardBackward0 = derivative<RegionAttrs>({
  name: 'AsStridedBackwardBackward0',
  formulas: { grad: 'grad.as_strided(size, stride, offset)' },
  backward: (g, _s, at) => [at.region(g)],
});

/** After an in-place op (grad_fn `fn`) on `view`: the base gets CopySlices, the view an AsStridedBackward0 of it. */
export function rebaseView(base: Tensor, view: Tensor, fn: Node): void {
  if (!isContiguous(base._shape, base._strides)) {
    throw new RuntimeError('tsgrad records in-place operations on views of contiguous tensors only; call .contiguous() on the base first');
  }
  const region = viewRegion(base, view);
  base._gradFn = new CopySlices(gradientEdge(base), fn, region, base);
  base._outputNr = 0;
  view._gradFn = null;
  record(AsStridedBackward0, view, [base], [], { shape: base._shape, region });
}
