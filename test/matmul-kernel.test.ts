import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../src/index.js';
import { gemm, type MatrixOperand } from '../src/kernels/matmul.js';

interface OperandSpec {
  shape: number[];
  seed: number;
  transposed?: boolean;
}

interface Case {
  name: string;
  op: 'mm' | 'addmm' | 'linear' | 'mv' | 'dot' | 'bmm';
  dtype: 'float32' | 'float64';
  operands: OperandSpec[];
  shape: number[];
  values: number[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/matmul.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** tools/fixtures/gen_matmul.py's operand_values: the same integer arithmetic, exact in double. */
function operandValues(count: number, seed: number): number[] {
  return Array.from({ length: count }, (_, i) => ((i * 2654435761 + seed * 40503) % 4294967296) / 2147483648 - 1);
}

function build(spec: OperandSpec, dtype: 'float32' | 'float64'): Tensor {
  const stored = spec.transposed ? [...spec.shape].reverse() : spec.shape;
  const tensor = torch.tensor(operandValues(stored.reduce((a, b) => a * b, 1), spec.seed), { dtype: torch[dtype] }).reshape(stored);
  return spec.transposed ? tensor.t() : tensor;
}

const OPS: Record<Case['op'], (...inputs: Tensor[]) => Tensor> = {
  mm: (a, b) => torch.mm(a, b),
  addmm: (bias, a, b) => torch.addmm(bias, a, b),
  linear: (x, weight, bias) => torch.nn.functional.linear(x, weight, bias),
  mv: (a, v) => torch.mv(a, v),
  dot: (a, b) => torch.dot(a, b),
  bmm: (a, b) => torch.bmm(a, b),
};

describe('matrix products are PyTorch 1.13\'s, bit for bit (k-ordered sums, bias where its BLAS adds it)', () => {
  for (const c of fixture.cases) {
    it(`${c.op}: ${c.name}`, () => {
      const out = OPS[c.op](...c.operands.map((spec) => build(spec, c.dtype)));
      expect(out.shape).toEqual(c.shape);
      expect(Array.from(out.reshape(-1).toTypedArray())).toEqual(c.values);
    });
  }
});

/** A matrix stored with the given layout inside a larger buffer, and its values row by row. */
interface Placed {
  operand: MatrixOperand;
  rows: number[][];
}

type Layout = 'row-major' | 'column-major' | 'offset and padded rows' | 'slice of wider rows' | 'broadcast rows';

function place(rows: number, cols: number, layout: Layout, ArrayType: Float32ArrayConstructor | Float64ArrayConstructor, seed: number): Placed {
  const random = (i: number): number => Math.sin(seed * 1000 + i * 12.9898) * 2;
  const offset = layout === 'offset and padded rows' || layout === 'slice of wider rows' ? 5 : 0;
  // A slice uses under half of its storage span: the WebAssembly path gathers it instead of copying the span.
  const rowStride = { 'row-major': cols, 'column-major': 1, 'offset and padded rows': cols + 3, 'slice of wider rows': 4 * cols + 1, 'broadcast rows': 0 }[layout];
  const colStride = layout === 'column-major' ? rows : 1;
  const data = new ArrayType(offset + Math.max(rows * Math.max(rowStride, 1), 1) + cols * colStride + 8).map((_, i) => random(i));
  const operand = { data, offset, rowStride, colStride };
  const values = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => data[offset + i * rowStride + j * colStride]));
  return { operand, rows: values };
}

/** The plain definition: each element's products summed in k order, rounded to float32 at each step when asked. */
function reference(a: number[][], b: number[][], m: number, n: number, k: number, float32: boolean, bias: number[][] | null, biasFirst: boolean): number[] {
  const round = float32 ? Math.fround : (x: number) => x;
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias && biasFirst ? bias[i][j] : 0;
      for (let p = 0; p < k; p++) sum = round(sum + round(a[i][p] * b[p][j]));
      out.push(bias && !biasFirst ? round(bias[i][j] + sum) : sum);
    }
  }
  return out;
}

