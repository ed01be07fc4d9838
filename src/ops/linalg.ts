/** Matrix products (mm, bmm, mv, dot, addmm) and matmul's composition of them as in PyTorch 1.13. */
import { float32, float64 } from '../dtype.js';
import { RuntimeError } from '../errors.js';
import { record, needsRecording } from '../autograd/function.js';
import { derivative } from '../autograd/node.js';
import { BinaryKernel } from '../kernels/elementwise.js';
import { gemm, type MatrixOperand } from '../kernels/matmul.js';
import { Tensor } from '../tensor.js';
import { broadcastShapes, emptyTensor } from './common.js';
import { convert, mul } from './pointwise.js';
import { sumToShape } from './reduction.js';
import { clone, expand, reshape, squeezeInplaceDim, t, transpose, unsafeView, unsqueeze } from './shape.js';

function operand(x: Tensor, batchOffset = 0, rowDim = 0): MatrixOperand {
  return { data: x._buffer, offset: x._offset + batchOffset, rowStride: x._strides[rowDim], colStride: x._strides[rowDim + 1] };
}

const dtypeNames: Record<string, string> = { float32: 'Float', float64: 'Double', int64: 'Long', bool: 'Bool' };

function checkSameDtype(a: Tensor, b: Tensor): void {
  if (a._dtype !== b._dtype) {
    throw new RuntimeError(`expected scalar type ${dtypeNames[a._dtype.name]} but found ${dtypeNames[b._dtype.name]}`);
  }
}

/** Which operands of a matrix product were column-major (transposed contiguous, like nn.Linear's `weight.t()`). */
interface ProductLayout {
  mat1ColumnMajor: boolean;
  mat2ColumnMajor: boolean;
}

/** PyTorch's layout test: strides `[1, rows]`. */
function columnMajor(x: Tensor): boolean {
  return x._strides[0] === 1 && x._strides[1] === x._shape[0];
}

function productLayout(mat1: Tensor, mat2: Tensor): ProductLayout {
  return { mat1ColumnMajor: columnMajor(mat1), mat2ColumnMajor: columnMajor(mat2) };
}

/**
 * `grad · mat2ᵀ`; for a column-major mat1, `(mat2 · gradᵀ)ᵀ` (the same sums), so that the gradient comes
 * out in mat1's layout and needs no copy on its way into `.grad`, as PyTorch's mm_mat1_backward.
 */
function mat1Gradient(grad: Tensor, mat2: Tensor, layout: ProductLayout): Tensor {
  return layout.mat1ColumnMajor ? t(mm(mat2, t(grad))) : mm(grad, t(mat2));
}

/** `mat1ᵀ · grad`; for a column-major mat2, `(gradᵀ · mat1)ᵀ`, as PyTorch's mm_mat2_backward. */
function mat2Gradient(grad: Tensor, mat1: Tensor, layout: ProductLayout): Tensor {
  return layout.mat2ColumnMajor ? t(mm(t(grad), mat1)) : mm(t(mat1), grad);
}

const MmBackward0 = derivative<ProductLayout>({
  name: 'MmBackward0',
  saved: ['self', 'mat2'],
  formulas: { self: 'grad.mm(mat2.t())', mat2: 'self.t().mm(grad)' },
  backward: (grad, [self, mat2], at, node) => [
    node.needs(0) ? mat1Gradient(grad, mat2, at) : null,
    node.needs(1) ? mat2Gradient(grad, self, at) : null,
  ],
});

const BmmBackward0 = derivative({
  name: 'BmmBackward0',
  saved: ['self', 'mat2'],
  formulas: { self: 'grad.bmm(mat2.transpose(1, 2))', mat2: 'self.transpose(1, 2).bmm(grad)' },
  backward: (grad, [self, mat2], _at, node) => [
    node.needs(0) ? bmm(grad, transpose(mat2, 1, 2)) : null,
    node.needs(1) ? bmm(transpose(self, 1, 2), grad) : null,
  ],
});

