/**
 * The few members of the runtime's objects that the renderers read. Declared structurally so that viz depends
 * on behaviour, not on classes, and draws anything shaped like a tensor or an autograd node.
 */

/** A tensor as viz sees it. */
export interface TensorLike {
  readonly shape: readonly number[];
  readonly dtype: unknown;
  readonly requires_grad: boolean;
  readonly grad: TensorLike | null | undefined;
  readonly grad_fn: GradNodeLike | null | undefined;
  readonly is_leaf: boolean;
  /** Set on non-leaves that called `retain_grad()`. */
  readonly retains_grad?: boolean;
  tolist(): unknown;
  numel(): number;
  dim(): number;
}

/** An autograd node (a `grad_fn`) as viz sees it. */
export interface GradNodeLike {
  name(): string;
  readonly next_functions: ReadonlyArray<readonly [GradNodeLike | null | undefined, number]>;
  /** Set on `AccumulateGrad` nodes: the leaf they accumulate into. */
  readonly variable?: TensorLike;
}

/** Anything with PyTorch's `named_parameters()`: modules. */
export interface HasNamedParameters {
  named_parameters(): Iterable<readonly [string, TensorLike]>;
}

/** True when the value looks like a tensor. */
export function isTensorLike(value: unknown): value is TensorLike {
  return typeof value === 'object' && value !== null && 'shape' in value && typeof (value as TensorLike).numel === 'function' && 'requires_grad' in value;
}

/**
 * The tensor's `.grad`, read only where it can exist: reading a non-leaf's `.grad` makes PyTorch (and the
 * runtime) warn, so a non-leaf that does not retain its gradient is answered with null directly.
 */
export function storedGrad(tensor: TensorLike): TensorLike | null {
  if (!tensor.is_leaf && !tensor.retains_grad) return null;
  return tensor.grad ?? null;
}

/** True when the value has `named_parameters()`, as modules do. */
export function hasNamedParameters(value: unknown): value is HasNamedParameters {
  // Modules are callable (`model(x)`), so they may be functions rather than plain objects.
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as HasNamedParameters).named_parameters === 'function';
}

/** PyTorch's name for a dtype, e.g. `torch.float32`. */
export function dtypeName(dtype: unknown): string {
  const text = String(dtype);
  return text.startsWith('torch.') ? text : `torch.${text}`;
}

/** A shape in the compact form torchviz writes on nodes: `(2, 3)`. */
export function shapeTuple(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}
