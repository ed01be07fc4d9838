/** Reduction kernels: sums over any set of dimensions, and extremum-with-index along one dimension. */
import type { Storage } from '../dtype.js';
import { coalesce, forEachRow, type Strided } from './strided.js';

/**
 * Sums (or multiplies, with `product`) `x` over the dimensions flagged in `reduced`, in float64, into a
 * contiguous Float64Array laid out as the kept dimensions (row-major). Accumulating in float64 keeps float32
 * sums close to PyTorch's pairwise sums.
 */
export function sumReduce(x: Strided, reduced: readonly boolean[], product = false): Float64Array {
  const shape = x._shape;
  const outStrides = new Array<number>(shape.length);
  let outSize = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (reduced[d]) {
      outStrides[d] = 0;
    } else {
      outStrides[d] = outSize;
      outSize *= shape[d];
    }
  }
  const acc = new Float64Array(outSize);
  if (product) acc.fill(1);
  const data = x._buffer;
  let total = 1;
  for (const size of shape) total *= size;
  if (total === 0) return acc;
  const [dims, [os, xs]] = coalesce(shape, [outStrides, x._strides]);
  if (dims.length === 0) {
    acc[0] = data[x._offset];
    return acc;
  }
  const last = dims.length - 1;
  const row = product ? multiplyRow : accumulateRow;
  forEachRow(dims, [os, xs], [0, x._offset], (o, n) => row(acc, o[0], os[last], data, o[1], xs[last], n));
  return acc;
}

function multiplyRow(acc: Float64Array, ao: number, as: number, x: Storage, xo: number, xs: number, n: number): void {
  for (let i = 0; i < n; i++, xo += xs, ao += as) acc[ao] *= x[xo];
}

function accumulateRow(acc: Float64Array, ao: number, as: number, x: Storage, xo: number, xs: number, n: number): void {
  if (as === 0) {
    // Four running sums break the chain of dependent additions (and pair terms as a pairwise sum would).
    let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    let i = 0;
    for (const step = 4 * xs; i + 4 <= n; i += 4, xo += step) {
      t0 += x[xo];
      t1 += x[xo + xs];
      t2 += x[xo + 2 * xs];
      t3 += x[xo + 3 * xs];
    }
    for (; i < n; i++, xo += xs) t0 += x[xo];
    acc[ao] += (t0 + t1) + (t2 + t3);
  } else {
    for (let i = 0; i < n; i++, xo += xs, ao += as) acc[ao] += x[xo];
  }
}

/**
 * For each position of the other dimensions, the extreme value along `dim` and its first index (NaN wins,
 * as in PyTorch). Results are row-major over the shape with `dim` removed.
 */
export function extremeAlongDim(x: Strided, dim: number, wantMax: boolean): { values: Float64Array; indices: Float64Array } {
  const shape = x._shape;
  const outerShape = shape.filter((_, d) => d !== dim);
  const outerStrides = x._strides.filter((_, d) => d !== dim);
  const length = shape[dim];
  const step = x._strides[dim];
  let count = 1;
  for (const s of outerShape) count *= s;
  const values = new Float64Array(count);
  const indices = new Float64Array(count);
  const data = x._buffer;
  let position = 0;
  const visit = (start: number): void => {
    let best = data[start];
    let bestIndex = 0;
    for (let i = 1, p = start + step; i < length && best === best; i++, p += step) {
      const v = data[p];
      if (v !== v || (wantMax ? v > best : v < best)) {
        best = v;
        bestIndex = i;
      }
    }
    values[position] = best;
    indices[position++] = bestIndex;
  };
  if (outerShape.length === 0) {
    visit(x._offset);
  } else {
    const inner = outerShape.length - 1;
    forEachRow(outerShape, [outerStrides], [x._offset], (o, n) => {
      for (let i = 0, p = o[0]; i < n; i++, p += outerStrides[inner]) visit(p);
    });
  }
  return { values, indices };
}

/** Sum over all elements of (x - y)², in float64, for two same-shaped contiguous views. */
export function sumSquaredDifference(x: Strided, y: Strided, n: number): number {
  const xd = x._buffer, yd = y._buffer;
  const xo = x._offset, yo = y._offset;
  let t0 = 0, t1 = 0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const d0 = xd[xo + i] - yd[yo + i];
    const d1 = xd[xo + i + 1] - yd[yo + i + 1];
    t0 += d0 * d0;
    t1 += d1 * d1;
  }
  if (i < n) {
    const d = xd[xo + i] - yd[yo + i];
    t0 += d * d;
  }
  return t0 + t1;
}

/** Running sums along `dim` (row-major result over `x`'s shape), accumulated in float64. */
export function cumulativeSum(x: Strided, dim: number): Float64Array {
  const shape = x._shape;
  const strides = x._strides;
  let total = 1;
  for (const size of shape) total *= size;
  const out = new Float64Array(total);
  const outStrides = new Array<number>(shape.length);
  for (let d = shape.length - 1, step = 1; d >= 0; d--) {
    outStrides[d] = step;
    step *= shape[d];
  }
  const outerShape = shape.filter((_, d) => d !== dim);
  const length = shape[dim];
  const data = x._buffer;
  const visit = (inOffset: number, outOffset: number): void => {
    let running = 0;
    for (let i = 0; i < length; i++) {
      running += data[inOffset + i * strides[dim]];
      out[outOffset + i * outStrides[dim]] = running;
    }
  };
  if (outerShape.length === 0) {
    visit(x._offset, 0);
    return out;
  }
  const inner = outerShape.length - 1;
  const outerIn = strides.filter((_, d) => d !== dim);
  const outerOut = outStrides.filter((_, d) => d !== dim);
  forEachRow(outerShape, [outerIn, outerOut], [x._offset, 0], (o, n) => {
    for (let i = 0; i < n; i++) visit(o[0] + i * outerIn[inner], o[1] + i * outerOut[inner]);
  });
  return out;
}
