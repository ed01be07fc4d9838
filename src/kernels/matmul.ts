/**
 * Matrix multiply C = A·B over strided operands, into a contiguous row-major C. Large products are
 * cache-blocked (KC×NC panels of B, MC×KC blocks of A, packed contiguously) and computed by a 4×4
 * register-tiled micro-kernel; thin or small products use a direct loop that skips packing.
 *
 * Every path computes what PyTorch 1.13's generic BLAS (ATen's gemm, BLAS_INFO=generic on Debian) computes:
 * each element of C sums its products in k order, starting from zero, in the output's precision (for
 * float32, every product and every partial sum rounded to float32), and addmm's bias is added last. The
 * blocking keeps that order: each k panel continues the sums the previous one left in `acc`.
 */
import type { Storage } from '../dtype.js';

/** One strided matrix operand: element (i, j) is `data[offset + i*rowStride + j*colStride]`. */
export interface MatrixOperand {
  readonly data: Storage;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 512;

let packedA = new Float64Array(MC * KC);
let packedB = new Float64Array(KC * NC);

/** Rounds to the output's precision: float32 rounding for a Float32Array, none for float64. */
type Rounding = (value: number) => number;
const exact: Rounding = (value) => value;

function roundingFor(c: Storage): Rounding {
  return c instanceof Float32Array ? Math.fround : exact;
}

/** Element (i, j) of a strided matrix operand. */
function at(x: MatrixOperand, i: number, j: number): number {
  return x.data[x.offset + i * x.rowStride + j * x.colStride];
}

/**
 * C (m×n, contiguous from `cOffset`) = init + A (m×k) · B (k×n), where the optional `init` (m×n, strided,
 * broadcast with zero strides) seeds the sums: addmm's bias costs no separate pass.
 */
export function gemm(m: number, n: number, k: number, a: MatrixOperand, b: MatrixOperand, c: Storage, cOffset: number, init: MatrixOperand | null = null): void {
  if (n === 1) {
    gemv(m, k, a, b, c, cOffset, init);
    return;
  }
  if (m < MR || n < NR || m * n * k < 32_768) {
    gemmDirect(m, n, k, a, b, c, cOffset, init);
    return;
  }
  const round = roundingFor(c);
  const acc = new Float64Array(m * n);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(b, pc, kc, jc, nc);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(a, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          for (let ir = 0; ir < mc; ir += MR) {
            microKernel(kc, ir * kc, jr * kc, acc, (ic + ir) * n + jc + jr, n, Math.min(MR, mc - ir), Math.min(NR, nc - jr), round);
          }
        }
      }
    }
  }
  if (init) {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c[cOffset + i * n + j] = at(init, i, j) + acc[i * n + j];
  } else {
    for (let i = 0; i < m * n; i++) c[cOffset + i] = acc[i];
  }
}

/** A single output column: dot products along k when k dominates, else column sweeps (axpy) over m. */
function gemv(m: number, k: number, a: MatrixOperand, b: MatrixOperand, c: Storage, cOffset: number, init: MatrixOperand | null): void {
  const ad = a.data, bd = b.data;
  const aRow = a.rowStride, aCol = a.colStride, bStep = b.rowStride;
  const round = roundingFor(c);
  if (k >= m) {
    for (let i = 0; i < m; i++) {
      const total = dot(k, ad, a.offset + i * aRow, aCol, bd, b.offset, bStep, round);
      c[cOffset + i] = init ? at(init, i, 0) + total : total;
    }
    return;
  }
  if (k === 1) {
    scaledColumn(m, c, cOffset, ad, a.offset, aRow, bd[b.offset], init, round);
    return;
  }
  const acc = new Float64Array(m);
  for (let p = 0; p < k; p++) {
    const bv = bd[b.offset + p * bStep];
    let ap = a.offset + p * aCol;
    for (let i = 0; i < m; i++, ap += aRow) acc[i] = round(acc[i] + round(ad[ap] * bv));
  }
  for (let i = 0; i < m; i++) c[cOffset + i] = init ? at(init, i, 0) + acc[i] : acc[i];
}

/** c[i] = init[i] + a[i] * scale down one column; unit-stride cases get their own loops (V8 keeps them tight). */
function scaledColumn(m: number, c: Storage, co: number, a: Storage, ao: number, as: number, scale: number, init: MatrixOperand | null, round: Rounding): void {
  const id = init === null ? null : init.data;
  const io = init === null ? 0 : init.offset;
  const is = init === null ? 0 : init.rowStride;
  if (as === 1 && is === 0) {
    const seed = id === null ? 0 : id[io];
    for (let i = 0; i < m; i++) c[co + i] = seed + round(a[ao + i] * scale);
  } else if (as === 1 && is === 1 && id !== null) {
    for (let i = 0; i < m; i++) c[co + i] = id[io + i] + round(a[ao + i] * scale);
  } else {
    for (let i = 0; i < m; i++) c[co + i] = (id === null ? 0 : id[io + i * is]) + round(a[ao + i * as] * scale);
  }
}

