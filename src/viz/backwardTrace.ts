/**
 * Runs a backward pass on the side to see it step by step: node post-hooks record, in the engine's own order,
 * the gradient each node receives and sends. Gradients are captured at the leaves (as `torch.autograd.grad`
 * does) with the graph retained, so the user's `.grad`s and the graph are left as they were.
 */

import { runBackward } from '../autograd/engine.js';
import { AccumulateGrad, type Node, type RemovableHandle } from '../autograd/node.js';
import { RuntimeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { onesLike } from '../ops/shape.js';

/** One node's work in the backward pass. */
export interface BackwardStep {
  readonly node: Node;
  /** Gradients arriving at the node (one per output of the forward op). */
  readonly gradOutputs: readonly (Tensor | null)[];
  /** Gradients the node sends, one per `next_functions` entry (null where none is needed). */
  readonly gradInputs: readonly (Tensor | null)[];
}

/** A whole backward pass: the seed gradient and the steps in execution order. */
export interface BackwardTrace {
  readonly seed: Tensor;
  readonly steps: readonly BackwardStep[];
  readonly byNode: ReadonlyMap<Node, BackwardStep>;
}

const FREED_GRAPH_HINT =
  'The graph behind this tensor was already freed by a backward pass, so its steps cannot be replayed. ' +
  'Keep it by calling backward({retain_graph: true}), or show the steps before calling backward().';

/** Traces the backward pass from `output` (a scalar, unless `gradient` is given) without touching any `.grad`. */
export function traceBackward(output: Tensor, gradient?: Tensor): BackwardTrace {
  const root = output.grad_fn;
  if (!root) {
    throw new RuntimeError(
      output.requires_grad
        ? 'this tensor is a leaf (it has no grad_fn): its backward pass only adds the gradient to its own .grad, so there are no steps to show'
        : 'element 0 of tensors does not require grad and does not have a grad_fn',
    );
  }
  if (gradient === undefined && output.numel() !== 1) throw new RuntimeError('grad can be implicitly created only for scalar outputs');
  const seed = gradient ?? onesLike(output);
  const nodes = reachableNodes(root);
  const accumulators = nodes.filter((node): node is AccumulateGrad => node instanceof AccumulateGrad);

  const recorded: BackwardStep[] = [];
  const handles: RemovableHandle[] = nodes
    .filter((node) => !(node instanceof AccumulateGrad))
    .map((node) => node.register_hook((gradInputs, gradOutputs) => void recorded.push({ node, gradOutputs: [...gradOutputs], gradInputs: [...gradInputs] })));
  // retain_grad() would store into non-leaf `.grad`s again; this pass must leave every `.grad` as it was.
  const retainGradHooks = nodes.map((node) => node.retainGradHooks.splice(0));
  let captured: (Tensor | null)[];
  try {
    captured = runBackward({
      roots: [{ node: root, outputNr: output._outputNr, grad: seed }],
      retainGraph: true,
      createGraph: false,
      captures: accumulators.map((node) => ({ node, inputNr: 0 })),
    });
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('Trying to backward through the graph a second time')) {
      throw new RuntimeError(FREED_GRAPH_HINT);
    }
    throw error;
  } finally {
    for (const handle of handles) handle.remove();
    nodes.forEach((node, index) => node.retainGradHooks.push(...retainGradHooks[index]!));
  }

  const steps = withAccumulations(recorded, accumulators, captured);
  return { seed, steps, byNode: new Map(steps.map((step) => [step.node, step])) };
}

/** Every node reachable from `root`, each once. */
export function reachableNodes(root: Node): Node[] {
  const seen = new Set<Node>([root]);
  const pending = [root];
  while (pending.length > 0) {
    for (const [next] of pending.pop()!.next_functions) {
      if (next !== null && !seen.has(next)) {
        seen.add(next);
        pending.push(next);
      }
    }
  }
  return [...seen];
}

/**
 * Puts each leaf's accumulation where a real backward() runs it: AccumulateGrad has the highest priority, so it
 * runs right after the last node sending it a gradient.
 */
function withAccumulations(recorded: BackwardStep[], accumulators: AccumulateGrad[], captured: (Tensor | null)[]): BackwardStep[] {
  const lastSender = new Map<Node, number>();
  recorded.forEach((step, index) => {
    step.node.next_functions.forEach(([next], input) => {
      if (next !== null && step.gradInputs[input] != null) lastSender.set(next, index);
    });
  });
  const after = new Map<number, BackwardStep[]>();
  accumulators.forEach((node, index) => {
    const gradient = captured[index];
    const position = lastSender.get(node);
    if (gradient == null || position === undefined) return;
    const list = after.get(position) ?? [];
    list.push({ node, gradOutputs: [gradient], gradInputs: [] });
    after.set(position, list);
  });
  return recorded.flatMap((step, index) => [step, ...(after.get(index) ?? [])]);
}
