/** Data types and PyTorch's type promotion. */
import { allocationError } from './errors.js';
import { reuse } from './buffer-pool.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** Element type of the typed array backing a storage. */
export type Storage = Float32Array | Float64Array | Uint8Array;

/** Promotion category: bool < integral < floating. */
export const enum Category { Bool = 0, Integral = 1, Floating = 2 }

/** A tensor element type, printing as PyTorch does (`torch.float32`). */
export class DType {
  /** @internal */
  constructor(
    /** Name without the `torch.` prefix, e.g. `float32`. */
    readonly name: string,
    /** Size of one element in bytes, as `torch.dtype.itemsize` would report. */
    readonly itemsize: number,
    /** Promotion category. */
    readonly category: Category,
    /** Legacy tensor type name used in messages, e.g. `torch.FloatTensor`. */
    readonly legacyTypeName: string,
    private readonly arrayType: new (n: number) => Storage,
    /** @internal Position in promotion order: bool < int64 < float32 < float64. */
    readonly _rank: number,
  ) {}

  /** True for float32 and float64. */
  get is_floating_point(): boolean {
    return this.category === Category.Floating;
  }

  /** True for signed types (everything but bool). */
  get is_signed(): boolean {
    return this.category !== Category.Bool;
  }

  /** A zero-filled typed array of `n` elements for this dtype. */
  allocate(n: number): Storage {
    // One construction site per array type: V8 builds a typed array quickly only where the constructor is
    // always the same (a `new` through the field sees three and takes the generic path, ~5x slower for small n).
    const arrayType = this.arrayType;
    const reused = reuse(arrayType, n);
    if (reused !== null) return reused;
    try {
      if (arrayType === Float32Array) return new Float32Array(n);
      if (arrayType === Float64Array) return new Float64Array(n);
      return new Uint8Array(n);
    } catch (error) {
      throw allocationError(error, n * this.itemsize);
    }
  }

  /** Converts a JavaScript number (or boolean) to the value this dtype stores. */
  cast(value: number | boolean): number {
    if (this.category === Category.Bool) return value ? 1 : 0;
    if (this.category === Category.Integral) return Math.trunc(Number(value));
    return Number(value);
  }

  /** `torch.float32`. */
  toString(): string {
    return `torch.${this.name}`;
  }

  /** Node's inspect (and so the kernel's text output) prints like Python's repr. */
  [inspectSymbol](): string {
    return this.toString();
  }
}

/** 32-bit float, PyTorch's default dtype. */
export const float32 = new DType('float32', 4, Category.Floating, 'torch.FloatTensor', Float32Array, 2);
/** 64-bit float. */
export const float64 = new DType('float64', 8, Category.Floating, 'torch.DoubleTensor', Float64Array, 3);
/** 64-bit integer, stored as integral doubles (exact to 2^53). */
export const int64 = new DType('int64', 8, Category.Integral, 'torch.LongTensor', Float64Array, 1);
/** Boolean, one byte per element. */
export const bool = new DType('bool', 1, Category.Bool, 'torch.BoolTensor', Uint8Array, 0);

/** Aliases PyTorch accepts for the same objects. */
export const float = float32;
/** Alias of float64. */
export const double = float64;
/** Alias of int64. */
export const long = int64;

let defaultFloat: DType = float32;

/** The dtype floating-point Python scalars and `torch.tensor([1.5])` get. */
export function get_default_dtype(): DType {
  return defaultFloat;
}

/** Sets the default floating dtype (float32 or float64), like `torch.set_default_dtype`. */
export function set_default_dtype(dtype: DType): void {
  if (!dtype.is_floating_point) {
    throw new globalThis.TypeError('only floating-point types are supported as the default type');
  }
  defaultFloat = dtype;
}

/** `torch.promote_types`: the smallest dtype both can be converted to. */
export function promote_types(a: DType, b: DType): DType {
  return a._rank >= b._rank ? a : b;
}

/** What an operand contributes to `result_type`: a dimensioned tensor, a 0-dim tensor, or a Python scalar. */
export const enum OperandKind { Dimensioned = 0, ZeroDim = 1, Scalar = 2 }

/**
 * Dtype a Python scalar is wrapped as. JS has no separate float literal, so an integral number counts as a
 * Python int unless boxed (`new Number(1)`, which the interpreter may produce for literals written `1.`).
 */
export function scalarDtype(value: number | boolean | Number): DType {
  if (typeof value === 'boolean') return bool;
  if (value instanceof Number) return defaultFloat;
  return Number.isInteger(value) ? int64 : defaultFloat;
}

/**
 * PyTorch's `result_type` over operand groups: a higher category wins, otherwise dimensioned tensors decide
 * before 0-dim tensors, which decide before Python scalars (so `int64 tensor * 2.5` is float32, and
 * `float32 tensor * float64 0-dim` stays float32).
 */
export function resultType(dims: DType | null, zeroDims: DType | null, scalars: DType | null): DType {
  return combine(dims, combine(zeroDims, scalars))!;
}

function combine(higher: DType | null, lower: DType | null): DType | null {
  if (higher === null) return lower;
  if (lower === null) return higher;
  if (higher.category === Category.Floating) return higher;
  if (higher === bool || lower.category === Category.Floating) return promote_types(higher, lower);
  return higher;
}
