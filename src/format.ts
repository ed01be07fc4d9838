/**
 * PyTorch 1.13's tensor repr, to the character: element formatting (precision, scientific notation,
 * integer mode, one shared width), line wrapping, summarisation and the trailing suffixes.
 * Pure: it works on a flat row-major list of values and a shape, so the Tensor class can call it.
 */

/** The dtypes the runtime knows, by PyTorch's name without the `torch.` prefix. */
export type DTypeName = 'float32' | 'float64' | 'int64' | 'bool';

/** What the formatter needs of a tensor: its values in row-major order, shape and dtype. */
export interface ReprSource {
  /** Elements in row-major order (bool as 0/1, int64 as integer-valued numbers). */
  values: ArrayLike<number>;
  shape: readonly number[];
  dtype: DTypeName;
}

/** The autograd part of a repr: `grad_fn=<...>` for non-leaves, `requires_grad=True` for leaves. */
export interface ReprSuffixes {
  gradFn?: string;
  requiresGrad?: boolean;
}

/** torch's print options (torch._tensor_str.PRINT_OPTS). */
export interface PrintOptions {
  precision: number;
  threshold: number;
  edgeitems: number;
  linewidth: number;
  sci_mode: boolean | null;
}

/** Arguments of set_printoptions, as torch.set_printoptions takes them. */
export type PrintOptionsUpdate = Partial<PrintOptions> & { profile?: 'default' | 'short' | 'full' };

const PROFILES: Record<'default' | 'short' | 'full', Omit<PrintOptions, 'sci_mode'>> = {
  default: { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80 },
  short: { precision: 2, threshold: 1000, edgeitems: 2, linewidth: 80 },
  full: { precision: 4, threshold: Infinity, edgeitems: 3, linewidth: 80 },
};

/** The current print options, mutated in place by set_printoptions (defaults as PyTorch). */
export const printOptions: PrintOptions = { ...PROFILES.default, sci_mode: null };

/** torch.set_printoptions: a profile first, then the options given; sci_mode resets to null unless given. */
export function set_printoptions(opts: PrintOptionsUpdate = {}): void {
  if (opts.profile !== undefined) Object.assign(printOptions, PROFILES[opts.profile]);
  if (opts.precision != null) printOptions.precision = opts.precision;
  if (opts.threshold != null) printOptions.threshold = opts.threshold;
  if (opts.edgeitems != null) printOptions.edgeitems = opts.edgeitems;
  if (opts.linewidth != null) printOptions.linewidth = opts.linewidth;
  // As in PyTorch, every call sets sci_mode, so leaving it out returns to automatic choice.
  printOptions.sci_mode = opts.sci_mode ?? null;
}

// ---------------------------------------------------------------------------------------------
// Python's float formatting of the exact binary value ("{:.4f}", "{:.4e}"), rounding half to even.

const bigPowersOfTen: bigint[] = [1n];

function powerOfTen(exponent: number): bigint {
  while (bigPowersOfTen.length <= exponent) bigPowersOfTen.push(bigPowersOfTen[bigPowersOfTen.length - 1] * 10n);
  return bigPowersOfTen[exponent];
}

const bitsView = new DataView(new ArrayBuffer(8));

/** The exact value of a finite |x| as digits / 10^scale (every double is a finite decimal). */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  bitsView.setFloat64(0, x);
  const high = bitsView.getUint32(0);
  const biasedExponent = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(bitsView.getUint32(4));
  let binaryExponent = -1074;
  if (biasedExponent !== 0) {
    mantissa |= 1n << 52n;
    binaryExponent = biasedExponent - 1075;
  }
  if (binaryExponent >= 0) return { digits: mantissa << BigInt(binaryExponent), scale: 0 };
  // m / 2^k = m * 5^k / 10^k
  return { digits: mantissa * 5n ** BigInt(-binaryExponent), scale: -binaryExponent };
}

