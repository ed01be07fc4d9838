import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  elementFormatter,
  formatFixed,
  formatScientific,
  printOptions,
  set_printoptions,
  shownIndices,
  sizeRepr,
  tensorRepr,
  type DTypeName,
  type PrintOptions,
  type PrintOptionsUpdate,
  type ReprSource,
} from '../src/format.js';

type JsonNumber = number | 'nan' | 'inf' | '-inf';

interface ReprCase {
  name: string;
  values: JsonNumber[];
  shape: number[];
  dtype: DTypeName;
  printoptions: Record<string, unknown>;
  options: Record<keyof PrintOptions, unknown>;
  repr: string;
  gradFn?: string;
  requiresGrad?: boolean;
  parameter?: boolean;
  prefix?: string;
}

interface ReprFixture {
  torch: string;
  sizes: { shape: number[]; repr: string }[];
  numbers: { value: number; precision: number; fixed: string; scientific: string }[];
  cases: ReprCase[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/repr.json', import.meta.url), 'utf8'),
) as ReprFixture;

function decodeNumber(value: unknown): unknown {
  if (value === 'nan') return NaN;
  if (value === 'inf') return Infinity;
  if (value === '-inf') return -Infinity;
  return value;
}

function decodeOptions(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).map(([key, value]) => [key, decodeNumber(value)]));
}

/** The case's values in the typed array the runtime stores that dtype in (float32 through a Float32Array). */
function sourceOf(c: ReprCase): ReprSource {
  const values = c.values.map((v) => decodeNumber(v) as number);
  const storage = {
    float32: Float32Array,
    float64: Float64Array,
    int64: Float64Array,
    bool: Uint8Array,
  }[c.dtype];
  return { values: storage.from(values), shape: c.shape, dtype: c.dtype };
}

function applyOptions(c: ReprCase): void {
  set_printoptions({ profile: 'default' });
  set_printoptions(decodeOptions(c.printoptions) as PrintOptionsUpdate);
}

function reprOf(c: ReprCase): string {
  const repr = tensorRepr(sourceOf(c), { gradFn: c.gradFn, requiresGrad: c.requiresGrad }, c.prefix);
  return c.parameter ? 'Parameter containing:\n' + repr : repr;
}

/** The values at the shown positions, in printing order, walking shownIndices through every dimension. */
function shownValuesOf(source: ReprSource, summarize: boolean): number[] {
  const shown: number[] = [];
  const visit = (dim: number, offset: number, stride: number): void => {
    if (dim === source.shape.length) {
      shown.push(source.values[offset]);
      return;
    }
    const inner = stride / source.shape[dim];
    for (const index of shownIndices(source.shape[dim], summarize)) {
      if (index !== 'ellipsis') visit(dim + 1, offset + index * inner, inner);
    }
  };
  visit(0, 0, source.values.length);
  return shown;
}

/** The element texts of a printed tensor: everything between the prefix and the closing bracket, split on separators. */
function elementTokens(c: ReprCase): string[] {
  const prefix = c.prefix ?? 'tensor(';
  const body = c.shape.length === 0 ? c.repr.slice(prefix.length).split(',')[0].replace(/\)$/, '') : c.repr.slice(prefix.length, c.repr.lastIndexOf(']') + 1);
  return body.split(/[\s,[\]]+/).filter((token) => token !== '' && token !== '...');
}

const tensorCases = fixture.cases.filter((c) => !c.parameter);
const nonEmptyCases = tensorCases.filter((c) => c.values.length > 0);

afterEach(() => set_printoptions({ profile: 'default' }));

describe('tensorRepr against PyTorch', () => {
  it('has a broad fixture', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(200);
    expect(new Set(fixture.cases.map((c) => c.dtype))).toEqual(new Set(['float32', 'float64', 'int64', 'bool']));
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    applyOptions(c);
    expect({ ...printOptions }).toEqual(decodeOptions(c.options));
    expect(reprOf(c)).toBe(c.repr);
  });

  it('throws like PyTorch when edgeitems 0 summarises a matrix', () => {
    set_printoptions({ edgeitems: 0, threshold: 3 });
    const matrix: ReprSource = { values: new Float32Array(25), shape: [5, 5], dtype: 'float32' };
    expect(() => tensorRepr(matrix)).toThrow(
      expect.objectContaining({ name: 'RuntimeError', message: 'stack expects a non-empty TensorList' }),
    );
  });
});

