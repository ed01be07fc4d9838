/** The view description every kernel works on, and the N-d iteration shared by the elementwise kernels. */
import type { Storage } from '../dtype.js';

/** A strided view over a typed array: what a Tensor is to a kernel. */
export interface Strided {
  readonly _buffer: Storage;
  readonly _shape: readonly number[];
  readonly _strides: readonly number[];
  readonly _offset: number;
}

/** Number of elements of a shape. */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/**
 * The shape and the strides of 0-dim tensors: one list shared by all of them, since shapes and strides are
 * never changed in place (ops that change a shape make a new list); saves two allocations per scalar result.
 */
export const noDims: number[] = [];

/** Row-major strides of a contiguous tensor of this shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  if (shape.length === 0) return noDims;
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = step;
    step *= Math.max(shape[i], 1);
  }
  return strides;
}

/** True when the view walks its elements in row-major order without gaps (size-1 dims may have any stride). */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (shape[i] === 0) return true;
    if (strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/**
 * How a flat walk over a contiguous result of `shape` (`n` elements) reads `view`: step 1 when the view is
 * contiguous with the same shape, 0 when it holds one element, -1 when it needs the general N-d walk.
 */
export function flatStep(view: Strided, shape: readonly number[], n: number): number {
  const dims = view._shape;
  let count = 1;
  for (let i = 0; i < dims.length; i++) count *= dims[i];
  if (count === 1) return 0;
  if (count !== n || !isContiguous(dims, view._strides)) return -1;
  if (dims.length === shape.length) {
    for (let i = 0; i < dims.length; i++) if (dims[i] !== shape[i]) return -1;
    return 1;
  }
  return -1;
}

/** Strides of `view` read as if broadcast (right-aligned) to `shape`: 0 along broadcast dimensions. */
export function broadcastStrides(view: Strided, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length).fill(0);
  const shift = shape.length - view._shape.length;
  for (let i = 0; i < view._shape.length; i++) {
    out[i + shift] = view._shape[i] === 1 ? 0 : view._strides[i];
  }
  return out;
}

/**
 * Merges adjacent dimensions that every operand walks with one constant step, dropping size-1 dimensions,
 * so that most loops run as a single flat pass. Returns the merged shape and the operands' merged strides.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): [number[], number[][]] {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    let mergeable = last >= 0;
    for (let k = 0; k < strides.length && mergeable; k++) {
      mergeable = outStrides[k][last] === strides[k][d] * shape[d];
    }
    if (mergeable) {
      outShape[last] *= shape[d];
      for (let k = 0; k < strides.length; k++) outStrides[k][last] = strides[k][d];
    } else {
      outShape.push(shape[d]);
      for (let k = 0; k < strides.length; k++) outStrides[k].push(strides[k][d]);
    }
  }
  return [outShape, outStrides];
}

/**
 * Calls `row(offsets, n)` for every innermost row of an N-d walk, where `offsets[k]` is operand k's offset
 * of the row start and the row has `n` elements (operand k steps by `strides[k][last]`).
 */
export function forEachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  offsets: number[],
  row: (offsets: number[], n: number) => void,
): void {
  const dims = shape.length;
  if (dims === 0) {
    row(offsets, 1);
    return;
  }
  const inner = shape[dims - 1];
  if (inner === 0) return;
  let rows = 1;
  for (let d = 0; d < dims - 1; d++) rows *= shape[d];
  if (rows === 0) return;
  const index = new Array<number>(dims).fill(0);
  const current = offsets.slice();
  for (let r = 0; r < rows; r++) {
    row(current, inner);
    for (let d = dims - 2; d >= 0; d--) {
      index[d]++;
      for (let k = 0; k < current.length; k++) current[k] += strides[k][d];
      if (index[d] < shape[d]) break;
      for (let k = 0; k < current.length; k++) current[k] -= strides[k][d] * shape[d];
      index[d] = 0;
    }
  }
}