const MvBackward0 = derivative({
  name: 'MvBackward0',
  saved: ['self', 'vec'],
  formulas: { self: 'grad.outer(vec)', vec: 'self.t().mv(grad)' },
  backward: (grad, [self, vec], _at, node) => [
    node.needs(0) ? mul(unsqueeze(grad, 1), unsqueeze(vec, 0)) : null,
    node.needs(1) ? mv(t(self), grad) : null,
  ],
});

const DotBackward0 = derivative({
  name: 'DotBackward0',
  saved: ['self', 'tensor'],
  formulas: { self: 'grad * tensor', tensor: 'grad * self' },
  backward: (grad, [self, other], _at, node) => [node.needs(0) ? mul(other, grad) : null, node.needs(1) ? mul(self, grad) : null],
});

interface AddmmAttrs extends ProductLayout {
  shape: readonly number[];
  beta: number;
  alpha: number;
}

const AddmmBackward0 = derivative<AddmmAttrs>({
  name: 'AddmmBackward0',
  saved: ['mat1', 'mat2'],
  scalars: ['alpha', 'beta'],
  formulas: { self: 'grad * beta', mat1: 'grad.mm(mat2.t()) * alpha', mat2: 'mat1.t().mm(grad) * alpha' },
  backward: (grad, [mat1, mat2], at, node) => [
    node.needs(0) ? sumToShape(at.beta === 1 ? grad : mul(grad, at.beta), at.shape) : null,
    node.needs(1) ? scaled(mat1Gradient(grad, mat2, at), at.alpha) : null,
    node.needs(2) ? scaled(mat2Gradient(grad, mat1, at), at.alpha) : null,
  ],
});

function scaled(x: Tensor, factor: number): Tensor {
  return factor === 1 ? x : mul(x, factor);
}

function matrixProduct(a: Tensor, b: Tensor, init: Tensor | null = null): Tensor {
  const [m, k] = a._shape;
  const n = b._shape[1];
  const out = emptyTensor([m, n], a._dtype);
  if (!(k === 1 && n === 1 && columnTimesScalar(out, a, b, init))) gemm(m, n, k, operand(a), operand(b), out._buffer, 0, init && operand(init));
  return out;
}

/** Each row's single product rounded to the dtype, plus the bias `b` (scalar parameter: the weight). */
const productPlusBias = { float32: new BinaryKernel('b + Math.fround(a * s)', 'product_plus_bias'), float64: new BinaryKernel('b + a * s') };
/** The bias as the kernel's 0-dim second operand (kernels run synchronously and keep no views). */
const biasSlot = { _buffer: new Float64Array(1), _shape: [], _strides: [], _offset: 0 };

/**
 * A product with k = n = 1 (nn.Linear(1, 1)) as one elementwise pass: each row is one product rounded to the
 * dtype plus the bias, which is what gemm's k-ordered sum gives wherever its layout puts the bias, except for
 * the sign of a zero when a -0 bias meets a -0 product, left to gemm (false), as are a bias per row and
 * integer dtypes. Saves the matrix kernel's staging, which dominates such thin products.
 */
function columnTimesScalar(out: Tensor, a: Tensor, b: Tensor, init: Tensor | null): boolean {
  const kernel = a._dtype === float32 ? productPlusBias.float32 : a._dtype === float64 ? productPlusBias.float64 : null;
  if (kernel === null || (init !== null && init._shape[0] !== 1 && init._strides[0] !== 0)) return false;
  const bias = init === null ? 0 : init._buffer[init._offset];
  if (bias === 0 && 1 / bias < 0) return false;
  biasSlot._buffer[0] = bias;
  kernel.run(out, a, biasSlot, b._buffer[b._offset]);
  return true;
}

function checkMatrices(a: Tensor, b: Tensor): void {
  if (a._shape.length !== 2) throw new RuntimeError('self must be a matrix');
  if (b._shape.length !== 2) throw new RuntimeError('mat2 must be a matrix');
  if (a._shape[1] !== b._shape[0]) {
    throw new RuntimeError(`mat1 and mat2 shapes cannot be multiplied (${a._shape[0]}x${a._shape[1]} and ${b._shape[0]}x${b._shape[1]})`);
  }
  checkSameDtype(a, b);
}

