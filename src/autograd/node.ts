/** Autograd graph nodes (`grad_fn`): the op nodes recorded by forward ops, and AccumulateGrad for leaves. */
import { RuntimeError } from '../errors.js';
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** An edge to the node that receives a gradient: `[node, inputNr]`, or `[null, 0]` for inputs needing none. */
export type Edge = [Node | null, number];

/** A tensor hook: sees the gradient, may return a replacement. */
export type TensorHook = (grad: Tensor) => Tensor | void | undefined;
/** A node pre-hook: sees the gradients arriving at the node, may return replacements. */
export type PreHook = (gradOutputs: (Tensor | null)[]) => (Tensor | null)[] | void | undefined;
/** A node post-hook: sees the gradients the node computed for its inputs and those that arrived. */
export type PostHook = (
  gradInputs: (Tensor | null)[],
  gradOutputs: (Tensor | null)[],
) => (Tensor | null)[] | void | undefined;

/** Handle returned by `register_hook` and friends, as PyTorch's RemovableHandle. */
export class RemovableHandle {
  /** @internal */
  constructor(private readonly detach: () => void) {}

  /** Unregisters the hook. */
  remove(): void {
    this.detach();
  }
}

/** Python's repr of next_functions: `((<AccumulateGrad object at 0x...>, 0), (None, 0))`. */
function edgesRepr(edges: readonly Edge[]): string {
  const items = edges.map(([node, nr]) => `(${node === null ? 'None' : String(node)}, ${nr})`);
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** The hooks registered on one node; made on the first registration (most nodes never have any). */
export class NodeHooks {
  /** Hooks of tensors whose gradient flows into the node: `[outputNr, hook]`. */
  readonly tensorPre: [number, TensorHook][] = [];
  /** `retain_grad` hooks, run after the other pre-hooks. */
  readonly retainGrad: [number, TensorHook][] = [];
  readonly pre: PreHook[] = [];
  readonly post: PostHook[] = [];
}

let nextSequenceNr = 0;
let nextAddress = 0;
const addressBase = 0x7f3a1c400000;

function addToList<T>(list: T[], item: T): RemovableHandle {
  list.push(item);
  return new RemovableHandle(() => {
    const at = list.indexOf(item);
    if (at >= 0) list.splice(at, 1);
  });
}

/** A node of the backward graph, as PyTorch's `torch.autograd.graph.Node`. */
export abstract class Node {
  /** Creation order; the engine runs ready nodes with the highest number first, as PyTorch does. */
  readonly sequenceNr: number = nextSequenceNr++;
  /** @internal The engine's ordering key: the sequence number, or the largest one for AccumulateGrad. */
  readonly _priority: number;
  /** @internal The registered hooks, null while there are none (the engine then checks nothing else). */
  _hooks: NodeHooks | null = null;
  private address = -1;
  /** @internal Engine bookkeeping: the run that last visited this node, its pending inputs and buffer. */
  _run = 0;
  /** @internal */
  _pending = 0;
  /** @internal */
  _buffer: (Tensor | null)[] | null = null;
  /** @internal Whether the gradient in the buffer is owned by the engine alone (see Tensor._accumulateGrad). */
  _ownedInput = false;
  /** @internal Whether this node may keep the gradient it receives (AccumulateGrad, as a leaf's `.grad`). */
  readonly adoptsGradient: boolean = false;

  /** @internal */
  constructor(
    /** @internal For each input of the forward op, where its gradient goes (read through `next_functions`). */
    readonly _edges: Edge[],
    /** @internal Dtype of the gradient this node receives (its forward output's dtype). */
    readonly gradDtype: DType,
    /** AccumulateGrad nodes run as soon as they are ready, like PyTorch's (which have the largest sequence number). */
    runsFirst = false,
    /** Number of gradients the node receives (outputs of the forward op). */
    readonly numOutputs = 1,
  ) {
    this._priority = runsFirst ? Number.MAX_SAFE_INTEGER : this.sequenceNr;
  }

  /** @internal The node's hooks (made on first access). */
  get hooks(): NodeHooks {
    return (this._hooks ??= new NodeHooks());
  }

  /** @internal `retain_grad` hooks, run after the other pre-hooks. */
  get retainGradHooks(): [number, TensorHook][] {
    return this.hooks.retainGrad;
  }

  /** For each input of the forward op, `[node, inputNr]` receiving its gradient (`[null, 0]` for none); prints as Python's tuple. */
  get next_functions(): Edge[] {
    if (!Object.hasOwn(this._edges, inspectSymbol)) {
      Object.defineProperty(this._edges, inspectSymbol, { value: () => edgesRepr(this._edges) });
    }
    return this._edges;
  }

  /** PyTorch's `name()`, e.g. `MulBackward0`. */
  abstract name(): string;

  /** Python's `type(node).__name__`: `name()` without a C++ namespace (`torch::autograd::CopySlices` → `CopySlices`). */
  get typeName(): string {
    const name = this.name();
    const namespaceEnd = name.lastIndexOf('::');
    return namespaceEnd < 0 ? name : name.slice(namespaceEnd + 2);
  }

  /** @internal Computes the gradients for the inputs from those of the outputs. */
  abstract apply(gradOutputs: (Tensor | null)[]): (Tensor | null)[];

  /** @internal Frees saved tensors after a backward pass without retain_graph. */
  release(): void {}

  /** `register_hook(fn(grad_inputs, grad_outputs))`: runs after the node computed its input gradients. */
  register_hook(fn: PostHook): RemovableHandle {
    return addToList(this.hooks.post, fn);
  }

  /** `register_prehook(fn(grad_outputs))`: runs before the node, with the gradients arriving at it. */
  register_prehook(fn: PreHook): RemovableHandle {
    return addToList(this.hooks.pre, fn);
  }

  /** @internal Registers a tensor hook for the gradient of output `outputNr`. */
  addTensorHook(outputNr: number, fn: TensorHook): RemovableHandle {
    return addToList(this.hooks.tensorPre, [outputNr, fn]);
  }

  /** `<MulBackward0 object at 0x7f...>`, with an address stable for this node. */
  toString(): string {
    if (this.address < 0) this.address = addressBase + 0x40 * nextAddress++;
    return `<${this.typeName} object at 0x${this.address.toString(16)}>`;
  }

  /** Node's inspect prints the Python repr. */
  [inspectSymbol](): string {
    return this.toString();
  }
}

/** A differentiable op's entry in the table of derivatives. */
export interface Derivative<Attrs = unknown> {
  /** The grad_fn class name PyTorch 1.13 records, e.g. `MulBackward0`. */
  readonly name: string;
  /** Names of the op's tensor inputs, in `next_functions` order. */
  readonly inputs: readonly string[];
  /** Readable local derivative per input (same order), shown by the backward-steps visualisation. */
  readonly formulas: readonly string[];
  /** Computes each input's gradient (null where not needed) from the output gradient and saved tensors. */
  backward(grad: Tensor, saved: Tensor[], attrs: Attrs, node: OpNode<Attrs>): (Tensor | null)[];
  /** For ops with several outputs (unbind, split): joins the outputs' gradients (null: none arrived) into one. */
  readonly combine?: (grads: (Tensor | null)[], attrs: Attrs) => Tensor;
  /** Saved-tensor slot of each name a `_saved_<name>` attribute answers. */
  readonly savedSlots: ReadonlyMap<string, number>;
  /** Attribute names answered from `attrs` (when no tensor was saved under that name). */
  readonly scalarNames: ReadonlySet<string>;
}

/**
 * Defines a derivative from `{name, formulas: {input: formula}, backward}` (reads like derivatives.yaml).
 * `saved` names the saved-tensor slots and `scalars` the attributes, as PyTorch names them: its nodes then
 * answer `_saved_self`, `_saved_other`, `_saved_alpha`... (a name in both falls back to the attribute).
 */
export function derivative<Attrs = unknown>(spec: {
  name: string;
  formulas: Record<string, string>;
  backward: Derivative<Attrs>['backward'];
  combine?: Derivative<Attrs>['combine'];
  saved?: readonly string[];
  scalars?: readonly (keyof Attrs & string)[];
}): Derivative<Attrs> {
  const savedSlots = new Map((spec.saved ?? []).map((name, i) => [name, i] as [string, number]));
  const scalarNames = new Set<string>(spec.scalars ?? []);
  for (const name of [...savedSlots.keys(), ...scalarNames]) defineSavedAttribute(name);
  return {
    name: spec.name,
    inputs: Object.keys(spec.formulas),
    formulas: Object.values(spec.formulas),
    backward: spec.backward,
    combine: spec.combine,
    savedSlots,
    scalarNames,
  };
}

const savedAttributes = new Set<string>();

/**
 * Defines `_saved_<name>` once on OpNode's prototype (one shared node class keeps the engine's property
 * accesses monomorphic); a node whose op saved nothing under that name answers undefined.
 */
function defineSavedAttribute(name: string): void {
  if (savedAttributes.has(name)) return;
  savedAttributes.add(name);
  Object.defineProperty(OpNode.prototype, `_saved_${name}`, {
    get(this: OpNode): Tensor | number | null | undefined {
      const slot = this.derivative.savedSlots.get(name);
      const scalar = this.derivative.scalarNames.has(name);
      if (slot === undefined && !scalar) return undefined;
      const tensor = slot === undefined ? null : this.saved_tensors[slot] ?? null;
      if (tensor !== null || !scalar) return tensor;
      return (this.attrs as Record<string, number>)[name] ?? null;
    },
  });
}

/** The grad_fn of a recorded op: holds the saved tensors (checked against in-place changes) and attributes. */
export class OpNode<Attrs = unknown> extends Node {
  private saved: (Tensor | null)[] | null;
  private readonly savedVersions: number[];

  /** @internal */
  constructor(
    /** The table entry: name, formulas, backward. */
    readonly derivative: Derivative<Attrs>,
    edges: Edge[],
    saved: (Tensor | null)[],
    /** Non-tensor values the backward needs (dims, shapes, scalars). */
    readonly attrs: Attrs,
    private readonly output: Tensor,
    outputCount = 1,
  ) {
    super(edges, output._dtype, false, outputCount);
    this.saved = saved;
    const versions = new Array<number>(saved.length);
    for (let i = 0; i < saved.length; i++) versions[i] = saved[i] === null ? 0 : saved[i]!._versionNumber;
    this.savedVersions = versions;
  }

  override name(): string {
    return this.derivative.name;
  }

  /** Whether the gradient of input `i` is needed (its edge leads somewhere). */
  needs(i: number): boolean {
    return this._edges[i]?.[0] != null;
  }

  override apply(gradOutputs: (Tensor | null)[]): (Tensor | null)[] {
    const combine = this.derivative.combine;
    const grad = combine && gradOutputs.some((g) => g !== null) ? combine(gradOutputs, this.attrs) : gradOutputs[0];
    if (grad === null) return this._edges.map(() => null);
    return this.derivative.backward(grad, this.unpackSaved(), this.attrs, this);
  }

  override release(): void {
    // Nodes that saved no tensor (e.g. `x * 2`, which keeps the scalar) can run again, as in PyTorch.
    const saved = this.saved;
    if (saved === null) return;
    for (let i = 0; i < saved.length; i++) {
      if (saved[i] !== null) {
        this.saved = null;
        return;
      }
    }
  }

  /** The tensors saved for the backward (null where a slot was not needed), as PyTorch's `_saved_*` attributes. */
  get saved_tensors(): (Tensor | null)[] {
    this.unpackSaved();
    return this.saved!.slice();
  }

  /** The saved tensors, after checking none was freed or modified in place since the forward pass. */
  unpackSaved(): Tensor[] {
    const saved = this.saved;
    if (saved === null) {
      throw new RuntimeError(
        'Trying to backward through the graph a second time (or directly access saved tensors after they ' +
          'have already been freed). Saved intermediate values of the graph are freed when you call .backward() ' +
          'or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second ' +
          'time or if you need to access saved tensors after calling backward.',
      );
    }
    for (let i = 0; i < saved.length; i++) {
      const tensor = saved[i];
      if (tensor !== null && tensor._versionNumber !== this.savedVersions[i]) throw this.modifiedError(tensor, this.savedVersions[i]);
    }
    return saved as Tensor[];
  }

  private modifiedError(tensor: Tensor, expected: number): RuntimeError {
    const description = `[${tensor.dtype.legacyTypeName} [${tensor._shape.join(', ')}]]`;
    const producer = tensor === this.output ? this : tensor._gradFn;
    const origin = producer ? `, which is output ${tensor === this.output ? 0 : tensor._outputNr} of ${producer.name()},` : '';
    return new RuntimeError(
      'one of the variables needed for gradient computation has been modified by an inplace operation: ' +
        `${description}${origin} is at version ${tensor._versionNumber}; expected version ${expected} instead. ` +
        'Hint: enable anomaly detection to find the operation that failed to compute its gradient, with ' +
        'torch.autograd.set_detect_anomaly(True).',
    );
  }
}

/** The node that adds an arriving gradient into a leaf tensor's `.grad`. */
export class AccumulateGrad extends Node {
  /** @internal */
  constructor(
    /** The leaf tensor whose `.grad` this node fills. */
    readonly variable: Tensor,
  ) {
    super([], variable._dtype, true);
  }

  override readonly adoptsGradient = true;

  /** @internal The edge `[this, 0]` leading here, shared by every op that uses the leaf. */
  readonly edge: Edge = [this, 0];

  override name(): string {
    return 'torch::autograd::AccumulateGrad';
  }

  override apply(gradOutputs: (Tensor | null)[]): (Tensor | null)[] {
    const grad = gradOutputs[0];
    if (grad !== null) this.variable._accumulateGrad(grad, this._ownedInput);
    return [];
  }
}
