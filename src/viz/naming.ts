/** Names for tensors, taken from a record name → tensor or from a module's `named_parameters()`. */

import { hasNamedParameters, type HasNamedParameters, type TensorLike } from './runtimeShapes.js';

/** Where names come from: a record name → tensor, or a module. */
export type ParameterSource = Readonly<Record<string, TensorLike>> | HasNamedParameters;

/** The named tensors of a source, in its order. */
export function namedTensors(source: ParameterSource | undefined): [string, TensorLike][] {
  if (source === undefined) return [];
  if (hasNamedParameters(source)) return [...source.named_parameters()].map(([name, tensor]) => [name, tensor]);
  return Object.entries(source);
}

/** A lookup from tensor to its name (the first name wins when a tensor appears twice, as with tied weights). */
export function parameterNames(source: ParameterSource | undefined): Map<TensorLike, string> {
  const names = new Map<TensorLike, string>();
  for (const [name, tensor] of namedTensors(source)) if (!names.has(tensor)) names.set(tensor, name);
  return names;
}
