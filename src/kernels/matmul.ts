/**
 * Matrix multiply C = A·B over strided operands, into a contiguous row-major C. Large products are
 * cache-blocked (KC×NC panels of B, MC×KC blocks of A, packed contiguously) and computed by a 4×4
 * register-tiled micro-kernel; thin or small products use a direct loop that skips packing.
 *
 * Sums accumulate in float64 and round once, so float32 results can differ from PyTorch's in the last bit:
 * Debian's PyTorch (BLAS_INFO=generic) sums each element's products in k order, rounding every step to
 * float32. Doing the same here makes training runs bit-exact but costs ~45% of the blocked path's speed
 * (W2 forward 4.4 → 2.5 GFLOP/s, W3 8.0 → 12.4 ms), so every size keeps the faster float64 order.
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
  const acc = new Float64Array(m * n);
  if (init) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) acc[i * n + j] = at(init, i, j);
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
            microKernel(kc, ir * kc, jr * kc, acc, (ic + ir) * n + jc + jr, n, Math.min(MR, mc - ir), Math.min(NR, nc - jr));
          }
        }
      }
    }
  }
  for (let i = 0; i < m * n; i++) c[cOffset + i] = acc[i];
}

/** A single output column: dot products along k when k dominates, else column sweeps (axpy) over m. */
function gemv(m: number, k: number, a: MatrixOperand, b: MatrixOperand, c: Storage, cOffset: number, init: MatrixOperand | null): void {
  const ad = a.data, bd = b.data;
  const aRow = a.rowStride, aCol = a.colStride, bStep = b.rowStride;
  if (k >= m) {
    for (let i = 0; i < m; i++) {
      const total = dot(k, ad, a.offset + i * aRow, aCol, bd, b.offset, bStep);
      c[cOffset + i] = init ? at(init, i, 0) + total : total;
    }
    return;
  }
  if (k === 1) {
    scaledColumn(m, c, cOffset, ad, a.offset, aRow, bd[b.offset], init);
    return;
  }
  const acc = new Float64Array(m);
  if (init) for (let i = 0; i < m; i++) acc[i] = at(init, i, 0);
  for (let p = 0; p < k; p++) {
    const bv = bd[b.offset + p * bStep];
    let ap = a.offset + p * aCol;
    for (let i = 0; i < m; i++, ap += aRow) acc[i] += ad[ap] * bv;
  }
  for (let i = 0; i < m; i++) c[cOffset + i] = acc[i];
}

/** c[i] = init[i] + a[i] * scale down one column; unit-stride cases get their own loops (V8 keeps them tight). */
function scaledColumn(m: number, c: Storage, co: number, a: Storage, ao: number, as: number, scale: number, init: MatrixOperand | null): void {
  const id = init === null ? null : init.data;
  const io = init === null ? 0 : init.offset;
  const is = init === null ? 0 : init.rowStride;
  if (as === 1 && is === 0) {
    const seed = id === null ? 0 : id[io];
    for (let i = 0; i < m; i++) c[co + i] = seed + a[ao + i] * scale;
  } else if (as === 1 && is === 1 && id !== null) {
    for (let i = 0; i < m; i++) c[co + i] = id[io + i] + a[ao + i] * scale;
  } else {
    for (let i = 0; i < m; i++) c[co + i] = (id === null ? 0 : id[io + i * is]) + a[ao + i * as] * scale;
  }
}

/** A strided dot product with four running sums (independent additions pipeline better). */
function dot(k: number, x: Storage, xo: number, xs: number, y: Storage, yo: number, ys: number): number {
  let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  let p = 0;
  for (const xStep = 4 * xs, yStep = 4 * ys; p + 4 <= k; p += 4, xo += xStep, yo += yStep) {
    t0 += x[xo] * y[yo];
    t1 += x[xo + xs] * y[yo + ys];
    t2 += x[xo + 2 * xs] * y[yo + 2 * ys];
    t3 += x[xo + 3 * xs] * y[yo + 3 * ys];
  }
  for (; p < k; p++, xo += xs, yo += ys) t0 += x[xo] * y[yo];
  return (t0 + t1) + (t2 + t3);
}

function gemmDirect(m: number, n: number, k: number, a: MatrixOperand, b: MatrixOperand, c: Storage, cOffset: number, init: MatrixOperand | null): void {
  const ad = a.data, bd = b.data;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    if (init) for (let j = 0; j < n; j++) row[j] = at(init, i, j);
    else row.fill(0);
    let ap = a.offset + i * a.rowStride;
    for (let p = 0; p < k; p++, ap += a.colStride) {
      const av = ad[ap];
      let bp = b.offset + p * b.rowStride;
      for (let j = 0; j < n; j++, bp += b.colStride) row[j] += av * bd[bp];
    }
    const base = cOffset + i * n;
    for (let j = 0; j < n; j++) c[base + j] = row[j];
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

/** Adds the 4×4 product of one packed A panel and one packed B panel into acc, clipped to rows×cols. */
function microKernel(kc: number, aStart: number, bStart: number, acc: Float64Array, cBase: number, ldc: number, rows: number, cols: number): void {
  const A = packedA, B = packedB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let ap = aStart, bp = bStart;
  for (let p = 0; p < kc; p++, ap += MR, bp += NR) {
    const a0 = A[ap], a1 = A[ap + 1], a2 = A[ap + 2], a3 = A[ap + 3];
    const b0 = B[bp], b1 = B[bp + 1], b2 = B[bp + 2], b3 = B[bp + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  if (rows === MR && cols === NR) {
    let p = cBase;
    acc[p] += c00; acc[p + 1] += c01; acc[p + 2] += c02; acc[p + 3] += c03;
    p += ldc;
    acc[p] += c10; acc[p + 1] += c11; acc[p + 2] += c12; acc[p + 3] += c13;
    p += ldc;
    acc[p] += c20; acc[p + 1] += c21; acc[p + 2] += c22; acc[p + 3] += c23;
    p += ldc;
    acc[p] += c30; acc[p + 1] += c31; acc[p + 2] += c32; acc[p + 3] += c33;
    return;
  }
  const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let r = 0; r < rows; r++) {
    for (let s = 0; s < cols; s++) acc[cBase + r * ldc + s] += tile[r * 4 + s];
  }
}
