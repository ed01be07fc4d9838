/** `torch.viz.grads`: one row per tensor with its value, its `.grad` and the gradient's norm, or why it has none. */

import { alignColumns, escapeHtml, htmlTable, RenderedView } from './mime.js';
import { namedTensors, type ParameterSource } from './naming.js';
import { shapeTuple, storedGrad, type TensorLike } from './runtimeShapes.js';
import { inlineValues, normText } from './valueText.js';

/** Why a tensor's `.grad` is `None`, in the words a learner needs, or undefined when it has one. */
export function missingGradReason(tensor: TensorLike): string | undefined {
  if (storedGrad(tensor)) return undefined;
  if (!tensor.requires_grad) return 'None: does not require grad';
  if (!tensor.is_leaf) return 'None: not a leaf (call .retain_grad() before backward to keep it)';
  return 'None: backward not run yet';
}

/** Tensors to tabulate: an array (named by position), a record name → tensor, or a module. */
export type GradSource = readonly TensorLike[] | ParameterSource;

/** Shows each tensor's name, shape, value, `.grad` and gradient norm as an aligned text table and an HTML table. */
export function grads(source: GradSource): RenderedView {
  const entries: [string, TensorLike][] = Array.isArray(source)
    ? (source as readonly TensorLike[]).map((tensor, index) => [`[${index}]`, tensor])
    : namedTensors(source as ParameterSource);
  const header = ['name', 'shape', 'value', 'grad', 'grad norm'];
  const rows = entries.map(([name, tensor]) => {
    const reason = missingGradReason(tensor);
    const gradient = storedGrad(tensor);
    return [name, shapeTuple(tensor.shape), inlineValues(tensor), reason ?? inlineValues(gradient!), reason ? '' : normText(gradient!)];
  });
  const text = entries.length === 0 ? '(no tensors)' : alignColumns([header, ...rows]);
  const html = htmlTable(header, rows.map((row) => row.map(escapeHtml)));
  return new RenderedView({ 'text/plain': text, 'text/html': html });
}
