/** `torch.autograd.functional`: Jacobians and Hessians of functions of tensors, by repeated backward passes. */
import { RuntimeError } from '../errors.js';
import { enable_grad } from './grad_mode.js';
import { grad } from './api.js';
import type { Tensor } from '../tensor.js';
import { reshape, select, stack, view } from '../ops/shape.js';
import { emptyTensor } from '../ops/common.js';

/** Options of `jacobian` and `hessian`. */
export interface FunctionalOptions {
  /** Keep the result differentiable (for higher derivatives). */
  create_graph?: boolean;
}

/** The inputs as the function sees them: connected to the originals when building a graph, else fresh leaves. */
function prepare(inputs: Tensor[], createGraph: boolean): Tensor[] {
  return inputs.map((x) => (createGraph && x.requires_grad ? view(x, x._shape) : x.detach().requires_grad_(true)));
}

/**
 * `torch.autograd.functional.jacobian(func, inputs)`: d func(inputs) / d inputs, shaped output.shape + input.shape
 * (an array of such tensors when `inputs` is an array).
 */
export function jacobian(func: (...inputs: Tensor[]) => Tensor, inputs: Tensor | Tensor[], options: FunctionalOptions = {}): Tensor | Tensor[] {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  const createGraph = options.create_graph ?? false;
  const xs = prepare(list, createGraph);
  const output = enable_grad(() => func(...xs));
  const flat = reshape(output, [-1]);
  const rows: Tensor[][] = xs.map(() => []);
  for (let i = 0; i < flat.numel(); i++) {
    const element = enable_grad(() => select(flat, 0, i));
    const grads = element.requires_grad
      ? grad(element, xs, { retain_graph: true, create_graph: createGraph, allow_unused: true })
      : xs.map(() => null);
    grads.forEach((g, k) => rows[k].push(g ?? emptyTensor(xs[k]._shape, xs[k]._dtype)));
  }
  const jacobians = xs.map((x, k) => {
    const stacked = rows[k].length ? stack(rows[k]) : emptyTensor([0, ...x._shape], x._dtype);
    return reshape(stacked, [...output._shape, ...x._shape]);
  });
  return Array.isArray(inputs) ? jacobians : jacobians[0];
}

/** `torch.autograd.functional.hessian(func, inputs)`: second derivatives of a scalar function of one tensor. */
export function hessian(func: (input: Tensor) => Tensor, inputs: Tensor, options: FunctionalOptions = {}): Tensor {
  const gradient = (x: Tensor): Tensor => {
    const output = func(x);
    if (output.numel() !== 1) {
      throw new RuntimeError('The Tensor returned by the function given to hessian should contain a single element');
    }
    return jacobian(func, x, { create_graph: true }) as Tensor;
  };
  return jacobian(gradient, inputs, options) as Tensor;
}
