/** Rich displays of tensors, parameters, modules and sizes: PyTorch's repr as text, a compact table as HTML. */

import { cellBackground, colorScaleExtent } from './colorScale.js';
import { escapeHtml, RenderedView, type MimeBundle } from './mime.js';
import { namedTensors } from './naming.js';
import { options } from './options.js';
import { axisIndices, flattenList, isSummarized, tensorElementText } from './valueText.js';
import { sizeRepr } from '../format.js';
import { dtypeName, type HasNamedParameters, type TensorLike } from './runtimeShapes.js';

/** Per-call options of the tensor renderers. */
export interface TensorViewOptions {
  /** Shade cells blue–white–red around 0 (default `torch.viz.options.colors`). */
  colors?: boolean;
}

type Nested = number | boolean | Nested[];

const TABLE_STYLE = 'border-collapse:collapse;font-family:monospace;font-size:12px;margin:2px 0';
const CELL_STYLE = 'padding:1px 6px;text-align:right;white-space:pre';
const INDEX_STYLE = 'padding:1px 6px;text-align:right;font-weight:normal;opacity:0.6';
// Inline-size containment keeps a long caption from widening the table: it overflows to the right instead.
const CAPTION_STYLE = 'caption-side:top;text-align:left;font-family:monospace;font-size:12px;padding-bottom:2px;white-space:nowrap;contain:inline-size';
const ELLIPSIS = '…';
const VERTICAL_ELLIPSIS = '⋮';

/** A caption in PyTorch's words: `torch.Size([2, 3]) · torch.float32 · grad_fn=<MulBackward0>`. */
export function tensorCaption(tensor: TensorLike): string {
  const parts = [sizeRepr(tensor.shape), dtypeName(tensor.dtype)];
  if (tensor.grad_fn) parts.push(`grad_fn=<${tensor.grad_fn.name()}>`);
  else if (tensor.requires_grad) parts.push('requires_grad=True');
  return parts.join(' · ');
}

/** The values as HTML tables: 0-d and 1-d as one row, 2-d as a grid, higher as a stack of labelled 2-d slices. */
export function tensorTableHtml(tensor: TensorLike, caption: string, viewOptions: TensorViewOptions = {}): string {
  const colors = (viewOptions.colors ?? options.colors) && !String(tensor.dtype).includes('bool');
  const shape = tensor.shape;
  const head = `<caption style="${CAPTION_STYLE}">${escapeHtml(caption)}</caption>`;
  if (tensor.numel() === 0) {
    return `<table class="tsgrad-tensor" style="${TABLE_STYLE}">${head}<tr><td style="${CELL_STYLE}">(no elements)</td></tr></table>`;
  }
  const summarize = isSummarized(tensor);
  const values = tensor.tolist() as Nested;
  const format = tensorElementText(tensor, flattenList(values));
  const shownAxes = shape.map((size) => axisIndices(size, summarize));
  const extent = colors ? colorScaleExtent(shownValues(values, shownAxes)) : 0;
  const cell = (value: number | boolean): string => {
    const background = colors ? cellBackground(Number(value), extent) : '';
    const style = background ? `${CELL_STYLE};background:${background}` : CELL_STYLE;
    return `<td style="${style}">${escapeHtml(format(value))}</td>`;
  };

  if (shape.length <= 2) return scrollable(`<table class="tsgrad-tensor" style="${TABLE_STYLE}">${head}${gridRows(values, shownAxes, cell)}</table>`);

  const slices: string[] = [];
  const leading = shownAxes.slice(0, -2);
  for (const prefix of indexProduct(leading)) {
    if (prefix.includes(null)) {
      slices.push(`<div style="font-family:monospace;padding:0 6px">${VERTICAL_ELLIPSIS}</div>`);
      continue;
    }
    const label = `[${[...prefix, ':', ':'].join(', ')}]`;
    const slice = (prefix as number[]).reduce((nested: Nested, index) => (nested as Nested[])[index]!, values);
    slices.push(
      `<table style="${TABLE_STYLE}"><caption style="${CAPTION_STYLE};opacity:0.75">${escapeHtml(label)}</caption>${gridRows(slice, shownAxes.slice(-2), cell)}</table>`,
    );
  }
  return scrollable(`<div class="tsgrad-tensor"><div style="font-family:monospace;font-size:12px">${escapeHtml(caption)}</div>${slices.join('')}</div>`);
}

/** Wide tables (a vector of 1000 values is one row of 1000 cells) scroll instead of stretching the notebook. */
function scrollable(html: string): string {
  return `<div style="overflow-x:auto;max-width:100%">${html}</div>`;
}