/** digits / 10^dropped rounded to an integer, ties to even (Python's rounding of exact values). */
function divideRoundingHalfEven(digits: bigint, dropped: number): bigint {
  if (dropped <= 0) return digits * powerOfTen(-dropped);
  const divisor = powerOfTen(dropped);
  const quotient = digits / divisor;
  const twiceRemainder = 2n * (digits % divisor);
  if (twiceRemainder > divisor || (twiceRemainder === divisor && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
}

function nonFiniteText(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  return x > 0 ? 'inf' : '-inf';
}

function signText(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

/** Python's `'{:.<precision>f}'.format(x)`: fixed point from the exact binary value, `-0.0000` keeps its sign. */
export function formatFixed(x: number, precision: number): string {
  if (!Number.isFinite(x)) return nonFiniteText(x);
  const { digits, scale } = exactDecimal(Math.abs(x));
  const scaled = divideRoundingHalfEven(digits, scale - precision).toString().padStart(precision + 1, '0');
  const integerPart = scaled.slice(0, scaled.length - precision);
  const fraction = precision > 0 ? '.' + scaled.slice(scaled.length - precision) : '';
  return signText(x) + integerPart + fraction;
}

/** Python's `'{:.<precision>e}'.format(x)`: `1.0000e+05`, exponent of at least two digits. */
export function formatScientific(x: number, precision: number): string {
  if (!Number.isFinite(x)) return nonFiniteText(x);
  const { digits, scale } = exactDecimal(Math.abs(x));
  let significand = '0'.repeat(precision + 1);
  let exponent = 0;
  if (digits !== 0n) {
    const digitCount = digits.toString().length;
    exponent = digitCount - 1 - scale;
    significand = divideRoundingHalfEven(digits, digitCount - (precision + 1)).toString();
    if (significand.length > precision + 1) {
      // Rounding carried into a new leading digit (9.99995 -> 10.0000): shift one place.
      significand = significand.slice(0, precision + 1);
      exponent += 1;
    }
  }
  const fraction = precision > 0 ? '.' + significand.slice(1) : '';
  const exponentText = (exponent < 0 ? '-' : '+') + String(Math.abs(exponent)).padStart(2, '0');
  return signText(x) + significand[0] + fraction + 'e' + exponentText;
}

// ---------------------------------------------------------------------------------------------
// The element formatter (torch._tensor_str._Formatter).

function isFloating(dtype: DTypeName): boolean {
  return dtype === 'float32' || dtype === 'float64';
}

/** Python's `'{}'.format` of an int64 or bool element. */
function formatExactValue(value: number, dtype: DTypeName): string {
  if (dtype === 'bool') return value ? 'True' : 'False';
  return String(value);
}

interface FloatMode {
  intMode: boolean;
  sciMode: boolean;
  maxWidth: number;
}

/** PyTorch's choice of integer mode, scientific mode and width from the nonzero finite values shown. */
function chooseFloatMode(values: readonly number[], options: PrintOptions): FloatMode {
  const nonzeroFinite = values.filter((v) => Number.isFinite(v) && v !== 0);
  // With nothing to measure PyTorch returns early, before its sci_mode option is applied.
  if (nonzeroFinite.length === 0) return { intMode: true, sciMode: false, maxWidth: 1 };
  let min = Infinity;
  let max = 0;
  for (const v of nonzeroFinite) {
    min = Math.min(min, Math.abs(v));
    max = Math.max(max, Math.abs(v));
  }
  const intMode = nonzeroFinite.every((v) => v === Math.ceil(v));
  const wideRange = max / min > 1000 || max > 1e8;
  const sciMode = intMode ? wideRange : wideRange || min < 1e-4;
  let measure: (v: number) => number;
  if (sciMode) measure = (v) => formatScientific(v, options.precision).length;
  else if (intMode) measure = (v) => formatFixed(v, 0).length + 1;
  else measure = (v) => formatFixed(v, options.precision).length;
  const maxWidth = nonzeroFinite.reduce((width, v) => Math.max(width, measure(v)), 1);
  return { intMode, sciMode: options.sci_mode ?? sciMode, maxWidth };
}

/** Formats single elements the way PyTorch does for one tensor: same mode, precision and width. */
class ElementFormatter {
  readonly width: number;
  private readonly floatMode: FloatMode | null;
  private readonly precision: number;

  constructor(
    private readonly dtype: DTypeName,
    shownValues: readonly number[],
    options: PrintOptions,
  ) {
    this.precision = options.precision;
    if (isFloating(dtype)) {
      this.floatMode = chooseFloatMode(shownValues, options);
      this.width = this.floatMode.maxWidth;
    } else {
      this.floatMode = null;
      this.width = shownValues.reduce((width, v) => Math.max(width, formatExactValue(v, dtype).length), 1);
    }
  }

  /** One element, right-aligned to the shared width. */
  format(value: number): string {
    return this.formatUnpadded(value).padStart(this.width);
  }

  private formatUnpadded(value: number): string {
    const mode = this.floatMode;
    if (mode === null) return formatExactValue(value, this.dtype);
    if (mode.sciMode) return formatScientific(value, this.precision);
    if (mode.intMode) return formatFixed(value, 0) + (Number.isFinite(value) ? '.' : '');
    return formatFixed(value, this.precision);
  }
}

// ---------------------------------------------------------------------------------------------
// Layout: summarisation, nesting, wrapping and suffixes.

function runtimeError(message: string): Error {
  const error = new Error(message);
  error.name = 'RuntimeError';
  return error;
}

function range(start: number, end: number): number[] {
  return Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);
}

/** Which indices of a dimension of this size are shown when summarised (with a gap marker), for HTML tables. */
export function shownIndices(size: number, summarize: boolean): (number | 'ellipsis')[] {
  const edge = printOptions.edgeitems;
  if (!summarize || size <= 2 * edge) return range(0, size);
  // PyTorch slices the tail as self[-edgeitems:], which is the whole dimension when edgeitems is 0.
  const tailStart = edge === 0 ? 0 : size - edge;
  return [...range(0, edge), 'ellipsis', ...range(tailStart, size)];
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, size) => count * size, 1);
}

/** A tensor being laid out: its values with the strides to walk them. */
interface Layout {
  values: ArrayLike<number>;
  shape: readonly number[];
  strides: number[];
  summarize: boolean;
}

