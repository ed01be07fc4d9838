/**
 * `torch.viz.graph`: the autograd graph behind a tensor as an SVG, drawn in the style of torchviz's `make_dot`.
 * The layout engine is asynchronous, so the returned object's display method returns a promise (the kernel's
 * display layer awaits it) and `await graph.svg()` gives the markup directly.
 */

import { dotAttributes, renderDotToSvg } from './graphviz.js';
import type { Tensor } from '../tensor.js';
import { DISPLAY, type MimeBundle } from './mime.js';
import { parameterNames, type ParameterSource } from './naming.js';
import { traceBackward, type BackwardTrace } from './backwardTrace.js';
import { type GradNodeLike, type TensorLike, shapeTuple, storedGrad } from './runtimeShapes.js';
import { savedTensors } from './savedTensors.js';
import { gradientSummary } from './valueText.js';

/** Options of `torch.viz.graph`, named as torchviz names them. */
export interface GraphOptions {
  /** Names for leaf tensors: a record name → tensor, or a module (its `named_parameters()`). */
  params?: ParameterSource;
  /** Also draw the tensors each node saved for backward (orange). */
  show_saved?: boolean;
  /** Write each leaf's `.grad`, and the gradient travelling along each edge when it can be traced. */
  show_grads?: boolean;
}

const FILL = {
  leaf: 'lightblue',
  output: 'darkolivegreen1',
  saved: 'orange',
  operation: 'lightgrey',
} as const;

// Courier: Graphviz knows its metrics (boxes fit their labels) and writes it as `Courier,monospace` in the SVG.
const GRAPH_ATTRIBUTES = 'graph [bgcolor="white", size="12,12", ranksep="0.1", pad="0.1"];';
const NODE_ATTRIBUTES =
  'node [style="filled", shape="box", fontsize="10", height="0.2", fontname="Courier", fontcolor="black", color="black"];';
const EDGE_ATTRIBUTES = 'edge [color="black", fontcolor="#333333", fontsize="9", fontname="Courier"];';

/** The autograd graph behind one or more tensors, ready to lay out. */
export class ComputationGraph {
  /** The graph in Graphviz's DOT language. */
  readonly dot: string;
  /** How many boxes the drawing has (tensors and autograd nodes). */
  readonly nodeCount: number;

  /** Builds the DOT description; prefer `torch.viz.graph(...)`. */
  constructor(dot: string, nodeCount: number) {
    this.dot = dot;
    this.nodeCount = nodeCount;
  }

  /** Lays the graph out and returns a self-contained SVG document. */
  svg(): Promise<string> {
    return renderDotToSvg(this.dot);
  }

  /** A one-line description, e.g. `<graph: 7 nodes>`. */
  toString(): string {
    return `<graph: ${this.nodeCount} node${this.nodeCount === 1 ? '' : 's'}>`;
  }

  /** The display bundle, SVG plus the one-line description; asynchronous because layout is. */
  async [DISPLAY](): Promise<MimeBundle> {
    return { 'text/plain': this.toString(), 'image/svg+xml': await this.svg() };
  }
}

/** Draws the autograd graph behind `output` (a tensor or several) as torchviz's `make_dot` would. */
export function graph(output: Tensor | readonly Tensor[], graphOptions: GraphOptions = {}): ComputationGraph {
  const outputs: readonly Tensor[] = Array.isArray(output) ? output : [output as Tensor];
  const names = parameterNames(graphOptions.params);
  const trace = graphOptions.show_grads ? tryTrace(outputs) : undefined;
  return new GraphWriter(names, graphOptions, trace).write(outputs);
}

function tryTrace(outputs: readonly Tensor[]): BackwardTrace | undefined {
  if (outputs.length !== 1) return undefined;
  try {
    return traceBackward(outputs[0]!);
  } catch {
    // Gradients on edges are a bonus: a freed graph or a non-scalar output still draws, with leaf grads only.
    return undefined;
  }
}

class GraphWriter {
  private readonly ids = new Map<object, string>();
  private readonly lines: string[] = [];
  private readonly drawn = new Set<GradNodeLike>();
  private nodeCount = 0;