/** Product of two matrices (MmBackward0). */
export function mm(a: Tensor, b: Tensor): Tensor {
  checkMatrices(a, b);
  const out = matrixProduct(a, b);
  if (!needsRecording([a, b])) return out;
  return record(MmBackward0, out, [a, b], [b.requires_grad ? a : null, a.requires_grad ? b : null], productLayout(a, b));
}

/** `beta * self + alpha * mat1 @ mat2` (AddmmBackward0), as nn.Linear computes 2-D inputs. */
export function addmm(self: Tensor, mat1: Tensor, mat2: Tensor, beta = 1, alpha = 1): Tensor {
  checkMatrices(mat1, mat2);
  const shape = [mat1._shape[0], mat2._shape[1]];
  const bias = expand(self.detach(), shape);
  let out: Tensor;
  if (alpha === 1 && beta === 1 && bias._dtype === mat1._dtype) {
    out = matrixProduct(mat1, mat2, bias);
  } else {
    out = matrixProduct(mat1, mat2);
    scaleInPlace(out, alpha);
    const seed = convert(bias, out._dtype);
    scaleInPlace(seed, beta);
    addInPlace(out, seed);
  }
  if (!needsRecording([self, mat1, mat2])) return out;
  const attrs: AddmmAttrs = { shape: self._shape, beta, alpha, ...productLayout(mat1, mat2) };
  return record(AddmmBackward0, out, [self, mat1, mat2], [mat2.requires_grad ? mat1 : null, mat1.requires_grad ? mat2 : null], attrs);
}

function scaleInPlace(t: Tensor, factor: number): void {
  const buffer = t._buffer;
  for (let i = 0; i < buffer.length; i++) buffer[i] *= factor;
}

function addInPlace(t: Tensor, other: Tensor): void {
  const buffer = t._buffer, source = other._buffer;
  for (let i = 0; i < buffer.length; i++) buffer[i] += source[i];
}

/** Batched product of 3-D tensors (BmmBackward0). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a._shape.length !== 3) throw new RuntimeError('batch1 must be a 3D tensor');
  if (b._shape.length !== 3) throw new RuntimeError('batch2 must be a 3D tensor');
  const [batch, m, k] = a._shape;
  const n = b._shape[2];
  if (b._shape[0] !== batch || b._shape[1] !== k) {
    throw new RuntimeError(`Expected size for first two dimensions of batch2 tensor to be: [${batch}, ${k}] but got: [${b._shape[0]}, ${b._shape[1]}].`);
  }
  checkSameDtype(a, b);
  const out = emptyTensor([batch, m, n], a._dtype);
  for (let i = 0; i < batch; i++) {
    gemm(m, n, k, operand(a, i * a._strides[0], 1), operand(b, i * b._strides[0], 1), out._buffer, i * m * n);
  }
  if (!needsRecording([a, b])) return out;
  return record(BmmBackward0, out, [a, b], [b.requires_grad ? a : null, a.requires_grad ? b : null]);
}

/** Matrix-vector product (MvBackward0). */
export function mv(a: Tensor, v: Tensor): Tensor {
  if (a._shape.length !== 2 || v._shape.length !== 1) {
    throw new RuntimeError(`vector + matrix @ vector expected, got 1, ${a._shape.length}, ${v._shape.length}`);
  }
  if (a._shape[1] !== v._shape[0]) {
    throw new RuntimeError(`size mismatch, got ${a._shape[0]}, ${a._shape[0]}x${a._shape[1]},${v._shape[0]}`);
  }
  checkSameDtype(a, v);
  const out = emptyTensor([a._shape[0]], a._dtype);
  gemm(a._shape[0], 1, a._shape[1], operand(a), { data: v._buffer, offset: v._offset, rowStride: v._strides[0], colStride: 1 }, out._buffer, 0);
  if (!needsRecording([a, v])) return out;
  return record(MvBackward0, out, [a, v], [v.requires_grad ? a : null, a.requires_grad ? v : null]);
}

