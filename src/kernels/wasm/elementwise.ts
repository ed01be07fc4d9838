/**
 * Runs elementwise.wat: float32 twins of some JavaScript elementwise kernels, four lanes at a time, over
 * operands copied into its memory with TypedArray.set. On 10,000 elements a kernel takes ~3-4 µs with its
 * copies, where the JavaScript loop takes ~15-24 µs (a float32 load, a double operation and a rounding store
 * per element).
 */
import type { Storage } from '../../dtype.js';
import { wasmBase64 } from './elementwise.generated.js';
import { WasmKernels, type WasmMemory } from './instance.js';

/** The kernels elementwise.wat exports, each the twin of a JavaScript expression (see BinaryKernel). */
export type Float32Op = 'add' | 'sub' | 'mul' | 'div' | 'scaled_difference' | 'product_plus_bias';

/** out = op(x, y, s) over n elements; operands step xstep/ystep bytes a vector (16, or 0 for a scalar). */
type Op = (x: number, xstep: number, y: number, ystep: number, out: number, n: number, s: number) => void;

type ElementwiseExports = { readonly memory: WasmMemory } & Record<Float32Op, Op>;

const kernels = new WasmKernels<ElementwiseExports>(wasmBase64);

const isFloat32Value = (value: number): boolean => Math.fround(value) === value || value !== value;

/** The bytes an operand takes in memory: whole vectors of an array, or one vector of a scalar's copies. */
const areaOf = (n: number, step: number): number => (step === 0 ? 16 : Math.ceil(n / 4) * 16);

function place(memory: Float32Array, at: number, data: Storage, offset: number, step: number, n: number): void {
  if (step === 0) memory.fill(data[offset], at / 4, at / 4 + 4);
  else memory.set(data.subarray(offset, offset + n), at / 4);
}

/**
 * out[oo + i] = op(x[xo + i·xs], y[yo + i·ys], s) for i < n, with steps of 1 (arrays) or 0 (scalars), in
 * float32. False, computing nothing, when a value would not be exactly the same in float32 (an array that is
 * not float32, a scalar or `s` that float32 cannot hold) or WebAssembly cannot give the memory.
 */
export function wasmFloat32Binary(
  op: Float32Op, n: number, out: Float32Array, oo: number,
  x: Storage, xo: number, xs: number, y: Storage, yo: number, ys: number, s: number,
): boolean {
  if (!isFloat32Value(s)) return false;
  if (xs === 0 ? !isFloat32Value(x[xo]) : !(x instanceof Float32Array)) return false;
  if (ys === 0 ? !isFloat32Value(y[yo]) : !(y instanceof Float32Array)) return false;
  const xAt = 0, yAt = xAt + areaOf(n, xs), outAt = yAt + areaOf(n, ys);
  const needed = outAt + areaOf(n, 1);
  const exports = kernels.reserve(needed);
  if (exports === null) return false;
  const memory = new Float32Array(exports.memory.buffer);
  place(memory, xAt, x, xo, xs, n);
  place(memory, yAt, y, yo, ys, n);
  exports[op](xAt, xs * 16, yAt, ys * 16, outAt, n, s);
  out.set(memory.subarray(outAt / 4, outAt / 4 + n), oo);
  kernels.release(needed);
  return true;
}
