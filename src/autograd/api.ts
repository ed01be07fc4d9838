/** `torch.autograd`: backward over several roots and `grad`, which returns gradients instead of accumulating. */
import { RuntimeError } from '../errors.js';
import { runBackward, type CaptureTarget, type EngineRun } from './engine.js';
import type { Tensor } from '../tensor.js';
import { onesLike } from '../ops/shape.js';

function asList(x: Tensor | readonly Tensor[]): Tensor[] {
  return Array.isArray(x) ? x.slice() : [x as Tensor];
}

/** Seeds for each output: the given gradients, or ones for single-element outputs. */
function seeds(outputs: Tensor[], gradOutputs: (Tensor | null)[] | undefined): EngineRun['roots'] {
  const roots: EngineRun['roots'] = [];
  for (let i = 0; i < outputs.length; i++) {
    const output = outputs[i];
    if (!output.requires_grad) {
      throw new RuntimeError(`element ${i} of tensors does not require grad and does not have a grad_fn`);
    }
    let grad = gradOutputs?.[i] ?? null;
    if (grad === null) {
      if (output.numel() !== 1) throw new RuntimeError('grad can be implicitly created only for scalar outputs');
      grad = onesLike(output);
    } else if (grad._shape.length !== output._shape.length || grad._shape.some((d, k) => d !== output._shape[k])) {
      throw new RuntimeError(`Mismatch in shape: grad_output[${i}] has a shape of ${grad.shape} and output[${i}] has a shape of ${output.shape}.`);
    }
    roots.push({ node: output._gradFn ?? output._gradAccumulator(), outputNr: output._outputNr, grad });
  }
  return roots;
}

/** Options of `torch.autograd.backward`. */
export interface AutogradBackwardOptions {
  grad_tensors?: Tensor | (Tensor | null)[];
  retain_graph?: boolean;
  create_graph?: boolean;
}

/** `torch.autograd.backward(tensors, {grad_tensors, retain_graph, create_graph})`: accumulates into leaves' `.grad`. */
export function backward(tensors: Tensor | Tensor[], options: AutogradBackwardOptions = {}): void {
  const outputs = asList(tensors);
  const gradTensors = options.grad_tensors === undefined ? undefined : asList(options.grad_tensors as Tensor | Tensor[]);
  const createGraph = options.create_graph ?? false;
  runBackward({ roots: seeds(outputs, gradTensors), retainGraph: options.retain_graph ?? createGraph, createGraph });
}

/** Options of `torch.autograd.grad`. */
export interface GradOptions {
  grad_outputs?: Tensor | (Tensor | null)[];
  retain_graph?: boolean;
  create_graph?: boolean;
  allow_unused?: boolean;
}

/** `torch.autograd.grad(outputs, inputs, options)`: the gradients of outputs w.r.t. inputs, leaving `.grad` alone. */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = asList(outputs);
  const ins = asList(inputs);
  const gradOutputs = options.grad_outputs === undefined ? undefined : asList(options.grad_outputs as Tensor | Tensor[]);
  const captures: CaptureTarget[] = ins.map((input) => {
    if (!input.requires_grad) throw new RuntimeError('One of the differentiated Tensors does not require grad');
    return input._gradFn ? { node: input._gradFn, inputNr: input._outputNr } : { node: input._gradAccumulator(), inputNr: 0 };
  });
  const createGraph = options.create_graph ?? false;
  const result = runBackward({ roots: seeds(outs, gradOutputs), retainGraph: options.retain_graph ?? createGraph, createGraph, captures });
  if (!options.allow_unused && result.some((g) => g === null)) {
    throw new RuntimeError(
      'One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.',
    );
  }
  return result;
}