  constructor(
    private readonly names: Map<TensorLike, string>,
    private readonly graphOptions: GraphOptions,
    private readonly trace: BackwardTrace | undefined,
  ) {}

  write(outputs: readonly TensorLike[]): ComputationGraph {
    for (const output of outputs) this.addOutput(output);
    const dot = ['digraph {', GRAPH_ATTRIBUTES, NODE_ATTRIBUTES, EDGE_ATTRIBUTES, ...this.lines, '}'].join('\n');
    return new ComputationGraph(dot, this.nodeCount);
  }

  private idOf(object: object): { id: string; isNew: boolean } {
    const known = this.ids.get(object);
    if (known !== undefined) return { id: known, isNew: false };
    const id = `n${this.ids.size}`;
    this.ids.set(object, id);
    return { id, isNew: true };
  }

  private box(id: string, label: string, fillcolor: string): void {
    this.nodeCount += 1;
    this.lines.push(`${id}${dotAttributes({ label, fillcolor })};`);
  }

  private edge(from: string, to: string, attributes: Record<string, string> = {}): void {
    this.lines.push(`${from} -> ${to}${dotAttributes(attributes)};`);
  }

  private tensorLabel(tensor: TensorLike, name: string | undefined): string {
    const lines = [name ?? this.names.get(tensor), shapeTuple(tensor.shape)];
    const gradient = this.graphOptions.show_grads ? storedGrad(tensor) : null;
    if (gradient) lines.push(`grad: ${gradientSummary(gradient)}`);
    return lines.filter((line) => line !== undefined && line !== '').join('\n');
  }

  private addOutput(output: TensorLike): void {
    const { id, isNew } = this.idOf(output);
    if (!isNew) return;
    this.box(id, this.tensorLabel(output, undefined), output.grad_fn ? FILL.output : FILL.leaf);
    if (output.grad_fn) {
      const fnId = this.addOperations(output.grad_fn);
      const seed = this.trace?.seed;
      this.edge(fnId, id, seed ? { label: ` ${gradientSummary(seed)}` } : {});
    }
  }

  /** Adds every node reachable from `root` once, iteratively so that deep graphs cannot overflow the stack. */
  private addOperations(root: GradNodeLike): string {
    const rootId = this.idOf(root).id;
    const pending: GradNodeLike[] = [root];
    while (pending.length > 0) {
      const node = pending.pop()!;
      if (this.drawn.has(node)) continue;
      this.drawn.add(node);
      const nodeId = this.idOf(node).id;
      // torchviz labels nodes by class name, which for AccumulateGrad is shorter than PyTorch's name()
      // (`torch::autograd::AccumulateGrad`).
      this.box(nodeId, node.variable ? 'AccumulateGrad' : node.name(), FILL.operation);
      if (node.variable) this.addLeafOf(node.variable, nodeId);
      if (this.graphOptions.show_saved) this.addSaved(node, nodeId);
      const sent = this.trace?.byNode.get(node as never)?.gradInputs;
      node.next_functions.forEach(([next], index) => {
        if (!next) return;
        const gradient = sent?.[index];
        this.edge(this.idOf(next).id, nodeId, gradient ? { label: ` ${gradientSummary(gradient)}` } : {});
        if (!this.drawn.has(next)) pending.push(next);
      });
    }
    return rootId;
  }

  private addLeafOf(variable: TensorLike, accumulatorId: string): void {
    const { id, isNew } = this.idOf(variable);
    if (isNew) this.box(id, this.tensorLabel(variable, undefined), FILL.leaf);
    this.edge(id, accumulatorId);
  }

  private addSaved(node: GradNodeLike, nodeId: string): void {
    for (const [attribute, tensor] of savedTensors(node)) {
      const { id, isNew } = this.idOf(tensor);
      if (isNew) this.box(id, this.tensorLabel(tensor, attribute), FILL.saved);
      this.edge(nodeId, id, { dir: 'none' });
    }
  }
}
