/**
 * Runs gemm.wat in one WebAssembly.Memory, grown as needed: each operand's storage span is copied in with
 * TypedArray.set (a memcpy; element-by-element copies in JavaScript cost ~1.5 ns each, about as much as the
 * multiply in W3), packed there by the module's strided copies, multiplied, and C copied back out the same way.
 */
import type { Storage } from '../../dtype.js';
import type { MatrixOperand } from '../matmul.js';
import { wasmBase64 } from './gemm.generated.js';
import { WasmKernels, type WasmMemory } from './instance.js';

/** A strided copy (byte addresses and strides): element (i, j) moves from src + i*srs + j*scs to dst + i*drs + j*dcs. */
type Copy = (src: number, srs: number, scs: number, dst: number, drs: number, dcs: number, rows: number, cols: number) => void;

interface GemmExports {
  readonly memory: WasmMemory;
  /** C (mp×np at c) = (seeded ? C : 0) + A·B over packed operands at byte addresses a, b, c. */
  gemm_f32(a: number, b: number, c: number, mp: number, np: number, k: number, seeded: number): void;
  gemm_f64(a: number, b: number, c: number, mp: number, np: number, k: number, seeded: number): void;
  copy32: Copy;
  copy64: Copy;
  /** dst (rows×cols, contiguous) = X + Y, both strided (byte addresses and strides). */
  add_f32(x: number, xrs: number, xcs: number, y: number, yrs: number, ycs: number, dst: number, rows: number, cols: number): void;
  add_f64(x: number, xrs: number, xcs: number, y: number, yrs: number, ycs: number, dst: number, rows: number, cols: number): void;
}

/** Each precision's kernel: its tile (MR rows of A by NR columns of B, see gemm.wat), element size and exports. */
interface Precision {
  readonly rows: number;
  readonly columns: number;
  readonly bytes: number;
  readonly View: Float32ArrayConstructor | Float64ArrayConstructor;
  readonly gemm: 'gemm_f32' | 'gemm_f64';
  readonly copy: 'copy32' | 'copy64';
  readonly add: 'add_f32' | 'add_f64';
}

const FLOAT32: Precision = { rows: 4, columns: 8, bytes: 4, View: Float32Array, gemm: 'gemm_f32', copy: 'copy32', add: 'add_f32' };
const FLOAT64: Precision = { rows: 4, columns: 4, bytes: 8, View: Float64Array, gemm: 'gemm_f64', copy: 'copy64', add: 'add_f64' };

const kernels = new WasmKernels<GemmExports>(wasmBase64);

const roundUp = (value: number, multiple: number): number => Math.ceil(value / multiple) * multiple;

/** x with rows and columns swapped (a view: strides exchanged). */
const transposed = (x: MatrixOperand): MatrixOperand => ({ data: x.data, offset: x.offset, rowStride: x.colStride, colStride: x.rowStride });

/** A rows×cols operand copied into WebAssembly memory: its address and strides, in bytes. */
interface Staged {
  readonly at: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/**
 * Plans where a rows×cols operand goes: its whole storage span, copied as it is, unless the view uses little
 * of the span (a slice of a larger tensor), which is gathered row-major instead.
 */
function spanOf(x: MatrixOperand, rows: number, cols: number): { start: number; length: number; gathered: boolean } {
  const length = (rows - 1) * x.rowStride + (cols - 1) * x.colStride + 1;
  const gathered = length > 2 * rows * cols + 64;
  return { start: x.offset, length: gathered ? rows * cols : length, gathered };
}

function stage(x: MatrixOperand, rows: number, cols: number, memory: Float32Array | Float64Array, at: number): Staged {
  const { start, length, gathered } = spanOf(x, rows, cols);
  const bytes = memory.BYTES_PER_ELEMENT;
  const base = at / bytes;
  if (!gathered) {
    memory.set(x.data.subarray(start, start + length), base);
    return { at, rowStride: x.rowStride * bytes, colStride: x.colStride * bytes };
  }
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) memory[base + i * cols + j] = x.data[start + i * x.rowStride + j * x.colStride];
  }
  return { at, rowStride: cols * bytes, colStride: bytes };
}

