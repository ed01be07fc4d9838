/** `torch.nn.functional`: the functional forms of the layers, activations and losses. */
import type { Tensor } from '../tensor.js';
import { NotImplementedError } from '../errors.js';
import * as A from '../ops/activation.js';
import * as I from '../ops/advanced-indexing.js';
import * as S from '../ops/shape.js';
import * as R from '../ops/sampling.js';
import type { Generator } from '../random.js';
import { arg, splitOptions } from '../ops/common.js';

export {
  mse_loss, l1_loss, nll_loss, cross_entropy, binary_cross_entropy, binary_cross_entropy_with_logits, type Reduction,
} from '../ops/loss.js';

/** Options naming a dimension, as Python's `dim=` keyword. */
export interface DimOptions {
  dim?: number | null;
}

/** `max(0, x)` elementwise (`inplace` overwrites the input). */
export function relu(input: Tensor, inplace: boolean | { inplace?: boolean } = false): Tensor {
  const overwrite = typeof inplace === 'boolean' ? inplace : inplace.inplace ?? false;
  return overwrite ? input.relu_() : input.relu();
}

/** `1 / (1 + exp(-x))` elementwise. */
export function sigmoid(input: Tensor): Tensor {
  return input.sigmoid();
}

/** Hyperbolic tangent elementwise. */
export function tanh(input: Tensor): Tensor {
  return input.tanh();
}

/** Rejects `inplace=True` for activations whose in-place forms (recorded under other grad_fn names) are not built. */
function outOfPlaceOnly(name: string, inplace: unknown): void {
  if (inplace === true) throw new NotImplementedError(`tsgrad: ${name} with inplace=True is not implemented; use the returned tensor`);
}

/** `x` where positive, `negative_slope * x` elsewhere: `leaky_relu(x, 0.2)` or `leaky_relu(x, {negative_slope: 0.2})`. */
export function leaky_relu(input: Tensor, ...args: (number | boolean | { negative_slope?: number; inplace?: boolean })[]): Tensor {
  const [positional, options] = splitOptions(args);
  outOfPlaceOnly('leaky_relu', arg(positional, options, 1, 'inplace', false));
  return A.leaky_relu(input, Number(arg(positional, options, 0, 'negative_slope', 0.01)));
}

/** `x` where positive, `alpha * (exp(x) - 1)` elsewhere: `elu(x)`, `elu(x, 0.5)` or `elu(x, {alpha: 0.5})`. */
export function elu(input: Tensor, ...args: (number | boolean | { alpha?: number; inplace?: boolean })[]): Tensor {
  const [positional, options] = splitOptions(args);
  outOfPlaceOnly('elu', arg(positional, options, 1, 'inplace', false));
  return A.elu(input, Number(arg(positional, options, 0, 'alpha', 1)));
}

/** GELU: `gelu(x)` (exact, with erf) or `gelu(x, {approximate: 'tanh'})`. */
export function gelu(input: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  return A.gelu(input, options.approximate ?? 'none');
}

/** `x * sigmoid(x)` (swish). */
export function silu(input: Tensor, inplace: boolean | { inplace?: boolean } = false): Tensor {
  outOfPlaceOnly('silu', typeof inplace === 'boolean' ? inplace : inplace.inplace);
  return A.silu(input);
}

/** `log(1 + exp(beta * x)) / beta`, linear where `beta * x > threshold`: `softplus(x)` or `softplus(x, {beta: 2})`. */
export function softplus(input: Tensor, ...args: (number | { beta?: number; threshold?: number })[]): Tensor {
  const [positional, options] = splitOptions(args);
  return A.softplus(input, Number(arg(positional, options, 0, 'beta', 1)), Number(arg(positional, options, 1, 'threshold', 20)));
}

/** Options of `F.dropout`. */
export interface DropoutOptions {
  p?: number;
  training?: boolean;
  inplace?: boolean;
  generator?: Generator;
}

/**
 * Zeroes each element with probability `p` and scales the rest by `1 / (1 - p)` while `training` (the default
 * here, as in PyTorch's functional form): `dropout(x, 0.2)`, `dropout(x, {p: 0.2, training: model.training})`.
 */
export function dropout(input: Tensor, ...args: (number | boolean | DropoutOptions)[]): Tensor {
  const [positional, options] = splitOptions(args);
  return R.dropout(
    input, Number(arg(positional, options, 0, 'p', 0.5)), Boolean(arg(positional, options, 1, 'training', true)),
    Boolean(arg(positional, options, 2, 'inplace', false)), R.generatorOf(options),
  );
}

/** Rows of `weight` looked up by the int64 `input` (`padding_idx`: a row that gets no gradient). */
export function embedding(input: Tensor, weight: Tensor, padding_idx: number | null | { padding_idx?: number | null } = null): Tensor {
  const padding = padding_idx === null || typeof padding_idx === 'number' ? padding_idx : padding_idx.padding_idx ?? null;
  return I.embedding(input, weight, padding === null || padding >= 0 ? padding : padding + weight.size(0));
}

/** Each int64 class index as a row of zeros with a one at the index: `one_hot(y)` or `one_hot(y, 10)`. */
export function one_hot(tensor: Tensor, num_classes: number | { num_classes?: number } = -1): Tensor {
  return S.one_hot(tensor, typeof num_classes === 'number' ? num_classes : num_classes.num_classes ?? -1);
}

/** PyTorch's legacy choice when no dim is given (with its deprecation warning): 0 for 0-, 1- and 3-d input, else 1. */
function implicitDim(name: string, input: Tensor): number {
  const dim = [0, 1, 3].includes(input.dim()) ? 0 : 1;
  process.emitWarning(
    `Implicit dimension choice for ${name} has been deprecated. Change the call to include dim=X as an argument.`,
    'UserWarning',
  );
  return dim;
}

function dimArgument(name: string, input: Tensor, dim: number | null | DimOptions): number {
  const given = dim === null || typeof dim === 'number' ? dim : dim.dim ?? null;
  return given ?? implicitDim(name, input);
}

/** Softmax along `dim`: `softmax(x, 1)` or `softmax(x, {dim: 1})`. */
export function softmax(input: Tensor, dim: number | null | DimOptions = null): Tensor {
  return input.softmax(dimArgument('softmax', input, dim));
}

/** Log of softmax along `dim`, computed stably. */
export function log_softmax(input: Tensor, dim: number | null | DimOptions = null): Tensor {
  return input.log_softmax(dimArgument('log_softmax', input, dim));
}

/**
 * `input @ weight.T + bias`, recorded as PyTorch's at::linear records it: one addmm for 2-d input (and for
 * contiguous 3-d input, flattened then viewed back), else matmul followed by an add.
 */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const dims = input.dim();
  if (bias !== null && dims === 2) return bias.addmm(input, weight.t());
  if (bias !== null && dims === 3 && input.is_contiguous()) {
    const [batch, rows, features] = input.shape;
    const output = bias.addmm(input.view(batch * rows, features), weight.t());
    return output.view(batch, rows, output.shape[1]);
  }
  const output = input.matmul(weight.t());
  return bias === null ? output : output.add(bias);
}
