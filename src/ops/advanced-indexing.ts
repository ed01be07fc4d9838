/**
 * Python's advanced indexing (`x[i, j]`, `x[mask]`, `x[rows, cols] = v`), as PyTorch does it after the basic
 * indices (integers, slices, None, ...) made a view: the index tensors (a bool mask counts as one long index per
 * dimension it covers, its nonzero positions) are broadcast together, and the result takes their shape in place
 * of the dimensions they index when those are adjacent, in front otherwise. An `IndexPlan` holds, for every
 * element of that result, its row-major position in the indexed tensor: reading (IndexBackward0), writing
 * (IndexPutBackward0), embedding's row lookup (EmbeddingBackward0) and their gradients are all one loop over it.
 */
import { bool, int64 } from '../dtype.js';
import { IndexError, RuntimeError } from '../errors.js';
import { record } from '../autograd/function.js';
import { derivative } from '../autograd/node.js';
import { contiguousStrides, isContiguous, numelOf } from '../kernels/strided.js';
import { Tensor } from '../tensor.js';
import { emptyTensor, shapeString } from './common.js';
import { conversionKernel, convert } from './pointwise.js';
import { sumToShape } from './reduction.js';

/** An advanced index at dimension `dim` of the tensor being indexed: a tensor or an array of integers. */
export interface AdvancedIndex {
  dim: number;
  index: Tensor | readonly number[];
}

/** Where each element of an advanced-indexing result comes from. */
export interface IndexPlan {
  /** Shape of the indexed tensor. */
  readonly sourceShape: readonly number[];
  /** Shape of the result. */
  readonly resultShape: readonly number[];
  /** Row-major position in the indexed tensor of each result element, in the result's row-major order. */
  readonly positions: Float64Array;
}

/** One long index per indexed dimension: masks become the positions of their true elements along each of theirs. */
function longIndices(source: readonly number[], advanced: readonly AdvancedIndex[]): { dim: number; values: Tensor }[] {
  const out: { dim: number; values: Tensor }[] = [];
  for (const { dim, index } of advanced) {
    if (Array.isArray(index)) {
      out.push({ dim, values: Tensor._make(Float64Array.from(index as number[], Number), [index.length], [1], 0, int64) });
    } else if ((index as Tensor)._dtype === bool) {
      out.push(...maskIndices(source, dim, index as Tensor));
    } else if ((index as Tensor)._dtype !== int64) {
      throw new IndexError('tensors used as indices must be long, byte or bool tensors');
    } else {
      out.push({ dim, values: index as Tensor });
    }
  }
  return out;
}

function maskIndices(source: readonly number[], dim: number, mask: Tensor): { dim: number; values: Tensor }[] {
  mask._shape.forEach((size, k) => {
    if (size !== source[dim + k]) {
      throw new IndexError(`The shape of the mask ${shapeString(mask._shape)} at index ${k} does not match the shape of the indexed tensor ${shapeString(source)} at index ${dim + k}`);
    }
  });
  const flags = convert(mask, bool)._buffer;
  const strides = contiguousStrides(mask._shape);
  let count = 0;
  for (let i = 0; i < flags.length; i++) count += flags[i];
  return mask._shape.map((_, k) => {
    const values = new Float64Array(count);
    for (let i = 0, found = 0; i < flags.length; i++) {
      if (flags[i]) values[found++] = Math.floor(i / strides[k]) % mask._shape[k];
    }
    return { dim: dim + k, values: Tensor._make(values, [count], [1], 0, int64) };
  });
}

/** The shape all index tensors broadcast to, with PyTorch's message when they do not. */
function indexShape(indices: readonly { values: Tensor }[]): number[] {
  const rank = Math.max(...indices.map(({ values }) => values._shape.length));
  const shape = new Array<number>(rank).fill(1);
  for (const { values } of indices) {
    const shift = rank - values._shape.length;
    values._shape.forEach((size, k) => {
      const current = shape[shift + k];
      if (size !== current && size !== 1 && current !== 1) {
        throw new IndexError(`shape mismatch: indexing tensors could not be broadcast together with shapes ${indices.map(({ values: v }) => shapeString(v._shape)).join(', ')}`);
      }
      if (size !== 1) shape[shift + k] = size;
    });
  }
  return shape;
}

