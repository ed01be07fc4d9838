/**
 * Ops that draw from a generator (the default one unless a `generator` option names another): sampling
 * indices (multinomial), coin flips (bernoulli), dropout, and the in-place fills. The draws themselves are
 * random.ts's, bit for bit PyTorch's.
 */
import { float32, float64, int64 } from '../dtype.js';
import { RuntimeError, ValueError } from '../errors.js';
import { default_generator, type Generator } from '../random.js';
import { contiguousStrides } from '../kernels/strided.js';
import { Tensor } from '../tensor.js';
import { emptyTensor, type Options } from './common.js';
import { convert, div, fill_random, mul } from './pointwise.js';

/** The `generator` keyword, or the default generator. */
export function generatorOf(options: Options | undefined): Generator {
  return (options?.generator as Generator | undefined) ?? default_generator;
}

/** Fills with samples of N(mean, std). */
export function normal_<T extends Tensor>(self: T, mean: number, std: number, generator: Generator): T {
  return fill_random(self, (n, dtype, contiguous) => generator.normal(n, dtype, mean, std, contiguous));
}

/** Fills with samples of U(from, to). */
export function uniform_<T extends Tensor>(self: T, from: number, to: number, generator: Generator): T {
  return fill_random(self, (n, dtype) => generator.uniform(n, dtype, from, to));
}

/** Fills with 1 where a coin of probability `p` comes up, else 0. */
export function bernoulli_<T extends Tensor>(self: T, p: number, generator: Generator): T {
  return fill_random(self, (n) => generator.bernoulli(n, p));
}

/** Fills with samples of the exponential distribution of rate `lambd`. */
export function exponential_<T extends Tensor>(self: T, lambd: number, generator: Generator): T {
  return fill_random(self, (n, dtype) => generator.exponential(n, dtype, lambd));
}

/** `torch.bernoulli(probs)`: 1 or 0 per element, drawn with the element's probability, in `probs`' dtype. */
export function bernoulli(probs: Tensor, generator: Generator): Tensor {
  const values = convert(probs, probs._dtype === float64 ? float64 : float32)._buffer as Float32Array | Float64Array;
  const flips = Tensor._make(generator.bernoulli(values.length, values), probs._shape.slice(), contiguousStrides(probs._shape), 0, float32);
  return convert(flips, probs._dtype);
}

/** `torch.multinomial(input, num_samples, replacement)`: category indices drawn per row of weights (int64). */
export function multinomial(input: Tensor, numSamples: number, replacement: boolean, generator: Generator): Tensor {
  const dims = input._shape.length;
  if (dims < 1 || dims > 2) throw new RuntimeError('prob_dist must be 1 or 2 dim');
  if (!input._dtype.is_floating_point) {
    throw new RuntimeError(`multinomial only supports floating-point dtypes for input, got: ${input._dtype === int64 ? 'Long' : 'Bool'}`);
  }
  const categories = input._shape[dims - 1];
  if (numSamples <= 0) throw new RuntimeError('cannot sample n_sample <= 0 samples');
  if (!replacement && numSamples > categories) {
    throw new RuntimeError('cannot sample n_sample > prob_dist.size(-1) samples without replacement');
  }
  const weights = convert(input, input._dtype)._buffer as Float32Array | Float64Array;
  const drawn = generator.multinomial(weights, categories, numSamples, replacement);
  const shape = dims === 1 ? [numSamples] : [input._shape[0], numSamples];
  return Tensor._make(drawn, shape, dims === 1 ? [1] : [numSamples, 1], 0, int64);
}

/**
 * `F.dropout(input, p, training)`, as PyTorch 1.13 composes it: the input itself when nothing is dropped (p = 0,
 * not training), else `input * mask / (1 - p)` with the mask drawn by bernoulli_(1 - p) (MulBackward0).
 */
export function dropout(input: Tensor, p: number, training: boolean, inplace: boolean, generator: Generator): Tensor {
  checkDropoutProbability(p);
  if (p === 0 || !training || input.numel() === 0) return input;
  const noise = p === 1 ? emptyTensor([], input._dtype) : div(bernoulli_(emptyTensor(input._shape, input._dtype), 1 - p, generator), 1 - p);
  return inplace ? input.mul_(noise) : mul(input, noise);
}

/** PyTorch's check of a dropout probability (nn.Dropout makes it when built, F.dropout when called). */
export function checkDropoutProbability(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
}