describe('gemm against the plain k-ordered definition', () => {
  // Small shapes take the JavaScript loop, the rest WebAssembly: odd sizes pad tiles, k > 256 spans panels,
  // m > 64 spans row blocks, thin shapes run transposed (Cᵀ = Bᵀ·Aᵀ).
  const shapes: [number, number, number][] = [
    [0, 3, 4], [3, 0, 4], [3, 4, 0], [1, 1, 1], [2, 3, 4], [1, 1, 700], [5, 7, 300], [13, 9, 17], [64, 10, 128],
    [1, 33, 100], [33, 1, 100], [3, 70, 40], [70, 21, 260], [9, 200, 3],
  ];
  const layouts: Layout[] = ['row-major', 'column-major', 'offset and padded rows', 'slice of wider rows', 'broadcast rows'];
  for (const ArrayType of [Float32Array, Float64Array]) {
    for (const [m, n, k] of shapes) {
      it(`${ArrayType.name.replace('Array', '')} ${m}x${k} by ${k}x${n}, every layout pair`, () => {
        for (const [ai, aLayout] of layouts.entries()) {
          for (const [bi, bLayout] of layouts.entries()) {
            const a = place(m, k, aLayout, ArrayType, ai + 1);
            const b = place(k, n, bLayout, ArrayType, bi + 11);
            const c = new ArrayType(m * n + 2).fill(7);
            gemm(m, n, k, a.operand, b.operand, c, 2);
            const expected = reference(a.rows, b.rows, m, n, k, ArrayType === Float32Array, null, false);
            expect(Array.from(c.subarray(2)), `${aLayout} A, ${bLayout} B`).toEqual(expected);
            expect(Array.from(c.subarray(0, 2))).toEqual([7, 7]);
          }
        }
      });
    }
  }

  // PyTorch's addmm seeds the sums with the bias when its BLAS runs mat2 untransposed (n > 1) or mat1 (n = 1),
  // and adds the bias to finished dot products otherwise.
  const biasCases: { m: number; n: number; k: number; a: Layout; b: Layout; biasFirst: boolean }[] = [
    { m: 30, n: 9, k: 50, a: 'row-major', b: 'row-major', biasFirst: true },
    { m: 30, n: 9, k: 50, a: 'row-major', b: 'column-major', biasFirst: false },
    { m: 30, n: 1, k: 50, a: 'row-major', b: 'row-major', biasFirst: false },
    { m: 30, n: 1, k: 50, a: 'column-major', b: 'row-major', biasFirst: true },
    { m: 3, n: 2, k: 3, a: 'row-major', b: 'row-major', biasFirst: true },
    { m: 3, n: 2, k: 3, a: 'row-major', b: 'column-major', biasFirst: false },
    { m: 4, n: 5, k: 0, a: 'row-major', b: 'row-major', biasFirst: true },
  ];
  for (const ArrayType of [Float32Array, Float64Array]) {
    for (const { m, n, k, a: aLayout, b: bLayout, biasFirst } of biasCases) {
      it(`${ArrayType.name.replace('Array', '')} bias ${biasFirst ? 'first' : 'last'}: ${m}x${k} ${aLayout} by ${k}x${n} ${bLayout}`, () => {
        const a = place(m, k, aLayout, ArrayType, 1);
        const b = place(k, n, bLayout, ArrayType, 2);
        for (const biasLayout of ['broadcast rows', 'row-major'] as const) {
          const bias = place(m, n, biasLayout, ArrayType, 3);
          const c = new ArrayType(m * n);
          gemm(m, n, k, a.operand, b.operand, c, 0, bias.operand);
          expect(Array.from(c), biasLayout).toEqual(reference(a.rows, b.rows, m, n, k, ArrayType === Float32Array, bias.rows, biasFirst));
        }
      });
    }
  }

  it('reuses its memory across sizes: a small product after a large one reads no stale values', () => {
    const large = place(300, 300, 'row-major', Float32Array, 1);
    gemm(300, 300, 300, large.operand, large.operand, new Float32Array(300 * 300), 0);
    const a = place(7, 19, 'row-major', Float32Array, 2);
    const b = place(19, 11, 'column-major', Float32Array, 3);
    const c = new Float32Array(7 * 11);
    gemm(7, 11, 19, a.operand, b.operand, c, 0);
    expect(Array.from(c)).toEqual(reference(a.rows, b.rows, 7, 11, 19, true, null, false));
  });
});

describe('int64 products stay exact', () => {
  it('sums of integer products up to 2^50', () => {
    const [m, k, n] = [9, 40, 11];
    const aValues = Array.from({ length: m * k }, (_, i) => ((i * 7919) % 2 ** 20) - 2 ** 19);
    const bValues = Array.from({ length: k * n }, (_, i) => ((i * 104729) % 2 ** 24) - 2 ** 23);
    const out = torch.mm(torch.tensor(aValues, { dtype: torch.int64 }).reshape(m, k), torch.tensor(bValues, { dtype: torch.int64 }).reshape(k, n));
    expect(out.dtype).toBe(torch.int64);
    const expected: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0n;
        for (let p = 0; p < k; p++) sum += BigInt(aValues[i * k + p]) * BigInt(bValues[p * n + j]);
        expected.push(Number(sum));
      }
    }
    expect(Array.from(out.reshape(-1).toTypedArray())).toEqual(expected);
  });
});
