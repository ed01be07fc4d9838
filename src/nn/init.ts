/** `torch.nn.init`: in-place initialisations drawing from the default generator, with PyTorch's gain and fan arithmetic. */
import { ValueError } from '../errors.js';
import { no_grad } from '../autograd/grad_mode.js';
import type { Tensor } from '../tensor.js';

/** `fan_in` (inputs per output unit) or `fan_out`. */
export type FanMode = 'fan_in' | 'fan_out';

/** The recommended gain for a nonlinearity (`leaky_relu` takes its negative slope as `param`, default 0.01). */
export function calculate_gain(nonlinearity: string, param: number | null = null): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid':
      return 1;
    case 'tanh':
      return 5.0 / 3;
    case 'relu':
      return Math.sqrt(2.0);
    case 'leaky_relu': {
      if (param !== null && (typeof param !== 'number' || Number.isNaN(param))) {
        throw new ValueError(`negative_slope ${param} not a valid number`);
      }
      const slope = param ?? 0.01;
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case 'selu':
      return 3.0 / 4;
    default:
      throw new ValueError(`Unsupported nonlinearity ${nonlinearity}`);
  }
}

/** `[fan_in, fan_out]` of a weight of shape `[out, in, ...kernel]`. */
export function calculateFanInAndFanOut(tensor: Tensor): [number, number] {
  const dims = tensor.dim();
  if (dims < 2) throw new ValueError('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  const shape = tensor.shape;
  const receptiveField = shape.slice(2).reduce((product, size) => product * size, 1);
  return [shape[1] * receptiveField, shape[0] * receptiveField];
}

function correctFan(tensor: Tensor, mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new ValueError(`Mode ${mode} not supported, please use one of fan_in, fan_out`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  return mode === 'fan_in' ? fanIn : fanOut;
}

/** Fills `tensor` with samples of U(a, b). */
export function uniform_(tensor: Tensor, a = 0, b = 1): Tensor {
  return no_grad(() => tensor.uniform_(a, b));
}

/** Fills `tensor` with samples of N(mean, std²). */
export function normal_(tensor: Tensor, mean = 0, std = 1): Tensor {
  return no_grad(() => tensor.normal_(mean, std));
}

/** Fills `tensor` with `val`. */
export function constant_(tensor: Tensor, val: number): Tensor {
  return no_grad(() => tensor.fill_(val));
}

/** Fills `tensor` with zeros. */
export function zeros_(tensor: Tensor): Tensor {
  return no_grad(() => tensor.zero_());
}

/** Fills `tensor` with ones. */
export function ones_(tensor: Tensor): Tensor {
  return no_grad(() => tensor.fill_(1));
}

/** Options of `kaiming_uniform_`. */
export interface KaimingOptions {
  a?: number;
  mode?: FanMode;
  nonlinearity?: string;
}

/** He initialisation: U(-bound, bound) with bound = gain * sqrt(3 / fan); `a` is leaky_relu's negative slope. */
export function kaiming_uniform_(tensor: Tensor, a: number | KaimingOptions = 0, mode: FanMode = 'fan_in', nonlinearity = 'leaky_relu'): Tensor {
  const options = typeof a === 'number' ? { a, mode, nonlinearity } : a;
  const fan = correctFan(tensor, options.mode ?? 'fan_in');
  const gain = calculate_gain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0);
  const std = gain / Math.sqrt(fan);
  const bound = Math.sqrt(3.0) * std;
  return uniform_(tensor, -bound, bound);
}

/** Glorot initialisation: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)). */
export function xavier_uniform_(tensor: Tensor, gain: number | { gain?: number } = 1): Tensor {
  const scale = typeof gain === 'number' ? gain : gain.gain ?? 1;
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const std = scale * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(tensor, -a, a);
}
