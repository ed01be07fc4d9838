/**
 * Runs sums.wat: float32 sums in PyTorch's orders over operands copied into its memory with TypedArray.set
 * (a memcpy, ~1 µs for 10,000 floats), where the JavaScript loops they replace round every step with
 * Math.fround and take ~1.2-2.4 ns a term.
 */
import { wasmBase64 } from './sums.generated.js';
import { WasmKernels, type WasmMemory } from './instance.js';

interface SumsExports {
  readonly memory: WasmMemory;
  /** Σ terms (x, or with `squared` (x - y)², y at x + yd) of n ≥ 8 terms from byte x, in ATen's cascade order. */
  cascade_sum(x: number, yd: number, n: number, squared: number): number;
  /** start + Σ a·b over k steps of as and bs bytes, in order, every step rounded to float32. */
  dot(a: number, as: number, b: number, bs: number, k: number, start: number): number;
}

const kernels = new WasmKernels<SumsExports>(wasmBase64);

/** Where operands are copied to: the cascade's accumulators take the first 512 bytes (see sums.wat). */
const OPERANDS_AT = 512;

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

/**
 * The float32 sum of the n ≥ 8 contiguous terms from `offset` in ATen's cascade order (see compileCascadeSum
 * in ../reduce.ts): x's values, or with `y` the squares of their differences from y's values at `yOffset`.
 * Null when WebAssembly cannot give the memory.
 */
export function wasmCascadeSum(x: Float32Array, offset: number, n: number, y: Float32Array | null, yOffset: number): number | null {
  const span = align16(n * 4);
  const needed = OPERANDS_AT + (y === null ? span : 2 * span);
  const exports = kernels.reserve(needed);
  if (exports === null) return null;
  const memory = new Float32Array(exports.memory.buffer);
  memory.set(x.subarray(offset, offset + n), OPERANDS_AT / 4);
  if (y !== null) memory.set(y.subarray(yOffset, yOffset + n), (OPERANDS_AT + span) / 4);
  const total = exports.cascade_sum(OPERANDS_AT, span, n, y === null ? 0 : 1);
  kernels.release(needed);
  return total;
}

/**
 * start + Σ a[aOffset + l·aStep]·b[bOffset + l·bStep] for l < k, summed in l order with every step rounded
 * to float32 (PyTorch's generic gemm on one output element). Null when WebAssembly cannot give the memory.
 */
export function wasmDot(k: number, a: Float32Array, aOffset: number, aStep: number, b: Float32Array, bOffset: number, bStep: number, start: number): number | null {
  const aSpan = (k - 1) * aStep + 1, bSpan = (k - 1) * bStep + 1;
  const bAt = OPERANDS_AT + align16(aSpan * 4);
  const needed = bAt + bSpan * 4;
  const exports = kernels.reserve(needed);
  if (exports === null) return null;
  const memory = new Float32Array(exports.memory.buffer);
  memory.set(a.subarray(aOffset, aOffset + aSpan), OPERANDS_AT / 4);
  memory.set(b.subarray(bOffset, bOffset + bSpan), bAt / 4);
  const sum = exports.dot(OPERANDS_AT, aStep * 4, bAt, bStep * 4, k, start);
  kernels.release(needed);
  return sum;
}