/** Rows of a 0-d, 1-d or 2-d block with index headers; `null` indices are the summary's ellipses. */
function gridRows(values: Nested, axes: (number | null)[][], cell: (value: number | boolean) => string): string {
  if (axes.length === 0) return `<tr>${cell(values as number)}</tr>`;
  const columns = axes[axes.length - 1]!;
  const header = `<tr><th style="${INDEX_STYLE}"></th>${columns.map((column) => `<th style="${INDEX_STYLE}">${column ?? ELLIPSIS}</th>`).join('')}</tr>`;
  const row = (rowValues: Nested[], label: string): string =>
    `<tr><th style="${INDEX_STYLE}">${label}</th>${columns.map((column) => (column === null ? `<td style="${CELL_STYLE}">${ELLIPSIS}</td>` : cell(rowValues[column] as number))).join('')}</tr>`;
  if (axes.length === 1) return header + row(values as Nested[], '');
  const rows = axes[0]!.map((rowIndex) =>
    rowIndex === null
      ? `<tr><th style="${INDEX_STYLE}">${VERTICAL_ELLIPSIS}</th>${columns.map(() => `<td style="${CELL_STYLE}">${VERTICAL_ELLIPSIS}</td>`).join('')}</tr>`
      : row((values as Nested[])[rowIndex] as Nested[], String(rowIndex)),
  );
  return header + rows.join('');
}

/** Every combination of shown indices, in order (`null` marks an ellipsis on that axis). */
function indexProduct(axes: (number | null)[][]): (number | null)[][] {
  return axes.reduce<(number | null)[][]>((prefixes, axis) => prefixes.flatMap((prefix) => axis.map((index) => [...prefix, index])), [[]]);
}

function shownValues(values: Nested, axes: (number | null)[][]): number[] {
  if (axes.length === 0) return [Number(values)];
  return axes[0]!.flatMap((index) => (index === null ? [] : shownValues((values as Nested[])[index]!, axes.slice(1))));
}

/** A tensor's HTML table with its caption (what the Tensor's rich display shows next to the repr). */
export function tensorHtml(tensor: TensorLike, viewOptions: TensorViewOptions = {}): string {
  return tensorTableHtml(tensor, `tensor · ${tensorCaption(tensor)}`, viewOptions);
}

/** The display of a tensor: PyTorch's repr as text, a table as HTML. */
export function tensorBundle(tensor: TensorLike, viewOptions: TensorViewOptions = {}): MimeBundle {
  return { 'text/plain': String(tensor), 'text/html': tensorHtml(tensor, viewOptions) };
}

/** `torch.viz.table(t, {colors})`: a tensor shown as a table, with per-call options. */
export function table(tensor: TensorLike, viewOptions: TensorViewOptions = {}): RenderedView {
  return new RenderedView(tensorBundle(tensor, viewOptions));
}

/** The display of an `nn.Parameter`: its repr (`Parameter containing: ...`) and a table. */
export function parameterBundle(parameter: TensorLike, viewOptions: TensorViewOptions = {}): MimeBundle {
  return { 'text/plain': String(parameter), 'text/html': tensorTableHtml(parameter, `Parameter · ${tensorCaption(parameter)}`, viewOptions) };
}

/** The display of a `torch.Size`. */
export function sizeBundle(shape: readonly number[]): MimeBundle {
  const text = sizeRepr(shape);
  const numel = shape.reduce((product, size) => product * size, 1);
  const detail = `${shape.length}-d, ${numel} element${numel === 1 ? '' : 's'}`;
  return { 'text/plain': text, 'text/html': `<code>${escapeHtml(text)}</code> <span style="opacity:0.7">${escapeHtml(detail)}</span>` };
}

/**
 * The display of an `nn.Module`: its repr as PyTorch prints it, and as HTML that repr plus a table of the
 * parameters (name, shape, numel, requires_grad) with the totals.
 */
export function moduleBundle(module: HasNamedParameters): MimeBundle {
  const parameters = namedTensors(module);
  const total = parameters.reduce((sum, [, tensor]) => sum + tensor.numel(), 0);
  const trainable = parameters.reduce((sum, [, tensor]) => sum + (tensor.requires_grad ? tensor.numel() : 0), 0);
  const totals = `${total.toLocaleString('en-US')} parameters (${trainable.toLocaleString('en-US')} trainable)`;
  const head = ['name', 'shape', 'numel', 'requires_grad'].map((title) => `<th style="${CELL_STYLE};text-align:left">${title}</th>`).join('');
  const rows = parameters
    .map(
      ([name, tensor]) =>
        `<tr><td style="${CELL_STYLE};text-align:left">${escapeHtml(name)}</td><td style="${CELL_STYLE};text-align:left">${escapeHtml(`(${tensor.shape.join(', ')})`)}</td><td style="${CELL_STYLE}">${tensor.numel()}</td><td style="${CELL_STYLE};text-align:left">${tensor.requires_grad ? 'True' : 'False'}</td></tr>`,
    )
    .join('');
  const repr = String(module);
  const html = [
    '<div class="tsgrad-module">',
    `<pre style="margin:0 0 4px 0">${escapeHtml(repr)}</pre>`,
    `<table style="${TABLE_STYLE}"><caption style="${CAPTION_STYLE}">${escapeHtml(totals)}</caption><tr>${head}</tr>${rows}</table>`,
    '</div>',
  ].join('\n');
  return { 'text/plain': repr, 'text/html': html };
}
