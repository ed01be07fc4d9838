/** Tensor values as text, each element written exactly as PyTorch's repr writes it (through format.ts). */

import { elementFormatter, printOptions, shownIndices, type DTypeName } from '../format.js';
import { options } from './options.js';
import { type TensorLike } from './runtimeShapes.js';

type Nested = number | boolean | Nested[];

/** The dtype's name as format.ts knows it (`float32`), from a dtype object or its text. */
export function dtypeKey(tensor: TensorLike): DTypeName {
  return String(tensor.dtype).replace(/^torch\./, '') as DTypeName;
}

/** The elements of a `tolist()` result in row-major order, booleans as 0 and 1. */
export function flattenList(list: unknown): number[] {
  const values: number[] = [];
  const collect = (item: Nested): void => {
    if (Array.isArray(item)) item.forEach(collect);
    else values.push(Number(item));
  };
  collect(list as Nested);
  return values;
}

/** Every element of a tensor in row-major order, booleans as 0 and 1. */
export function flatValues(tensor: TensorLike): number[] {
  return flattenList(tensor.tolist());
}

/** Whether the repr summarises this tensor (more elements than the print threshold). */
export function isSummarized(tensor: TensorLike): boolean {
  return tensor.numel() > printOptions.threshold;
}

/** The indices of one dimension the repr shows, `null` standing for its `...`. */
export function axisIndices(size: number, summarize: boolean): (number | null)[] {
  return shownIndices(size, summarize).map((index) => (index === 'ellipsis' ? null : index));
}

/** The repr's per-element text for this tensor (same mode, precision and width), without padding. */
export function tensorElementText(tensor: TensorLike, values: readonly number[] = flatValues(tensor)): (value: number | boolean) => string {
  const format = elementFormatter({ values, shape: tensor.shape, dtype: dtypeKey(tensor) });
  return (value) => format(Number(value)).trim();
}

/** The Euclidean (L2) norm of a tensor's values, as `t.norm()` gives it. */
export function l2Norm(tensor: TensorLike): number {
  let sum = 0;
  for (const value of flatValues(tensor)) sum += value * value;
  return Math.sqrt(sum);
}

/** A number written as the repr of a 0-d float32 tensor writes it (`16.`, `0.5000`, `1.2346e+05`). */
export function formatScalar(value: number): string {
  return elementFormatter({ values: [value], shape: [], dtype: 'float32' })(value).trim();
}

/** A norm written as a float scalar, e.g. `16.` or `0.1235`. */
export function normText(tensor: TensorLike): string {
  return formatScalar(l2Norm(tensor));
}

/**
 * The values as a nested list in repr element format, e.g. `[[1., 2.], [3., 4.]]`, or `80.` for a 0-d tensor;
 * past `maxElements` the first values and the count, e.g. `[0.1000, -0.2000, 0.3000, 0.4000, … 96 more]`.
 */
export function inlineValues(tensor: TensorLike, maxElements = 16): string {
  const values = flatValues(tensor);
  if (values.length > maxElements) {
    const head = values.slice(0, Math.min(4, maxElements));
    const format = tensorElementText(tensor, values);
    return `[${head.map(format).join(', ')}, … ${values.length - head.length} more]`;
  }
  const format = tensorElementText(tensor, values);
  const write = (item: Nested): string => (Array.isArray(item) ? `[${item.map(write).join(', ')}]` : format(item));
  return write(tensor.tolist() as Nested);
}

/** A gradient in a few characters: its values when small, else its norm, e.g. `80.` or `‖g‖=12.35`. */
export function gradientSummary(gradient: TensorLike): string {
  return gradient.numel() <= options.inlineValueLimit ? inlineValues(gradient) : `‖g‖=${normText(gradient)}`;
}
