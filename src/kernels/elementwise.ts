/**
 * Elementwise kernels. Each kernel is written once as a JavaScript expression (`a * b`) and compiled into a
 * tight loop per combination of typed-array types, so V8 sees monomorphic element accesses and no
 * per-element call. A faster backend can replace `unaryKernel`/`binaryKernel` without touching the ops.
 */
import type { Storage } from '../dtype.js';
import { broadcastStrides, coalesce, flatStep, forEachRow, isContiguous, numelOf, type Strided } from './strided.js';
import { type Float32Op, wasmFloat32Binary } from './wasm/elementwise.js';

type UnaryLoop = (n: number, out: Storage, oo: number, os: number, x: Storage, xo: number, xs: number, s: number) => void;
type BinaryLoop = (
  n: number, out: Storage, oo: number, os: number,
  x: Storage, xo: number, xs: number, y: Storage, yo: number, ys: number, s: number,
) => void;

/**
 * A contiguous loop over `n` elements whose body `element(index)` is written for one index expression, eight
 * elements per iteration: V8 re-checks the typed arrays on every iteration of a loop it cannot see the arrays
 * of, so fewer iterations run faster (10,000-element binary kernel ~25 -> ~19 us). `i` is the running index.
 */
function unrolled(element: (index: string) => string): string {
  const eight = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => element(`i + ${k}`)).join(' ');
  return `let i = 0; for (; i + 8 <= n; i += 8) { ${eight} } for (; i < n; i++) ${element('i')}`;
}

function arrayKind(array: Storage): number {
  return array instanceof Float32Array ? 0 : array instanceof Float64Array ? 1 : 2;
}

/** A compiled elementwise function of one operand, applied over strided views. */
export class UnaryKernel {
  private readonly loops: (UnaryLoop | undefined)[] = [];

  /** `expression` computes the result from `a` (the element) and the scalar parameter `s`; `Math` is in scope. */
  constructor(readonly expression: string) {}

  private loop(out: Storage, x: Storage): UnaryLoop {
    const key = arrayKind(out) * 3 + arrayKind(x);
    const e = this.expression;
    return (this.loops[key] ??= new Function(
      'n', 'out', 'oo', 'os', 'x', 'xo', 'xs', 's',
      `if (os === 1 && xs === 1) { ${unrolled((k) => `{ const a = x[xo + ${k}]; out[oo + ${k}] = ${e}; }`)} return; }
       if (os === 1 && xs === 0) { const a = x[xo]; const v = ${e}; for (let i = 0; i < n; i++) out[oo + i] = v; return; }
       for (let i = 0; i < n; i++) { const a = x[xo]; out[oo] = ${e}; oo += os; xo += xs; }`,
    ) as UnaryLoop);
  }

  /** Writes f(x) into `out`; `x` is broadcast to `out`'s shape. */
  run(out: Strided, x: Strided, s = 0): void {
    const loop = this.loop(out._buffer, x._buffer);
    const shape = out._shape;
    // A 0-dim result reads one element of each operand: the walk below would find that out at some cost.
    if (shape.length === 0) {
      loop(1, out._buffer, out._offset, 1, x._buffer, x._offset, 0, s);
      return;
    }
    if (isContiguous(shape, out._strides)) {
      const n = numelOf(shape);
      const xs = flatStep(x, shape, n);
      if (xs >= 0) {
        loop(n, out._buffer, out._offset, 1, x._buffer, x._offset, xs, s);
        return;
      }
    }
    const [dims, [os, xs]] = coalesce(shape, [out._strides, broadcastStrides(x, shape)]);
    if (dims.length <= 1) {
      loop(dims.length ? dims[0] : 1, out._buffer, out._offset, os[0] ?? 1, x._buffer, x._offset, xs[0] ?? 1, s);
      return;
    }
    const last = dims.length - 1;
    forEachRow(dims, [os, xs], [out._offset, x._offset], (o, n) =>
      loop(n, out._buffer, o[0], os[last], x._buffer, o[1], xs[last], s));
  }
}