/** The plan of `x[...advanced]` over a tensor of shape `source` (the view the basic indices made). */
export function planIndex(source: readonly number[], advanced: readonly AdvancedIndex[]): IndexPlan {
  const indices = longIndices(source, advanced);
  const broadcast = indexShape(indices);
  const count = numelOf(broadcast);
  const steps = contiguousStrides(source);
  // Each result element's offset from the indexed dimensions, the k-th index reading as its ordinal (PyTorch's message).
  const indexed = new Float64Array(count);
  const expanded = emptyTensor(broadcast, int64);
  indices.forEach(({ dim, values }, ordinal) => {
    const size = source[dim];
    conversionKernel(int64).run(expanded, values);
    const buffer = expanded._buffer;
    for (let i = 0; i < count; i++) {
      const value = buffer[i];
      if (value < -size || value >= size) throw new IndexError(`index ${value} is out of bounds for dimension ${ordinal} with size ${size}`);
      indexed[i] += (value < 0 ? value + size : value) * steps[dim];
    }
  });
  const indexedDims = new Set(indices.map(({ dim }) => dim));
  const restDims = source.map((_, d) => d).filter((d) => !indexedDims.has(d));
  const dims = [...indexedDims];
  const adjacent = dims.every((d, k) => d === dims[0] + k);
  // The dimensions not indexed that stand before the index shape in the result: those before the indexed ones when adjacent.
  const leading = adjacent ? restDims.filter((d) => d < dims[0]) : [];
  const trailing = restDims.slice(leading.length);
  const leadingCount = numelOf(leading.map((d) => source[d]));
  const trailingCount = numelOf(trailing.map((d) => source[d]));
  const restOffsets = offsetsOf(source, restDims, steps);
  const positions = new Float64Array(leadingCount * count * trailingCount);
  let at = 0;
  for (let l = 0; l < leadingCount; l++) {
    for (let i = 0; i < count; i++) {
      for (let t = 0; t < trailingCount; t++) positions[at++] = restOffsets[l * trailingCount + t] + indexed[i];
    }
  }
  return {
    sourceShape: source.slice(),
    resultShape: [...leading.map((d) => source[d]), ...broadcast, ...trailing.map((d) => source[d])],
    positions,
  };
}

/** The offsets (by `steps`) of every element of the sub-grid over `dims`, in row-major order. */
function offsetsOf(shape: readonly number[], dims: readonly number[], steps: readonly number[]): Float64Array {
  const sizes = dims.map((d) => shape[d]);
  const offsets = new Float64Array(numelOf(sizes));
  const coordinates = new Array<number>(dims.length).fill(0);
  for (let i = 1; i < offsets.length; i++) {
    let k = dims.length - 1;
    while (++coordinates[k] === sizes[k]) coordinates[k--] = 0;
    let offset = 0;
    for (let j = 0; j < dims.length; j++) offset += coordinates[j] * steps[dims[j]];
    offsets[i] = offset;
  }
  return offsets;
}

/** `x`'s elements in row-major order (the tensor itself when already laid out so). */
function rowMajor(x: Tensor): Tensor {
  return isContiguous(x._shape, x._strides) ? x : convert(x, x._dtype);
}

const IndexBackward0 = derivative<IndexPlan>({
  name: 'IndexBackward0',
  formulas: { self: 'zeros(self.sizes()).index_put(indices, grad, accumulate=True)' },
  backward: (grad, _saved, plan) => [advancedPut(emptyTensor(plan.sourceShape, grad._dtype), plan, grad, true)],
});

/** `x[indices]` for the plan's indices (IndexBackward0). */
export function advancedIndex(x: Tensor, plan: IndexPlan): Tensor {
  return record(IndexBackward0, gatherValues(x, plan), [x], [], plan);
}

/** The elements of `x` the plan picks, as a new tensor shaped like the result; not recorded. */
function gatherValues(x: Tensor, plan: IndexPlan): Tensor {
  const source = rowMajor(x);
  const out = emptyTensor(plan.resultShape, x._dtype);
  const from = source._buffer, to = out._buffer, positions = plan.positions, offset = source._offset;
  for (let i = 0; i < positions.length; i++) to[i] = from[offset + positions[i]];
  return out;
}

