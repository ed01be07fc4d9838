/** Reduction kernels: sums over any set of dimensions, and extremum-with-index along one dimension. */
import type { Storage } from '../dtype.js';
import { coalesce, forEachRow, type Strided } from './strided.js';
import { wasmCascadeSum } from './wasm/sums.js';

/**
 * Sums (or multiplies, with `product`) `x` over the dimensions flagged in `reduced` into a contiguous
 * Float64Array laid out as the kept dimensions (row-major). A float32 sum whose every output reduces one
 * contiguous run of memory (full sums of contiguous tensors, sums over trailing dimensions) takes PyTorch's
 * float32 summation order (cascadeSumFloat32) and gives its bits; other sums accumulate in float64.
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
  if (!product && data instanceof Float32Array && xs[last] === 1 && os[last] === 0 && os.every((stride, d) => d === last || stride !== 0)) {
    const rows = dims.slice(0, last);
    const length = dims[last];
    if (rows.length === 0) {
      acc[0] = cascadeSumFloat32(data, x._offset, length);
    } else {
      forEachRow(rows, [os.slice(0, last), xs.slice(0, last)], [0, x._offset], (o, n) => {
        const outStep = os[last - 1], inStep = xs[last - 1];
        for (let i = 0; i < n; i++) acc[o[0] + i * outStep] = cascadeSumFloat32(data, o[1] + i * inStep, length);
      });
    }
    return acc;
  }
  const row = product ? multiplyRow : accumulateRow;
  forEachRow(dims, [os, xs], [0, x._offset], (o, n) => row(acc, o[0], os[last], data, o[1], xs[last], n));
  return acc;
}

const CASCADE_LEVELS = 4;
const ILP = 4;

/** A float32 cascade sum over `n` terms from `offset`; `y` and `yShift` feed terms that read a second array. */
type CascadeSum = (x: Float32Array, offset: number, n: number, y: Float32Array, yShift: number) => number;

/**
 * Compiles the summation order of PyTorch 1.13's CPU float32 sum (ATen's cascade_sum on AVX2, one thread) over
 * terms given as an expression of their index (`x[q]` for a plain sum), so that a term computed on the fly
 * (mse_loss's squared differences) is summed without an intermediate array, and each compiled loop keeps its
 * element accesses monomorphic. Every addition rounds to float32. Runs of 8 terms are AVX2 vectors; vectors are
 * taken 4 at a time (independent partial sums), rows of 32 terms are summed in a 4-level cascade of 16-row
 * groups; leftover vectors go into the first partial sum, the partials are combined, then the scalar tail and
 * the 8 lanes are added in order. Fewer than 8 terms take the same scheme with 1 lane.
 */