function layoutOf(src: ReprSource): Layout {
  return {
    values: src.values,
    shape: src.shape,
    strides: rowMajorStrides(src.shape),
    summarize: elementCount(src.shape) > printOptions.threshold,
  };
}

function checkSummarizable(layout: Layout): void {
  if (layout.summarize && printOptions.edgeitems === 0 && layout.shape.length >= 2) {
    // PyTorch stacks the (empty) list of edge rows of the outer dimension here.
    throw runtimeError('stack expects a non-empty TensorList');
  }
}

/** The values PyTorch measures to pick the format: all of them, or only the shown edges when summarised. */
function shownValues(layout: Layout): number[] {
  const { values, shape, strides, summarize } = layout;
  if (!summarize) return Array.from(values);
  const collected: number[] = [];
  const visit = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      collected.push(values[offset]);
      return;
    }
    for (const index of shownIndices(shape[dim], true)) {
      if (index !== 'ellipsis') visit(dim + 1, offset + index * strides[dim]);
    }
  };
  visit(0, 0);
  return collected;
}

function formatterFor(layout: Layout, dtype: DTypeName): ElementFormatter {
  checkSummarizable(layout);
  return new ElementFormatter(dtype, shownValues(layout), printOptions);
}

function vectorText(layout: Layout, offset: number, indent: number, formatter: ElementFormatter): string {
  const size = layout.shape[layout.shape.length - 1];
  const stride = layout.strides[layout.strides.length - 1];
  const elementLength = formatter.width + 2;
  const perLine = Math.max(1, Math.floor((printOptions.linewidth - indent) / elementLength));
  const items = shownIndices(size, layout.summarize).map((index) =>
    index === 'ellipsis' ? ' ...' : formatter.format(layout.values[offset + index * stride]),
  );
  const lines: string[] = [];
  for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
  return '[' + lines.join(',\n' + ' '.repeat(indent + 1)) + ']';
}

function nestedText(layout: Layout, dim: number, offset: number, indent: number, formatter: ElementFormatter): string {
  const dimsLeft = layout.shape.length - dim;
  if (dimsLeft === 0) return formatter.format(layout.values[offset]);
  if (dimsLeft === 1) return vectorText(layout, offset, indent, formatter);
  const slices = shownIndices(layout.shape[dim], layout.summarize).map((index) =>
    index === 'ellipsis' ? '...' : nestedText(layout, dim + 1, offset + index * layout.strides[dim], indent + 1, formatter),
  );
  return '[' + slices.join(',' + '\n'.repeat(dimsLeft - 1) + ' '.repeat(indent + 1)) + ']';
}

/** Appends suffixes after ", ", moving one to a new line when the line would pass linewidth. */
function addSuffixes(text: string, suffixes: readonly string[], indent: number): string {
  const parts = [text];
  // PyTorch's own measure of the last line (two more than its length), kept for identical wrapping.
  let lastLineLength = text.length - text.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > printOptions.linewidth) {
      parts.push(',\n' + ' '.repeat(indent) + suffix);
      lastLineLength = indent + suffix.length;
    } else {
      parts.push(', ' + suffix);
      lastLineLength += suffix.length + 2;
    }
  }
  parts.push(')');
  return parts.join('');
}

/** Python's str(tuple(shape)): `(0, 3)`, `(0,)`. */
function pythonTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** repr(tensor) as PyTorch 1.13 prints it, e.g. `tensor([1.5000, 2.0000], grad_fn=<MulBackward0>)`. */
export function tensorRepr(src: ReprSource, suffixes: ReprSuffixes = {}, prefix = 'tensor('): string {
  const indent = prefix.length;
  const suffixTexts: string[] = [];
  let body: string;
  if (elementCount(src.shape) === 0) {
    if (src.shape.length !== 1) suffixTexts.push('size=' + pythonTuple(src.shape));
    // Without elements nothing shows an int64 or bool dtype, so only float32 (the default) goes unsaid.
    if (src.dtype !== 'float32') suffixTexts.push('dtype=torch.' + src.dtype);
    body = '[]';
  } else {
    if (src.dtype === 'float64') suffixTexts.push('dtype=torch.float64');
    const layout = layoutOf(src);
    body = nestedText(layout, 0, 0, indent, formatterFor(layout, src.dtype));
  }
  if (suffixes.gradFn !== undefined) suffixTexts.push(`grad_fn=<${suffixes.gradFn}>`);
  else if (suffixes.requiresGrad) suffixTexts.push('requires_grad=True');
  return addSuffixes(prefix + body, suffixTexts, indent);
}

/** repr(torch.Size): `torch.Size([2, 5])`. */
export function sizeRepr(shape: readonly number[]): string {
  return `torch.Size([${shape.join(', ')}])`;
}

/** The per-element formatter PyTorch would use for this tensor (same width, precision, sci mode), for HTML tables. */
export function elementFormatter(src: ReprSource): (value: number) => string {
  const formatter = formatterFor(layoutOf(src), src.dtype);
  return (value) => formatter.format(value);
}
