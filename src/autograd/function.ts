/** Recording ops into the graph: the one place forward ops attach a grad_fn to their output. */
import { is_grad_enabled } from './grad_mode.js';
import { OpNode, type Derivative, type Edge } from './node.js';
import type { Tensor } from '../tensor.js';

const noGradient: Edge = [null, 0];

/** Where the gradient of `t` must be sent: its grad_fn, its AccumulateGrad if a leaf needing grad, or nowhere. */
export function gradientEdge(t: Tensor | null): Edge {
  if (t === null) return [null, 0];
  if (t._gradFn !== null) return [t._gradFn, t._outputNr];
  if (t._requiresGrad) return t._gradAccumulator().edge;
  return noGradient;
}

/** True when recording an op over these inputs is needed (grad mode on, some input requires grad). */
export function needsRecording(inputs: readonly (Tensor | null)[]): boolean {
  if (!is_grad_enabled()) return false;
  for (let i = 0; i < inputs.length; i++) {
    const t = inputs[i];
    if (t !== null && (t._gradFn !== null || t._requiresGrad)) return true;
  }
  return false;
}

/**
 * Attaches a new grad_fn for `def` to `output` when any input requires grad. `inputs` lists the op's
 * operands in `next_functions` order (null for Python scalars), `saved` the tensors the backward reads.
 */
export function record<A>(
  def: Derivative<A>,
  output: Tensor,
  inputs: readonly (Tensor | null)[],
  saved: (Tensor | null)[] = [],
  attrs?: A,
): Tensor {
  if (!needsRecording(inputs)) return output;
  const edges = new Array<Edge>(inputs.length);
  for (let i = 0; i < inputs.length; i++) edges[i] = gradientEdge(inputs[i]);
  output._gradFn = new OpNode(def, edges, saved, attrs as A, output);
  output._outputNr = 0;
  return output;
}

/** Attaches one grad_fn with several outputs (unbind, split): output i gets `outputNr` i. */
export function recordMany<A>(def: Derivative<A>, outputs: Tensor[], inputs: readonly (Tensor | null)[], attrs: A): Tensor[] {
  if (!needsRecording(inputs)) return outputs;
  const node = new OpNode(def, inputs.map(gradientEdge), [], attrs, outputs[0], outputs.length);
  outputs.forEach((output, i) => {
    output._gradFn = node;
    output._outputNr = i;
  });
  return outputs;
}