/**
 * From this many elements a float32 result of contiguous (or scalar) operands runs in a kernel's WebAssembly
 * twin when it has one: below it, staging the operands costs more than the JavaScript loop.
 */
const WASM_MIN_ELEMENTS = 512;

/** A compiled elementwise function of two operands, applied over strided, broadcast views. */
export class BinaryKernel {
  private readonly loops: (BinaryLoop | undefined)[] = [];

  /**
   * `expression` computes the result from `a`, `b` and the scalar parameter `s`; `Math` is in scope.
   * `float32Twin` names the kernel of wasm/elementwise.wat that computes the same float32 results.
   */
  constructor(readonly expression: string, private readonly float32Twin?: Float32Op) {}

  private loop(out: Storage, x: Storage, y: Storage): BinaryLoop {
    const key = arrayKind(out) * 9 + arrayKind(x) * 3 + arrayKind(y);
    const e = this.expression;
    return (this.loops[key] ??= new Function(
      'n', 'out', 'oo', 'os', 'x', 'xo', 'xs', 'y', 'yo', 'ys', 's',
      `if (os === 1 && xs === 1 && ys === 1) { ${unrolled((k) => `{ const a = x[xo + ${k}], b = y[yo + ${k}]; out[oo + ${k}] = ${e}; }`)} return; }
       if (os === 1 && xs === 1 && ys === 0) { const b = y[yo]; ${unrolled((k) => `{ const a = x[xo + ${k}]; out[oo + ${k}] = ${e}; }`)} return; }
       if (os === 1 && xs === 0 && ys === 1) { const a = x[xo]; ${unrolled((k) => `{ const b = y[yo + ${k}]; out[oo + ${k}] = ${e}; }`)} return; }
       for (let i = 0; i < n; i++) { const a = x[xo], b = y[yo]; out[oo] = ${e}; oo += os; xo += xs; yo += ys; }`,
    ) as BinaryLoop);
  }

  /** Writes f(x, y) into `out`; `x` and `y` are broadcast to `out`'s shape. */
  run(out: Strided, x: Strided, y: Strided, s = 0): void {
    const loop = this.loop(out._buffer, x._buffer, y._buffer);
    const shape = out._shape;
    if (shape.length === 0) {
      loop(1, out._buffer, out._offset, 1, x._buffer, x._offset, 0, y._buffer, y._offset, 0, s);
      return;
    }
    if (isContiguous(shape, out._strides)) {
      const n = numelOf(shape);
      const xs = flatStep(x, shape, n);
      const ys = flatStep(y, shape, n);
      if (xs >= 0 && ys >= 0) {
        const inWasm = this.float32Twin !== undefined && n >= WASM_MIN_ELEMENTS && out._buffer instanceof Float32Array
          && wasmFloat32Binary(this.float32Twin, n, out._buffer, out._offset, x._buffer, x._offset, xs, y._buffer, y._offset, ys, s);
        if (!inWasm) loop(n, out._buffer, out._offset, 1, x._buffer, x._offset, xs, y._buffer, y._offset, ys, s);
        return;
      }
    }
    const [dims, [os, xs, ys]] = coalesce(shape, [out._strides, broadcastStrides(x, shape), broadcastStrides(y, shape)]);
    if (dims.length <= 1) {
      const n = dims.length ? dims[0] : 1;
      loop(n, out._buffer, out._offset, os[0] ?? 1, x._buffer, x._offset, xs[0] ?? 1, y._buffer, y._offset, ys[0] ?? 1, s);
      return;
    }
    const last = dims.length - 1;
    forEachRow(dims, [os, xs, ys], [out._offset, x._offset, y._offset], (o, n) =>
      loop(n, out._buffer, o[0], os[last], x._buffer, o[1], xs[last], y._buffer, o[2], ys[last], s));
  }
}

/** Copies (and converts) `x` into `out`, broadcasting. */
export const copyKernel = new UnaryKernel('a');
