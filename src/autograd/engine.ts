/** The backward engine: runs the graph from the roots in PyTorch's order, accumulating gradients. */
import { is_grad_enabled, set_grad_enabled } from './grad_mode.js';
import type { Node, NodeHooks } from './node.js';
import { beginCounting, dropGradient, exposeGradient, heldByEngineAlone, holdGradient } from './ownership.js';
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
    const p = node._priority;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]._priority >= p) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = node;
  }

  contains(node: Node): boolean {
    return this.heap.includes(node);
  }

  pop(): Node {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      const p = last._priority;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]._priority > heap[left]._priority ? right : left;
        if (heap[child]._priority <= p) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

let runCounter = 0;
/** Runs in progress, innermost last: a hook may start a backward pass while another one is running. */
const activeRuns: number[] = [];

/** A node's bookkeeping taken over by a nested run, restored when that run ends. */
type NodeState = [Node, number, number, (Tensor | null)[] | null];

/**
 * Marks every node reachable from the roots with this run and counts, per node, the edges leading to it.
 * Returns the states of nodes that an outer run in progress was using.
 */
function countDependencies(roots: Node[], run: number): NodeState[] {
  const displaced: NodeState[] = [];
  const stack: Node[] = [];
  for (const root of roots) if (root._run !== run) claim(root, run, stack, displaced);
  while (stack.length) {
    const edges = stack.pop()!._edges;
    for (let i = 0; i < edges.length; i++) {
      const next = edges[i][0];
      if (next === null) continue;
      if (next._run !== run) claim(next, run, stack, displaced);
      next._pending++;
    }
  }
  return displaced;
}

/** Marks `node` as visited by `run` with no pending input yet, and queues it for the walk. */
function claim(node: Node, run: number, stack: Node[], displaced: NodeState[]): void {
  if (activeRuns.length !== 0 && activeRuns.includes(node._run)) displaced.push([node, node._run, node._pending, node._buffer]);
  node._run = run;
  node._pending = 0;
  node._buffer = null;
  stack.push(node);
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
      if (edge < node._edges.length) {
        frame[1]++;
        const next = node._edges[edge][0];
        if (next !== null && !state.has(next)) {
          state.set(next, false);
          stack.push([next, 0]);
        }
        continue;
      }
      stack.pop();
      const leads = node._edges.some(([next]) => next !== null && (needed.has(next) || targets.has(next)));
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
  const previousMode = is_grad_enabled();
  set_grad_enabled(run.createGraph);
  try {
    return execute(run);
  } finally {
    set_grad_enabled(previousMode);
  }
}

function execute(run: EngineRun): (Tensor | null)[] {
  const id = ++runCounter;
  const rootNodes = new Array<Node>(run.roots.length);
  for (let i = 0; i < rootNodes.length; i++) rootNodes[i] = run.roots[i].node;
  const displaced = countDependencies(rootNodes, id);
  activeRuns.push(id);
  try {
    return executeMarked(run, rootNodes);
  } finally {
    activeRuns.pop();
    for (const [node, owner, pending, buffer] of displaced) {
      node._run = owner;
      node._pending = pending;
      node._buffer = buffer;
    }
  }
}

/** What a run without capture targets returns (never written to). */
const noCaptures: (Tensor | null)[] = [];

