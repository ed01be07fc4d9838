/**
 * `torch.viz.backward_steps`: the chain rule as the engine applies it, one row per node in execution order —
 * the gradient arriving, the local derivative applied (the op's formula with its saved values when small),
 * and the gradients sent to each input.
 */

import { AccumulateGrad, OpNode } from '../autograd/node.js';
import type { Tensor } from '../tensor.js';
import { traceBackward, type BackwardStep } from './backwardTrace.js';
import { alignColumns, escapeHtml, htmlTable, RenderedView } from './mime.js';
import { parameterNames, type ParameterSource } from './naming.js';
import { options } from './options.js';
import { savedValueNamed } from './savedTensors.js';
import { shapeTuple, type TensorLike } from './runtimeShapes.js';
import { inlineValues, normText } from './valueText.js';

/** Options of `torch.viz.backward_steps`. */
export interface BackwardStepsOptions {
  /** Names for the leaves: a record name → tensor, or a module. */
  params?: ParameterSource;
  /** The gradient to start from, for a non-scalar output (as `backward(gradient)`). */
  gradient?: Tensor;
}

/** A table entry's readable parts. */
export interface StepRow {
  step: number;
  node: string;
  received: string;
  derivatives: string[];
  sent: string[];
}

/** Lays out the backward pass from `output` without changing any `.grad` or freeing the graph. */
export function backward_steps(output: Tensor, stepOptions: BackwardStepsOptions = {}): RenderedView {
  const { seed, rows } = traceRows(output, stepOptions);
  const header = ['step', 'node', 'grad in', 'local derivative', 'grad out'];
  const textRows = rows.map((row) => [String(row.step), row.node, row.received, row.derivatives.join('; '), row.sent.join('; ')]);
  const htmlRows = rows.map((row) => [
    escapeHtml(String(row.step)),
    escapeHtml(row.node),
    escapeHtml(row.received),
    row.derivatives.map(escapeHtml).join('<br/>'),
    row.sent.map(escapeHtml).join('<br/>'),
  ]);
  const caption = `backward from the ${shapeTuple(output.shape)} output, starting with grad = ${gradientText(seed)}`;
  return new RenderedView({
    'text/plain': `${caption}\n${alignColumns([header, ...textRows])}`,
    'text/html': htmlTable(header, htmlRows, caption),
  });
}

/** The rows of the backward-steps table, for callers that lay them out themselves. */
export function backwardStepRows(output: Tensor, stepOptions: BackwardStepsOptions = {}): StepRow[] {
  return traceRows(output, stepOptions).rows;
}

function traceRows(output: Tensor, stepOptions: BackwardStepsOptions): { seed: Tensor; rows: StepRow[] } {
  const trace = traceBackward(output, stepOptions.gradient);
  const names = new LeafNames(parameterNames(stepOptions.params));
  return { seed: trace.seed, rows: trace.steps.map((step, index) => describeStep(step, index + 1, names)) };
}

/** Names leaves by the names given, else `leaf0`, `leaf1`... in the order they first appear. */
class LeafNames {
  private readonly unnamed = new Map<TensorLike, string>();

  constructor(private readonly given: Map<TensorLike, string>) {}

  of(leaf: TensorLike): string {
    const name = this.given.get(leaf) ?? this.unnamed.get(leaf);
    if (name !== undefined) return name;
    const fresh = `leaf${this.unnamed.size}`;
    this.unnamed.set(leaf, fresh);
    return fresh;
  }
}

function describeStep(step: BackwardStep, number: number, names: LeafNames): StepRow {
  const received = step.gradOutputs.map((gradient) => (gradient ? gradientText(gradient) : 'None')).join(', ');
  if (step.node instanceof AccumulateGrad) {
    const name = names.of(step.node.variable);
    return { step: number, node: `AccumulateGrad (${name})`, received, derivatives: [`${name}.grad += grad`], sent: [`${name}.grad += ${received}`] };
  }
  const derivative = step.node instanceof OpNode ? step.node.derivative : undefined;
  const derivatives: string[] = [];
  const sent: string[] = [];
  step.node.next_functions.forEach(([next], index) => {
    if (next === null) return;
    const formula = derivative?.formulas[index];
    if (formula !== undefined) derivatives.push(`${derivative!.inputs[index]}: ${withSavedValues(formula, step.node)}`);
    const target = next instanceof AccumulateGrad ? names.of(next.variable) : next.name();
    const gradient = step.gradInputs[index];
    sent.push(`→ ${target}: ${gradient ? gradientText(gradient) : 'None'}`);
  });
  return { step: number, node: step.node.name(), received, derivatives, sent };
}

/**
 * The formula with each saved value it names written out when small: `grad * self` → `grad * 5` for a
 * MulBackward0 that saved self = 5; scalars (`alpha`, `exponent`) too.
 */
export function withSavedValues(formula: string, node: object): string {
  return formula.replace(/\b[A-Za-z_][A-Za-z0-9_]*\b/g, (identifier) => {
    if (identifier === 'grad') return identifier;
    const saved = savedValueNamed(node, identifier);
    if (typeof saved === 'number') return String(saved);
    return saved && saved.numel() <= options.inlineValueLimit ? inlineValues(saved) : identifier;
  });
}

/** Small gradients by value, larger ones by shape and norm: `80.`, `(3, 4) ‖g‖=2.5000`. */
function gradientText(gradient: TensorLike): string {
  return gradient.numel() <= options.inlineValueLimit ? inlineValues(gradient) : `${shapeTuple(gradient.shape)} ‖g‖=${normText(gradient)}`;
}