describe('elementFormatter', () => {
  it.each(nonEmptyCases.map((c) => [c.name, c] as const))('formats the shown elements of %s', (_name, c) => {
    applyOptions(c);
    const source = sourceOf(c);
    const format = elementFormatter(source);
    const summarize = c.values.length > printOptions.threshold;
    const formatted = shownValuesOf(source, summarize).map(format);
    expect(formatted.map((text) => text.trim())).toEqual(elementTokens(c));
  });

  const singleRowCases = nonEmptyCases.filter((c) => c.shape.length === 1 && !c.repr.includes('...') && !c.repr.includes('\n'));
  it.each(singleRowCases.map((c) => [c.name, c] as const))('pads the elements of %s exactly as printed', (_name, c) => {
    applyOptions(c);
    const source = sourceOf(c);
    const row = '[' + Array.from(source.values, elementFormatter(source)).join(', ') + ']';
    expect(c.repr.startsWith((c.prefix ?? 'tensor(') + row)).toBe(true);
  });

  it('pads to the width of the widest element, as on one printed row', () => {
    const source: ReprSource = { values: Float64Array.of(1.5, -20.25, Infinity), shape: [3], dtype: 'float32' };
    const format = elementFormatter(source);
    expect([1.5, -20.25, Infinity].map(format)).toEqual(['  1.5000', '-20.2500', '     inf']);
    expect(tensorRepr(source)).toBe('tensor([  1.5000, -20.2500,      inf])');
  });

  it('follows the current print options', () => {
    set_printoptions({ precision: 2, sci_mode: true });
    const format = elementFormatter({ values: [0.5, 3], shape: [2], dtype: 'float64' });
    expect(format(0.5)).toBe('5.00e-01');
  });
});

describe('shownIndices', () => {
  it('shows every index when not summarising', () => {
    expect(shownIndices(8, false)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('keeps edgeitems at each end around the gap', () => {
    expect(shownIndices(10, true)).toEqual([0, 1, 2, 'ellipsis', 7, 8, 9]);
    expect(shownIndices(6, true)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(shownIndices(7, true)).toEqual([0, 1, 2, 'ellipsis', 4, 5, 6]);
    set_printoptions({ edgeitems: 1 });
    expect(shownIndices(5, true)).toEqual([0, 'ellipsis', 4]);
  });

  it('repeats the whole dimension after the gap when edgeitems is 0, as slicing [-0:] does', () => {
    set_printoptions({ edgeitems: 0 });
    expect(shownIndices(3, true)).toEqual(['ellipsis', 0, 1, 2]);
  });
});

describe('Python float formatting', () => {
  it.each(fixture.numbers.map((n) => [n.value, n.precision, n] as const))('%s at precision %i', (value, precision, n) => {
    expect(formatFixed(value, precision)).toBe(n.fixed);
    expect(formatScientific(value, precision)).toBe(n.scientific);
  });

  it('rounds the exact binary value half to even', () => {
    expect(formatFixed(0.03125, 4)).toBe('0.0312');
    expect((0.03125).toFixed(4)).toBe('0.0313');
    expect(formatFixed(0.09375, 4)).toBe('0.0938');
    expect(formatScientific(1.03125, 4)).toBe('1.0312e+00');
  });

  it('prints non-finite values as Python does', () => {
    expect([NaN, Infinity, -Infinity].map((v) => formatFixed(v, 4))).toEqual(['nan', 'inf', '-inf']);
    expect(formatScientific(-Infinity, 2)).toBe('-inf');
  });
});

describe('set_printoptions', () => {
  it('applies the profile, then the given options, and resets sci_mode when it is left out', () => {
    set_printoptions({ sci_mode: true, linewidth: 100 });
    expect(printOptions).toEqual({ precision: 4, threshold: 1000, edgeitems: 3, linewidth: 100, sci_mode: true });
    set_printoptions({ profile: 'short', edgeitems: 5 });
    expect(printOptions).toEqual({ precision: 2, threshold: 1000, edgeitems: 5, linewidth: 80, sci_mode: null });
    set_printoptions({ profile: 'full' });
    expect(printOptions.threshold).toBe(Infinity);
  });
});

describe('sizeRepr', () => {
  it.each(fixture.sizes.map((s) => [s.repr, s] as const))('%s', (_repr, s) => {
    expect(sizeRepr(s.shape)).toBe(s.repr);
  });
});