/** A strided copy, walking the source along its smaller stride in the inner loop. */
function copy(move: Copy, from: Staged, to: Staged, rows: number, cols: number): void {
  if (from.colStride <= from.rowStride) move(from.at, from.rowStride, from.colStride, to.at, to.rowStride, to.colStride, rows, cols);
  else move(from.at, from.colStride, from.rowStride, to.at, to.colStride, to.rowStride, cols, rows);
}

/**
 * Writes the staged rows×k operand x as panels of `panel` rows, each holding k steps of `panel` values (gemm.wat's
 * layout); the padding rows of the last panel are zero.
 */
function pack(move: Copy, x: Staged, rows: number, k: number, panel: number, at: number, bytes: number, memory: Float32Array | Float64Array): void {
  if (rows % panel !== 0) memory.fill(0, at / bytes, at / bytes + roundUp(rows, panel) * k);
  for (let first = 0; first < rows; first += panel) {
    const source = { at: x.at + first * x.rowStride, rowStride: x.rowStride, colStride: x.colStride };
    copy(move, source, { at: at + first * k * bytes, rowStride: bytes, colStride: panel * bytes }, Math.min(panel, rows - first), k);
  }
}

/**
 * C (m×n, contiguous from cOffset, a Float32Array or Float64Array) = A (m×k) · B (k×n) with k ≥ 1, each element
 * summed in k order in C's precision. `init` (m×n, strided) is the sums' start when `seedWithInit`, else it
 * is added to the finished sums. Returns false, computing nothing, when the product needs more memory than
 * WebAssembly can give.
 */
export function wasmGemm(m: number, n: number, k: number, a: MatrixOperand, b: MatrixOperand, c: Storage, cOffset: number, init: MatrixOperand | null, seedWithInit: boolean): boolean {
  const precision = c instanceof Float32Array ? FLOAT32 : FLOAT64;
  const { rows: MR, columns: NR, bytes } = precision;
  // The kernel pads rows to MR and columns to NR; computing Cᵀ = Bᵀ·Aᵀ instead pads less when n is small.
  const flip = roundUp(n, MR) * roundUp(m, NR) < roundUp(m, MR) * roundUp(n, NR);
  const [rows, columns, left, right] = flip ? [n, m, transposed(b), transposed(a)] : [m, n, a, b];
  const mp = roundUp(rows, MR), np = roundUp(columns, NR);
  // Memory: packed A, packed B, the padded product, the operands as staged, C as returned.
  const packedA = 0, packedB = packedA + mp * k * bytes, product = packedB + np * k * bytes;
  const stagedLeft = product + mp * np * bytes;
  const stagedRight = stagedLeft + roundUp(spanOf(left, rows, k).length * bytes, 16);
  const stagedInit = stagedRight + roundUp(spanOf(right, k, columns).length * bytes, 16);
  const out = stagedInit + (init === null ? 0 : roundUp(spanOf(init, m, n).length * bytes, 16));
  const needed = out + m * n * bytes;
  const exports = kernels.reserve(needed);
  if (exports === null) return false;
  const memory = new precision.View(exports.memory.buffer);
  const move = exports[precision.copy];
  pack(move, stage(left, rows, k, memory, stagedLeft), rows, k, MR, packedA, bytes, memory);
  pack(move, stage(transposed(right), columns, k, memory, stagedRight), columns, k, NR, packedB, bytes, memory);
  // Element (i, j) of C is at product + (i*np + j)*bytes, or (j*np + i)*bytes when flipped.
  const productView = flip ? { at: product, rowStride: bytes, colStride: np * bytes } : { at: product, rowStride: np * bytes, colStride: bytes };
  const bias = init === null ? null : stage(init, m, n, memory, stagedInit);
  const seeded = bias !== null && seedWithInit;
  if (seeded) copy(move, bias, productView, m, n);
  exports[precision.gemm](packedA, packedB, product, mp, np, k, seeded ? 1 : 0);
  const result = { at: out, rowStride: n * bytes, colStride: bytes };
  if (bias !== null && !seeded) {
    exports[precision.add](bias.at, bias.rowStride, bias.colStride, productView.at, productView.rowStride, productView.colStride, out, m, n);
  } else {
    copy(move, productView, result, m, n);
  }
  c.set(memory.subarray(out / bytes, out / bytes + m * n), cOffset);
  kernels.release(needed);
  return true;
}