// Per node, this loop reads one field for all the hooks (null on most nodes) and a flag, and indexes its arrays:
// for-of over empty hook lists and an instanceof check made the scalar tutorial graph's backward ~10% slower.
function executeMarked(run: EngineRun, rootNodes: Node[]): (Tensor | null)[] {
  const captures = run.captures;
  const captured: (Tensor | null)[] = captures ? captures.map(() => null) : noCaptures;
  const needed = captures ? nodesLeadingTo(rootNodes, new Set(captures.map((c) => c.node))) : null;
  const queue = new ReadyQueue();
  // Gradient ownership is counted in a plain outermost backward.
  const counting = !captures && !run.createGraph && activeRuns.length === 1;
  if (counting) beginCounting();

  for (const root of run.roots) deliver(root.node, root.outputNr, root.grad, counting);
  for (const root of rootNodes) {
    if (root._pending === 0 && root._buffer !== null && !queued(root, queue)) queue.push(root);
  }

  while (queue.size) {
    const node = queue.pop();
    const buffered = node._buffer!;
    node._buffer = null;
    const hooks = node._hooks;
    const grads = hooks === null ? buffered : applyPreHooks(hooks, buffered);
    if (counting && grads !== buffered) exposeAll(buffered, grads);
    if (captures) {
      captures.forEach((c, i) => {
        if (c.node === node && grads[c.inputNr] != null) captured[i] = accumulate(captured[i], grads[c.inputNr]!);
      });
    }
    if (needed !== null && !needed.has(node)) {
      if (!run.retainGraph) node.release();
      continue;
    }
    // Only a leaf's AccumulateGrad adopts a gradient (other nodes pass on, at most, views the counts follow).
    node._ownedInput = counting && node.adoptsGradient && grads.length === 1 && grads[0] !== null && heldByEngineAlone(grads[0]._storage);
    let inputGrads = node.apply(grads);
    // A leaf that adopted the gradient holds it from now on.
    if (node._ownedInput) exposeGradient(grads[0]!._storage);
    if (hooks !== null) {
      for (const hook of hooks.post) {
        const replaced = hook(inputGrads, grads);
        if (counting) exposeAll(inputGrads, replaced ?? grads);
        if (replaced) inputGrads = replaced;
      }
    }
    if (!run.retainGraph) node.release();
    const edges = node._edges;
    for (let i = 0; i < edges.length; i++) {
      const edge = edges[i];
      const next = edge[0];
      if (next === null) continue;
      const grad = inputGrads[i];
      if (grad != null) deliver(next, edge[1], grad, counting);
      if (--next._pending === 0) {
        if (next._buffer !== null) queue.push(next);
        else skipUnreached(next, queue, run.retainGraph);
      }
    }
    if (counting) {
      for (let g = 0; g < buffered.length; g++) if (buffered[g] !== null) dropGradient(buffered[g]!._storage);
    }
  }
  return captured;
}

/** Marks the storages of gradients a hook was shown as no longer the engine's alone. */
function exposeAll(first: readonly (Tensor | null | undefined)[], second: readonly (Tensor | null | undefined)[]): void {
  for (const list of [first, second]) for (const grad of list) if (grad != null) exposeGradient(grad._storage);
}

function queued(node: Node, queue: ReadyQueue): boolean {
  return queue.contains(node);
}

/** Adds a gradient into the node's input buffer (cast to the dtype the node expects), counting its holders. */
function deliver(node: Node, inputNr: number, grad: Tensor, counting: boolean): void {
  let buffer = node._buffer;
  if (buffer === null) {
    buffer = node.numOutputs === 1 ? [null] : new Array<Tensor | null>(node.numOutputs).fill(null);
    node._buffer = buffer;
  }
  const cast = grad._dtype === node.gradDtype ? grad : grad.to(node.gradDtype);
  const previous = buffer[inputNr];
  const held = accumulate(previous, cast);
  buffer[inputNr] = held;
  if (counting) {
    if (previous !== null) dropGradient(previous._storage);
    holdGradient(held._storage);
  }
}

/** A node that received no gradient at all: its inputs receive none either, but their counts still drop. */
function skipUnreached(node: Node, queue: ReadyQueue, retainGraph: boolean): void {
  if (!retainGraph) node.release();
  for (const [next] of node._edges) {
    if (next === null) continue;
    if (--next._pending === 0) {
      if (next._buffer !== null) queue.push(next);
      else skipUnreached(next, queue, retainGraph);
    }
  }
}

function applyPreHooks(hooks: NodeHooks, grads: (Tensor | null)[]): (Tensor | null)[] {
  if (hooks.tensorPre.length === 0 && hooks.pre.length === 0 && hooks.retainGrad.length === 0) return grads;
  let current = grads.slice();
  for (const [outputNr, hook] of hooks.tensorPre) {
    const grad = current[outputNr];
    if (grad == null) continue;
    const replaced = hook(grad);
    if (replaced) current[outputNr] = replaced;
  }
  for (const hook of hooks.pre) {
    const replaced = hook(current);
    if (replaced) current = replaced.slice();
  }
  for (const [outputNr, hook] of hooks.retainGrad) {
    const grad = current[outputNr];
    if (grad != null) hook(grad);
  }
  return current;
}
