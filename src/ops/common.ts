/** Shared helpers of the ops: argument parsing, dimension checks, broadcasting, result allocation. */
import { IndexError, RuntimeError } from '../errors.js';
import type { DType } from '../dtype.js';
import { contiguousStrides, noDims, numelOf } from '../kernels/strided.js';
import { Tensor } from '../tensor.js';

/** A Python scalar: a JS number or boolean (a boxed Number stands for a Python float). */
export type Scalar = number | boolean | Number;

/** True for a Python scalar. */
export function isScalar(value: unknown): value is Scalar {
  return typeof value === 'number' || typeof value === 'boolean' || value instanceof Number;
}
/** Python keyword arguments: a trailing plain object. */
export type Options = Record<string, unknown>;

/** True for a plain object used as keyword arguments (not a tensor, array or typed array). */
export function isOptions(value: unknown): value is Options {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Splits a call's arguments into positional ones and the trailing keyword object (empty if absent). */
export function splitOptions(args: readonly unknown[]): [unknown[], Options] {
  if (args.length && isOptions(args[args.length - 1])) return [args.slice(0, -1), args[args.length - 1] as Options];
  return [args as unknown[], {}];
}

/** Reads argument `name` from keywords or position `index`, else `fallback`. */
export function arg<T>(positional: readonly unknown[], options: Options, index: number, name: string, fallback: T): T {
  if (name in options && options[name] !== undefined) return options[name] as T;
  if (index < positional.length && positional[index] !== undefined) return positional[index] as T;
  return fallback;
}

/** Sizes given as varargs (`2, 3`) or one array / torch.Size (`[2, 3]`). */
export function parseShape(args: readonly unknown[]): number[] {
  if (args.length === 1 && (Array.isArray(args[0]) || ArrayBuffer.isView(args[0]))) {
    return Array.from(args[0] as ArrayLike<number>, Number);
  }
  return args.map(Number);
}

/** Wraps a possibly negative dimension into [0, ndim), raising PyTorch's IndexError when out of range. */
export function normalizeDim(dim: number, ndim: number): number {
  const rank = Math.max(ndim, 1);
  if (dim < -rank || dim >= rank) {
    throw new IndexError(`Dimension out of range (expected to be in range of [${-rank}, ${rank - 1}], but got ${dim})`);
  }
  return dim < 0 ? dim + rank : dim;
}

/** The broadcast shape of two shapes, raising PyTorch's error when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  if (a.length === b.length) {
    let same = true;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) same = false;
    if (same) return a as number[];
  }
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new RuntimeError(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** An uninitialised (zero-filled) contiguous tensor. */
export function emptyTensor(shape: readonly number[], dtype: DType): Tensor {
  return Tensor._make(dtype.allocate(numelOf(shape)), shape.length ? shape.slice() : noDims, contiguousStrides(shape), 0, dtype);
}

/** True when two shapes are equal. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Formats a shape as PyTorch's messages do: `[2, 3]`. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
