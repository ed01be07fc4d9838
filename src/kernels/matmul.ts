/**
 * Matrix multiply C = A·B over strided operands, into a contiguous row-major C, computed as Debian's PyTorch
 * 1.13 (BLAS_INFO=generic) computes it: each element of C sums its products in k order, starting from zero,
 * in the output's precision (for float32, every product and every partial sum rounded to float32; no fused
 * multiply-add). addmm's bias joins where PyTorch's gemm puts it: added to the finished sums, or (for layouts
 * its BLAS runs as column sweeps) as the sums' start; see seedsWithBias. Products are bit-exact with
 * PyTorch's (test/matmul-kernel.test.ts), and nn.Linear regressions train bit for bit (test/optim.test.ts).
 *
 * float32 and float64 products (int64's storage is float64; its integer sums are exact to 2^53 in any order)
 * run in WebAssembly SIMD (wasm/gemm.wat: one lane per output column, so the k order costs nothing; ~35
 * GFLOP/s at 256 and 1024 where the float64-accumulating JavaScript kernel it replaces made ~4.4) once they
 * are large enough for staging the operands to pay off; the rest run in a plain loop here.
 */
import type { Storage } from '../dtype.js';
import { wasmGemm } from './wasm/gemm.js';
import { wasmDot } from './wasm/sums.js';

/** One strided matrix operand: element (i, j) is `data[offset + i*rowStride + j*colStride]`. */
export interface MatrixOperand {
  readonly data: Storage;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/**
 * Products with fewer multiply-adds than this stay in JavaScript, where a call costs less than the ~0.7 µs of
 * staging operands in WebAssembly memory (measured: 6×6×6 0.87 µs in JavaScript vs 0.85 µs; 8×8×8 2.0 vs
 * 0.8 µs). Dot products (one output) run as one chain in sums.wat rather than in a 4×8 tile of 31 padding lanes.
 */
const WASM_MIN_PRODUCT = 256;

/**
 * C (m×n, contiguous from `cOffset`) = init + A (m×k) · B (k×n), where the optional `init` (m×n, strided,
 * broadcast with zero strides) is addmm's bias: added in the order PyTorch adds it, at no separate pass.
 */
export function gemm(m: number, n: number, k: number, a: MatrixOperand, b: MatrixOperand, c: Storage, cOffset: number, init: MatrixOperand | null = null): void {
  if (m === 0 || n === 0) return;
  const seedWithInit = init !== null && seedsWithBias(m, n, k, a, b);
  const inWasm = k > 0 && !(c instanceof Uint8Array) && m * n * k >= WASM_MIN_PRODUCT
    && (m * n > 1 ? wasmGemmInRowBlocks(m, n, k, a, b, c, cOffset, init, seedWithInit) : c instanceof Float32Array && dotInWasm(k, a, b, c, cOffset, init, seedWithInit));
  if (!inWasm) (c instanceof Float32Array ? float32Loop : float64Loop)(m, n, k, a, b, c, cOffset, init, seedWithInit);
}

/**
 * The product in WebAssembly, split into blocks of rows while it needs more memory than WebAssembly can give
 * (each element still sums all of k in order). False, with nothing computed, if even one row is too large.
 */
function wasmGemmInRowBlocks(m: number, n: number, k: number, a: MatrixOperand, b: MatrixOperand, c: Storage, cOffset: number, init: MatrixOperand | null, seedWithInit: boolean): boolean {
  if (wasmGemm(m, n, k, a, b, c, cOffset, init, seedWithInit)) return true;
  if (m === 1) return false;
  const top = Math.ceil(m / 2);
  const below = (x: MatrixOperand): MatrixOperand => ({ ...x, offset: x.offset + top * x.rowStride });
  return wasmGemmInRowBlocks(top, n, k, a, b, c, cOffset, init, seedWithInit)
    && wasmGemmInRowBlocks(m - top, n, k, below(a), b, c, cOffset + top * n, init && below(init), seedWithInit);
}

/** A float32 product with one output element (m = n = 1) as sums.wat's dot; false if it found no memory. */
function dotInWasm(k: number, a: MatrixOperand, b: MatrixOperand, c: Float32Array, cOffset: number, init: MatrixOperand | null, seedWithInit: boolean): boolean {
  const start = init === null ? 0 : init.data[init.offset];
  const sum = wasmDot(k, a.data as Float32Array, a.offset, a.colStride, b.data as Float32Array, b.offset, b.rowStride, seedWithInit ? start : 0);
  if (sum === null) return false;
  c[cOffset] = init === null || seedWithInit ? sum : start + sum;
  return true;
}

/**
 * Whether PyTorch 1.13's addmm starts the sums from the bias (its BLAS gemm runs the 'a' operand untransposed:
 * column sweeps over C, which already holds the bias) rather than adding the bias to finished dot products.
 * This follows addmm_impl_cpu_'s choice of layouts for a row-major result: for n > 1 it computes Cᵀ = Bᵀ·Aᵀ
 * with B as 'a', for n = 1 C = A·B with A as 'a'; an operand that is neither layout is copied row-major.
 * nn.Linear (B = weight.t()) adds the bias last.
 */
function seedsWithBias(m: number, n: number, k: number, a: MatrixOperand, b: MatrixOperand): boolean {
  if (n === 1) return a.rowStride === 1 && a.colStride >= Math.max(1, m);
  if (b.colStride === 1 && b.rowStride >= Math.max(1, n)) return true;
  return !(b.rowStride === 1 && b.colStride >= Math.max(1, k));
}

type JsGemm = (m: number, n: number, k: number, a: MatrixOperand, b: MatrixOperand, c: Storage, cOffset: number, init: MatrixOperand | null, seedWithInit: boolean) => void;

/**
 * The k-ordered sums one element at a time, rounded as C's storage rounds (float32 at every step). One loop is
 * generated per rounding so each stays monomorphic: a rounding function passed in costs ~8× on small products.
 */
function jsLoop(round: (expression: string) => string): JsGemm {
  return new Function('m', 'n', 'k', 'a', 'b', 'c', 'cOffset', 'init', 'seedWithInit', `
    const ad = a.data, bd = b.data, aStep = a.colStride, bStep = b.rowStride;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const start = init === null ? 0 : init.data[init.offset + i * init.rowStride + j * init.colStride];
        let sum = seedWithInit ? start : 0;
        let ap = a.offset + i * a.rowStride, bp = b.offset + j * b.colStride;
        for (let p = 0; p < k; p++, ap += aStep, bp += bStep) sum = ${round(`sum + ${round('ad[ap] * bd[bp]')}`)};
        c[cOffset + i * n + j] = init === null || seedWithInit ? sum : start + sum;
      }
    }`) as JsGemm;
}

const float32Loop = jsLoop((expression) => `Math.fround(${expression})`);
const float64Loop = jsLoop((expression) => expression);
