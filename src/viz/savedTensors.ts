/** The tensors an autograd node saved for backward, read through PyTorch's `_saved_<name>` attributes. */

import { isTensorLike, type TensorLike } from './runtimeShapes.js';

const SAVED_PREFIX = '_saved_';

/** Names of the node's `_saved_*` attributes (own or inherited), in declaration order. */
function savedAttributeNames(node: object): string[] {
  const names = new Set<string>();
  for (let object: object | null = node; object !== null && object !== Object.prototype; object = Object.getPrototypeOf(object)) {
    for (const name of Object.getOwnPropertyNames(object)) if (name.startsWith(SAVED_PREFIX)) names.add(name);
  }
  return [...names];
}

function readSaved(node: object, attribute: string): unknown {
  try {
    return (node as Record<string, unknown>)[attribute];
  } catch {
    // Reading a saved tensor after the graph was freed throws, as in PyTorch: it is simply not shown.
    return undefined;
  }
}

/** The saved tensors still available, as `[name, tensor]` pairs named as formulas name them (`['self', t]`). */
export function savedTensors(node: object): [string, TensorLike][] {
  return savedAttributeNames(node).flatMap((attribute) => {
    const value = readSaved(node, attribute);
    return isTensorLike(value) ? [[attribute.slice(SAVED_PREFIX.length), value] as [string, TensorLike]] : [];
  });
}

/** What the node saved under the name a formula uses (`self`, `other`, `alpha`...): a tensor, a number, or nothing. */
export function savedValueNamed(node: object, name: string): TensorLike | number | undefined {
  const value = readSaved(node, SAVED_PREFIX + name);
  return isTensorLike(value) || typeof value === 'number' ? value : undefined;
}