interface EmbeddingAttrs {
  plan: IndexPlan;
  /** The row that receives no gradient, as a plan of its own (null without padding_idx). */
  padding: IndexPlan | null;
}

const EmbeddingBackward0 = derivative<EmbeddingAttrs>({
  name: 'EmbeddingBackward0',
  formulas: { weight: 'zeros(num_weights, dim).index_add(0, indices, grad), row padding_idx left at 0' },
  backward: (grad, _saved, at) => {
    const summed = advancedPut(emptyTensor(at.plan.sourceShape, grad._dtype), at.plan, grad, true);
    return [at.padding === null ? summed : advancedPut(summed, at.padding, 0, false)];
  },
});

/** The rows of `weight` at `indices` (int64, any shape): a lookup table (EmbeddingBackward0). */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  if (indices._dtype !== int64) {
    throw new RuntimeError(`Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got ${indices._dtype.legacyTypeName} instead (while checking arguments for embedding)`);
  }
  const rows = weight._shape[0];
  const values = convert(indices, int64)._buffer;
  for (let i = 0; i < values.length; i++) if (values[i] < 0 || values[i] >= rows) throw new IndexError('index out of range in self');
  const plan = planIndex(weight._shape, [{ dim: 0, index: indices }]);
  const padding = paddingIdx === null ? null : planIndex(weight._shape, [{ dim: 0, index: [paddingIdx] }]);
  return record(EmbeddingBackward0, gatherValues(weight, plan), [weight], [], { plan, padding });
}

interface PutAttrs {
  plan: IndexPlan;
  valuesShape: readonly number[];
}

const IndexPutBackward0 = derivative<PutAttrs>({
  name: 'IndexPutBackward0',
  formulas: { self: 'grad.index_put(indices, zeros_like(values), accumulate)', values: 'grad[indices]' },
  backward: (grad, _saved, at, node) => [
    node.needs(0) ? advancedPut(grad, at.plan, 0, false) : null,
    node.needs(1) ? sumToShape(advancedIndex(grad, at.plan), at.valuesShape) : null,
  ],
});

const IndexPutImplBackward0 = derivative<PutAttrs>({
  name: 'IndexPutImplBackward0',
  formulas: { self: 'grad', values: 'grad[indices]' },
  backward: (grad, _saved, at, node) => [
    node.needs(0) ? grad : null,
    node.needs(1) ? sumToShape(advancedIndex(grad, at.plan), at.valuesShape) : null,
  ],
});

/**
 * A copy of `self` with `values` (broadcast to the indexing result) written at the plan's positions, or added
 * there when `accumulate`: `index_put` (IndexPutBackward0; IndexPutImplBackward0 for the accumulating form
 * gradients use).
 */
export function advancedPut(self: Tensor, plan: IndexPlan, values: Tensor | number, accumulate: boolean): Tensor {
  const source = values instanceof Tensor ? values : emptyTensor([], self._dtype);
  if (!(values instanceof Tensor)) source._buffer[0] = self._dtype.cast(values);
  const shift = plan.resultShape.length - source._shape.length;
  if (shift < 0 || source._shape.some((size, k) => size !== 1 && size !== plan.resultShape[shift + k])) {
    throw new RuntimeError(`shape mismatch: value tensor of shape ${shapeString(source._shape)} cannot be broadcast to indexing result of shape ${shapeString(plan.resultShape)}`);
  }
  const written = emptyTensor(plan.resultShape, self._dtype);
  conversionKernel(self._dtype).run(written, source);
  const out = convert(self, self._dtype);
  const to = out._buffer, from = written._buffer, positions = plan.positions;
  if (accumulate) for (let i = 0; i < positions.length; i++) to[positions[i]] += from[i];
  else for (let i = 0; i < positions.length; i++) to[positions[i]] = from[i];
  const inputs = [self, values instanceof Tensor ? values : null];
  const attrs = { plan, valuesShape: source._shape };
  return record(accumulate ? IndexPutImplBackward0 : IndexPutBackward0, out, inputs, [], attrs);
}