function compileCascadeSum(term: (index: string) => string): CascadeSum {
  const columns = [0, 1, 2, 3, 4, 5, 6, 7];
  const body = `
    const lanes = n >= 8 ? 8 : 1;
    const width = ${ILP} * lanes;
    const vectors = Math.floor(n / lanes);
    const rows = Math.floor(vectors / ${ILP});
    const levelPower = Math.max(4, Math.floor(ceilLog2(rows) / ${CASCADE_LEVELS}));
    const levelStep = 1 << levelPower;
    const levelMask = levelStep - 1;
    // Upper levels only fill once a whole group was summed; below that they would add only +0 (the float32
    // sums start at +0, so they are never -0 and adding +0 changes nothing): short rows skip them.
    const grouped = rows >= levelStep;
    acc.fill(0, 0, grouped ? ${CASCADE_LEVELS} * width : width);
    let i = 0;
    let p = offset;
    while (i + levelStep <= rows) {
      // Level 0 starts each group from zero: sum the group's columns in registers, as many chains as fit.
      let c = 0;
      for (; c + 8 <= width; c += 8) {
        let ${columns.map((k) => `s${k} = 0`).join(', ')};
        for (let j = 0, q = p + c; j < levelStep; j++, q += width) {
          ${columns.map((k) => `s${k} = Math.fround(s${k} + ${term(`q + ${k}`)});`).join('\n          ')}
        }
        const to = width + c;
        ${columns.map((k) => `acc[to + ${k}] += s${k};`).join(' ')}
      }
      for (; c < width; c++) {
        let sum = 0;
        for (let j = 0, q = p + c; j < levelStep; j++, q += width) sum = Math.fround(sum + ${term('q')});
        acc[width + c] += sum;
      }
      i += levelStep;
      p += levelStep * width;
      for (let level = 2; level < ${CASCADE_LEVELS}; level++) {
        if ((i & (levelMask << ((level - 1) * levelPower))) !== 0) break;
        const to = level * width, from = to - width;
        for (let c = 0; c < width; c++) {
          acc[to + c] += acc[from + c];
          acc[from + c] = 0;
        }
      }
    }
    for (; i < rows; i++) {
      for (let c = 0; c < width; c++, p++) acc[c] += ${term('p')};
    }
    for (let level = 1; grouped && level < ${CASCADE_LEVELS}; level++) {
      for (let c = 0; c < width; c++) acc[c] += acc[level * width + c];
    }
    for (let v = rows * ${ILP}; v < vectors; v++) {
      for (let lane = 0; lane < lanes; lane++, p++) acc[lane] += ${term('p')};
    }
    for (let k = 1; k < ${ILP}; k++) {
      for (let lane = 0; lane < lanes; lane++) acc[lane] += acc[k * lanes + lane];
    }
    let total = 0;
    for (let end = offset + n; p < end; p++) total = Math.fround(total + ${term('p')});
    for (let lane = 0; lane < lanes; lane++) total = Math.fround(total + acc[lane]);
    return total;`;
  // The float32 accumulators: four cascade levels of 4 (ILP) × 8 (AVX2 lanes) sums.
  const accumulators = new Float32Array(CASCADE_LEVELS * ILP * 8);
  return new Function('acc', 'ceilLog2', 'squaredDifference', `return function cascadeSum(x, offset, n, y, yShift) {${body}\n};`)(
    accumulators, ceilLog2, squaredDifference,
  ) as CascadeSum;
}

/** `(a - b)²` as float32 arithmetic computes it: the difference rounded, then its square. */
function squaredDifference(a: number, b: number): number {
  const d = Math.fround(a - b);
  return Math.fround(d * d);
}

const plainCascadeSum = compileCascadeSum((index) => `x[${index}]`);
const squaredDifferenceCascadeSum = compileCascadeSum((index) => `squaredDifference(x[${index}], y[${index} + yShift])`);

/**
 * Sums of this many terms or more run in WebAssembly (sums.wat, the same order in SIMD): from 10,000 terms
 * ~12 -> ~3 µs (plain) and ~24 -> ~4 µs (squared differences). Shorter ones stay in JavaScript, where a call
 * costs less than staging the terms.
 */
const WASM_MIN_TERMS = 256;

/** Sums `n` contiguous float32 values from `offset` in PyTorch 1.13's order (see compileCascadeSum). */
export function cascadeSumFloat32(x: Float32Array, offset: number, n: number): number {
  return (n >= WASM_MIN_TERMS ? wasmCascadeSum(x, offset, n, null, 0) : null) ?? plainCascadeSum(x, offset, n, x, 0);
}

/** c10's CeilLog2: the bits needed for x - 1 (1 for x ≤ 2). */
function ceilLog2(x: number): number {
  return x <= 2 ? 1 : 32 - Math.clz32(x - 1);
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

/**
 * Sum over all elements of (x - y)², for two same-shaped contiguous views. float32 follows PyTorch: each
 * square rounded to float32, then summed in its order (cascadeSumFloat32); float64 accumulates in pairs.
 */
export function sumSquaredDifference(x: Strided, y: Strided, n: number): number {
  const xd = x._buffer, yd = y._buffer;
  const xo = x._offset, yo = y._offset;
  if (xd instanceof Float32Array && yd instanceof Float32Array) {
    // One term: the cascade would add it to +0, which leaves a square (never -0) as it is.
    if (n === 1) return squaredDifference(xd[xo], yd[yo]);
    return (n >= WASM_MIN_TERMS ? wasmCascadeSum(xd, xo, n, yd, yo) : null) ?? squaredDifferenceCascadeSum(xd, xo, n, yd, yo - xo);
  }
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
