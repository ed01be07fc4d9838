/** The backward engine: runs the graph from the roots in PyTorch's order, accumulating gradients. */
import { withGradMode } from './grad_mode.js';
import { priorityOf, type Node } from './node.js';
import type { Tensor } from '../tensor.js';

/** Where a gradient is captured instead of accumulated (torch.autograd.grad): a node's input slot. */
export interface CaptureTarget {
  node: Node;
  inputNr: number;
}

/** Options of one engine run. */
export interface EngineRun {
  roots: { node: Node; outputNr: number; grad: Tensor }[];
  retainGraph: boolean;
  createGraph: boolean;
  /** When given, gradients arriving at these slots are returned and leaves' `.grad` are left alone. */
  captures?: CaptureTarget[];
}

/** A max-heap of nodes by priority. */
class ReadyQueue {
  private readonly heap: Node[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(node: Node): void {
    const heap = this.heap;
    heap.push(node);
    let i = heap.length - 1;
    const p = priorityOf(node);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (priorityOf(heap[parent]) >= p) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = node;
  }

  pop(): Node {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const p = priorityOf(last);
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && priorityOf(heap[right]) > priorityOf(heap[left]) ? right : left;
        if (priorityOf(heap[child]) <= p) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function countDependencies(roots: Node[]): Map<Node, number> {
  const dependencies = new Map<Node, number>();
  const seen = new Set<Node>(roots);
  const stack = roots.slice();
  while (stack.length) {
    const node = stack.pop()!;
    for (const [next] of node.next_functions) {
      if (next === null) continue;
      dependencies.set(next, (dependencies.get(next) ?? 0) + 1);
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return dependencies;
}

/** Nodes from which some capture target can be reached through their edges: the only ones autograd.grad runs. */
function nodesLeadingTo(roots: Node[], targets: Set<Node>): Set<Node> {
  const needed = new Set<Node>();
  const state = new Map<Node, boolean>();
  const visit = (start: Node): void => {
    const stack: [Node, number][] = [[start, 0]];
    state.set(start, false);
    while (stack.length) {
      const frame = stack[stack.length - 1];
      const [node, edge] = frame;
      if (edge < node.next_functions.length) {
        frame[1]++;
        const next = node.next_functions[edge][0];
        if (next !== null && !state.has(next)) {
          state.set(next, false);
          stack.push([next, 0]);
        }
        continue;
      }
      stack.pop();
      const leads = node.next_functions.some(([next]) => next !== null && (needed.has(next) || targets.has(next)));
      if (leads) needed.add(node);
      state.set(node, true);
    }
  };
  for (const root of roots) if (!state.has(root)) visit(root);
  return needed;
}

function accumulate(existing: Tensor | null, grad: Tensor): Tensor {
  return existing === null ? grad : existing.add(grad);
}

/** Runs a backward pass; returns the captured gradients (null where nothing arrived). */
export function runBackward(run: EngineRun): (Tensor | null)[] {
  return withGradMode(run.createGraph, () => execute(run));
}

function execute(run: EngineRun): (Tensor | null)[] {
  const rootNodes = run.roots.map((r) => r.node);
  const dependencies = countDependencies(rootNodes);
  const buffers = new Map<Node, (Tensor | null)[]>();
  const captures = run.captures;
  const captured: (Tensor | null)[] = captures ? captures.map(() => null) : [];
  const captureNodes = captures ? new Set(captures.map((c) => c.node)) : null;
  const needed = captureNodes ? nodesLeadingTo(rootNodes, captureNodes) : null;
  const queue = new ReadyQueue();

  const deliver = (node: Node, inputNr: number, grad: Tensor): void => {
    let buffer = buffers.get(node);
    if (buffer === undefined) {
      buffer = new Array<Tensor | null>(node.numOutputs).fill(null);
      buffers.set(node, buffer);
    }
    buffer[inputNr] = accumulate(buffer[inputNr], grad._dtype === node.gradDtype ? grad : grad.to(node.gradDtype));
  };
  for (const root of run.roots) {
    deliver(root.node, root.outputNr, root.grad);
  }
  for (const root of new Set(rootNodes)) {
    if (!dependencies.has(root)) queue.push(root);
  }

  while (queue.size) {
    const node = queue.pop();
    let grads = buffers.get(node)!;
    buffers.delete(node);
    grads = applyPreHooks(node, grads);
    if (captures) {
      captures.forEach((c, i) => {
        if (c.node === node && grads[c.inputNr] != null) captured[i] = accumulate(captured[i], grads[c.inputNr]!);
      });
    }
    const runs = needed === null || needed.has(node);
    if (!runs) {
      if (!run.retainGraph) node.release();
      continue;
    }
    let inputGrads = node.apply(grads);
    for (const hook of node.postHooks) {
      const replaced = hook(inputGrads, grads);
      if (replaced) inputGrads = replaced;
    }
    if (!run.retainGraph) node.release();
    const edges = node.next_functions;
    for (let i = 0; i < edges.length; i++) {
      const [next, inputNr] = edges[i];
      if (next === null) continue;
      const grad = inputGrads[i];
      if (grad != null) deliver(next, inputNr, grad);
      const remaining = dependencies.get(next)! - 1;
      dependencies.set(next, remaining);
      if (remaining === 0) {
        if (buffers.has(next)) queue.push(next);
        else skipUnreached(next, dependencies, buffers, queue, run.retainGraph);
      }
    }
  }
  return captured;
}

/** A node that received no gradient at all: its inputs receive none either, but their counts still drop. */
function skipUnreached(
  node: Node,
  dependencies: Map<Node, number>,
  buffers: Map<Node, (Tensor | null)[]>,
  queue: ReadyQueue,
  retainGraph: boolean,
): void {
  if (!retainGraph) node.release();
  for (const [next] of node.next_functions) {
    if (next === null) continue;
    const remaining = dependencies.get(next)! - 1;
    dependencies.set(next, remaining);
    if (remaining === 0) {
      if (buffers.has(next)) queue.push(next);
      else skipUnreached(next, dependencies, buffers, queue, retainGraph);
    }
  }
}

function applyPreHooks(node: Node, grads: (Tensor | null)[]): (Tensor | null)[] {
  if (node.tensorPreHooks.length === 0 && node.preHooks.length === 0 && node.retainGradHooks.length === 0) return grads;
  let current = grads.slice();
  for (const [outputNr, hook] of node.tensorPreHooks) {
    const grad = current[outputNr];
    if (grad == null) continue;
    const replaced = hook(grad);
    if (replaced) current[outputNr] = replaced;
  }
  for (const hook of node.preHooks) {
    const replaced = hook(current);
    if (replaced) current = replaced.slice();
  }
  for (const [outputNr, hook] of node.retainGradHooks) {
    const grad = current[outputNr];
    if (grad != null) hook(grad);
  }
  return current;
}