/** A strided dot product summed in k order, rounded as the output is. */
function dot(k: number, x: Storage, xo: number, xs: number, y: Storage, yo: number, ys: number, round: Rounding): number {
  let total = 0;
  for (let p = 0; p < k; p++, xo += xs, yo += ys) total = round(total + round(x[xo] * y[yo]));
  return total;
}

function gemmDirect(m: number, n: number, k: number, a: MatrixOperand, b: MatrixOperand, c: Storage, cOffset: number, init: MatrixOperand | null): void {
  const ad = a.data, bd = b.data;
  const round = roundingFor(c);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    let ap = a.offset + i * a.rowStride;
    for (let p = 0; p < k; p++, ap += a.colStride) {
      const av = ad[ap];
      let bp = b.offset + p * b.rowStride;
      for (let j = 0; j < n; j++, bp += b.colStride) row[j] = round(row[j] + round(av * bd[bp]));
    }
    const base = cOffset + i * n;
    for (let j = 0; j < n; j++) c[base + j] = init ? at(init, i, j) + row[j] : row[j];
  }
}

/** Packs A[ic:ic+mc, pc:pc+kc] as MR-row panels, each stored k-major, zero-padded to MR rows. */
function packA(a: MatrixOperand, ic: number, mc: number, pc: number, kc: number): void {
  if (packedA.length < Math.ceil(mc / MR) * MR * kc) packedA = new Float64Array(Math.ceil(mc / MR) * MR * kc);
  const ad = a.data;
  let dst = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        const i = ic + ir + r;
        packedA[dst++] = ir + r < mc ? ad[a.offset + i * a.rowStride + (pc + p) * a.colStride] : 0;
      }
    }
  }
}

/** Packs B[pc:pc+kc, jc:jc+nc] as NR-column panels, each stored k-major, zero-padded to NR columns. */
function packB(b: MatrixOperand, pc: number, kc: number, jc: number, nc: number): void {
  if (packedB.length < Math.ceil(nc / NR) * NR * kc) packedB = new Float64Array(Math.ceil(nc / NR) * NR * kc);
  const bd = b.data;
  let dst = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    for (let p = 0; p < kc; p++) {
      for (let s = 0; s < NR; s++) {
        const j = jc + jr + s;
        packedB[dst++] = jr + s < nc ? bd[b.offset + (pc + p) * b.rowStride + j * b.colStride] : 0;
      }
    }
  }
}

/**
 * Continues the 4×4 sums in acc (clipped to rows×cols) over one packed A panel and one packed B panel. The
 * clipped tile reads and writes only its rows×cols; the padding lanes compute on zeros.
 */
function microKernel(kc: number, aStart: number, bStart: number, acc: Float64Array, cBase: number, ldc: number, rows: number, cols: number, round: Rounding): void {
  const A = packedA, B = packedB;
  const tile = microTile;
  for (let r = 0; r < MR; r++) {
    for (let s = 0; s < NR; s++) tile[r * NR + s] = r < rows && s < cols ? acc[cBase + r * ldc + s] : 0;
  }
  let c00 = tile[0], c01 = tile[1], c02 = tile[2], c03 = tile[3], c10 = tile[4], c11 = tile[5], c12 = tile[6], c13 = tile[7];
  let c20 = tile[8], c21 = tile[9], c22 = tile[10], c23 = tile[11], c30 = tile[12], c31 = tile[13], c32 = tile[14], c33 = tile[15];
  let ap = aStart, bp = bStart;
  for (let p = 0; p < kc; p++, ap += MR, bp += NR) {
    const a0 = A[ap], a1 = A[ap + 1], a2 = A[ap + 2], a3 = A[ap + 3];
    const b0 = B[bp], b1 = B[bp + 1], b2 = B[bp + 2], b3 = B[bp + 3];
    c00 = round(c00 + round(a0 * b0)); c01 = round(c01 + round(a0 * b1)); c02 = round(c02 + round(a0 * b2)); c03 = round(c03 + round(a0 * b3));
    c10 = round(c10 + round(a1 * b0)); c11 = round(c11 + round(a1 * b1)); c12 = round(c12 + round(a1 * b2)); c13 = round(c13 + round(a1 * b3));
    c20 = round(c20 + round(a2 * b0)); c21 = round(c21 + round(a2 * b1)); c22 = round(c22 + round(a2 * b2)); c23 = round(c23 + round(a2 * b3));
    c30 = round(c30 + round(a3 * b0)); c31 = round(c31 + round(a3 * b1)); c32 = round(c32 + round(a3 * b2)); c33 = round(c33 + round(a3 * b3));
  }
  tile[0] = c00; tile[1] = c01; tile[2] = c02; tile[3] = c03; tile[4] = c10; tile[5] = c11; tile[6] = c12; tile[7] = c13;
  tile[8] = c20; tile[9] = c21; tile[10] = c22; tile[11] = c23; tile[12] = c30; tile[13] = c31; tile[14] = c32; tile[15] = c33;
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < cols; s++) acc[cBase + r * ldc + s] = tile[r * NR + s];
  }
}

const microTile = new Float64Array(MR * NR);