/** Dot product of 1-D tensors (DotBackward0). */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a._shape.length !== 1 || b._shape.length !== 1) {
    throw new RuntimeError(`1D tensors expected, but got ${a._shape.length}D and ${b._shape.length}D tensors`);
  }
  if (a._shape[0] !== b._shape[0]) {
    throw new RuntimeError(
      `inconsistent tensor size, expected tensor [${a._shape[0]}] and src [${b._shape[0]}] to have the same number of elements, but got ${a._shape[0]} and ${b._shape[0]} elements respectively`,
    );
  }
  checkSameDtype(a, b);
  const out = emptyTensor([], a._dtype);
  gemm(1, 1, a._shape[0], { data: a._buffer, offset: a._offset, rowStride: 0, colStride: a._strides[0] }, { data: b._buffer, offset: b._offset, rowStride: b._strides[0], colStride: 0 }, out._buffer, 0);
  if (!needsRecording([a, b])) return out;
  return record(DotBackward0, out, [a, b], [b.requires_grad ? a : null, a.requires_grad ? b : null]);
}

/** Whether PyTorch 1.13 folds the batch dims of the larger operand into one mm (its `should_fold`). */
function shouldFold(a: Tensor, b: Tensor): boolean {
  const [big, small] = a._shape.length >= b._shape.length ? [a, b] : [b, a];
  if (!(big._shape.length >= 3 && small._shape.length <= 2)) return false;
  if (small.requires_grad) return true;
  if (a._shape.length === 2) return false;
  if (big.numel() === 0) return true;
  for (let i = 0; i < big._shape.length - 2; i++) {
    if (big._strides[i] !== big._strides[i + 1] * big._shape[i + 1]) return false;
  }
  return true;
}

/** Matrix product with NumPy's rules, composed of dot/mv/mm/bmm exactly as PyTorch 1.13 composes it. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const da = a._shape.length, db = b._shape.length;
  if (da === 0 || db === 0) {
    throw new RuntimeError(`both arguments to matmul need to be at least 1D, but they are ${da}D and ${db}D`);
  }
  if (da === 1 && db === 1) return dot(a, b);
  if (da === 2 && db === 1) return mv(a, b);
  if (da === 1 && db === 2) return squeezeInplaceDim(mm(unsqueeze(a, 0), b), 0);
  if (da === 2 && db === 2) return mm(a, b);
  if (shouldFold(a, b)) {
    const transposed = db > da;
    const t1 = transposed ? transpose(b, -2, -1) : a;
    const t2 = !transposed ? b : da === 2 ? t(a) : a;
    const outputShape = t1._shape.slice(0, -1);
    const folded = outputShape.reduce((x, y) => x * y, 1);
    const isMatrix = t2._shape.length === 2;
    if (isMatrix) outputShape.push(t2._shape[1]);
    const t1Folded = reshape(t1, [folded, t1._shape[t1._shape.length - 1]]);
    if (isMatrix) {
      const output = unsafeView(mm(t1Folded, t2), outputShape);
      return transposed ? clone(transpose(output, -2, -1)) : output;
    }
    return unsafeView(mv(t1Folded, t2), outputShape);
  }
  const n = da > 1 ? a._shape[da - 2] : 1;
  const m1 = a._shape[da - 1];
  const m2 = db > 1 ? b._shape[db - 2] : b._shape[0];
  const p = db > 1 ? b._shape[db - 1] : 1;
  const batch = broadcastShapes(a._shape.slice(0, Math.max(da - 2, 0)), b._shape.slice(0, Math.max(db - 2, 0)));
  const batchProduct = batch.reduce((x, y) => x * y, 1);
  const aExpanded = reshape(expand(a, [...batch, n, m1]), [batchProduct, n, m1]);
  const bMatrix = db === 1 ? unsqueeze(b, -1) : b;
  const bExpanded = reshape(expand(bMatrix, [...batch, m2, p]), [batchProduct, m2, p]);
  const outputShape = batch.slice();
  if (da > 1) outputShape.push(n);
  if (db > 1) outputShape.push(p);
  return unsafeView(bmm(aExpanded, bExpanded), outputShape);
}
