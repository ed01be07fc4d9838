/** Activation modules (`nn.ReLU`, `nn.LeakyReLU`, `nn.ELU`, `nn.GELU`, `nn.SiLU`, `nn.Softplus`, `nn.Sigmoid`, `nn.Tanh`, `nn.Softmax`), `nn.Dropout`, `nn.Flatten`. */
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import * as F from './functional.js';
import { pythonRepr } from '../optim/optimizer.js';
import { checkDropoutProbability } from '../ops/sampling.js';

/** Options of `nn.ReLU`. */
export interface InplaceOptions {
  inplace?: boolean;
}

/** `max(0, x)` elementwise. */
export class ReLU extends Module {
  /** Whether the input is overwritten. */
  declare inplace: boolean;

  /** `ReLU()`, or `ReLU({inplace: true})` to overwrite the input. */
  constructor(inplace: boolean | InplaceOptions = false) {
    super();
    this.inplace = typeof inplace === 'boolean' ? inplace : inplace.inplace ?? false;
  }

  /** `relu(input)`. */
  override forward(input: Tensor): Tensor {
    return F.relu(input, this.inplace);
  }

  /** `inplace=True` when set. */
  override extra_repr(): string {
    return this.inplace ? 'inplace=True' : '';
  }
}

/** A float hyperparameter as Python prints it (`1.0`, `0.01`): the defaults PyTorch gives as floats. */
function floatRepr(value: number): string {
  return Number.isInteger(value) ? value.toFixed(1) : pythonRepr(value);
}

/** `x` where positive, `negative_slope * x` elsewhere. */
export class LeakyReLU extends Module {
  /** The slope below zero. */
  declare negative_slope: number;

  /** `LeakyReLU()`, `LeakyReLU(0.2)` or `LeakyReLU({negative_slope: 0.2})`. */
  constructor(negative_slope: number | { negative_slope?: number } = 0.01) {
    super();
    this.negative_slope = typeof negative_slope === 'number' ? negative_slope : negative_slope.negative_slope ?? 0.01;
  }

  /** `leaky_relu(input, negative_slope)`. */
  override forward(input: Tensor): Tensor {
    return F.leaky_relu(input, this.negative_slope);
  }

  /** `negative_slope=0.01`. */
  override extra_repr(): string {
    return `negative_slope=${floatRepr(this.negative_slope)}`;
  }
}

/** `x` where positive, `alpha * (exp(x) - 1)` elsewhere. */
export class ELU extends Module {
  /** The scale of the negative part. */
  declare alpha: number;

  /** `ELU()`, `ELU(0.5)` or `ELU({alpha: 0.5})`. */
  constructor(alpha: number | { alpha?: number } = 1) {
    super();
    this.alpha = typeof alpha === 'number' ? alpha : alpha.alpha ?? 1;
  }

  /** `elu(input, alpha)`. */
  override forward(input: Tensor): Tensor {
    return F.elu(input, this.alpha);
  }

  /** `alpha=1.0`. */
  override extra_repr(): string {
    return `alpha=${floatRepr(this.alpha)}`;
  }
}

/** GELU elementwise: `x · Φ(x)`, or its tanh approximation. */
export class GELU extends Module {
  /** `'none'` (exact, with erf) or `'tanh'`. */
  declare approximate: 'none' | 'tanh';

  /** `GELU()` or `GELU({approximate: 'tanh'})`. */
  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = options.approximate ?? 'none';
  }

  /** `gelu(input, approximate)`. */
  override forward(input: Tensor): Tensor {
    return F.gelu(input, { approximate: this.approximate });
  }

  /** `approximate='none'`. */
  override extra_repr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** `x * sigmoid(x)` elementwise (swish). */
export class SiLU extends Module {
  /** `silu(input)`. */
  override forward(input: Tensor): Tensor {
    return F.silu(input);
  }
}

/** Options of `nn.Softplus`. */
export interface SoftplusOptions {
  beta?: number;
  threshold?: number;
}

/** `log(1 + exp(beta * x)) / beta` elementwise, linear where `beta * x > threshold`. */
export class Softplus extends Module {
  /** The sharpness. */
  declare beta: number;
  /** Where the function turns linear. */
  declare threshold: number;

  /** `Softplus()`, `Softplus(2, 10)` or `Softplus({beta: 2})`. */
  constructor(beta: number | SoftplusOptions = 1, threshold = 20) {
    super();
    const options = typeof beta === 'number' ? { beta, threshold } : beta;
    this.beta = options.beta ?? 1;
    this.threshold = options.threshold ?? 20;
  }

  /** `softplus(input, beta, threshold)`. */
  override forward(input: Tensor): Tensor {
    return F.softplus(input, this.beta, this.threshold);
  }

  /** `beta=1, threshold=20`. */
  override extra_repr(): string {
    return `beta=${pythonRepr(this.beta)}, threshold=${pythonRepr(this.threshold)}`;
  }
}

/** `1 / (1 + exp(-x))` elementwise. */
export class Sigmoid extends Module {
  /** `sigmoid(input)`. */
  override forward(input: Tensor): Tensor {
    return F.sigmoid(input);
  }
}

/** Hyperbolic tangent elementwise. */
export class Tanh extends Module {
  /** `tanh(input)`. */
  override forward(input: Tensor): Tensor {
    return F.tanh(input);
  }
}

/** Softmax along `dim`: exponentials normalised to sum to 1. */
export class Softmax extends Module {
  /** The dimension normalised (null picks PyTorch's legacy implicit choice, with its warning). */
  declare dim: number | null;

  /** `Softmax(1)` or `Softmax({dim: 1})`. */
  constructor(dim: number | null | { dim?: number | null } = null) {
    super();
    this.dim = dim === null || typeof dim === 'number' ? dim : dim.dim ?? null;
  }

  /** `softmax(input, dim)`. */
  override forward(input: Tensor): Tensor {
    return F.softmax(input, this.dim);
  }

  /** `dim=1` (`dim=None` when unset). */
  override extra_repr(): string {
    return `dim=${this.dim ?? 'None'}`;
  }
}

/** Options of `nn.Dropout`. */
export interface DropoutOptions {
  p?: number;
  inplace?: boolean;
}

/** While training, zeroes each element with probability `p` and scales the rest by `1 / (1 - p)`; in eval mode, the identity. */
export class Dropout extends Module {
  /** The probability of zeroing an element. */
  declare p: number;
  /** Whether the input is overwritten. */
  declare inplace: boolean;

  /** `Dropout()`, `Dropout(0.2)` or `Dropout({p: 0.2, inplace: true})`. */
  constructor(p: number | DropoutOptions = 0.5, inplace = false) {
    super();
    const options = typeof p === 'number' ? { p, inplace } : p;
    this.p = options.p ?? 0.5;
    checkDropoutProbability(this.p);
    this.inplace = options.inplace ?? false;
  }

  /** `dropout(input, p, training, inplace)`. */
  override forward(input: Tensor): Tensor {
    return F.dropout(input, { p: this.p, training: this.training, inplace: this.inplace });
  }

  /** `p=0.5, inplace=False`. */
  override extra_repr(): string {
    return `p=${pythonRepr(this.p)}, inplace=${this.inplace ? 'True' : 'False'}`;
  }
}

/** Options of `nn.Flatten`. */
export interface FlattenOptions {
  start_dim?: number;
  end_dim?: number;
}

/** Flattens dimensions `start_dim..end_dim` (by default all but the batch dimension). */
export class Flatten extends Module {
  /** First dimension flattened. */
  declare start_dim: number;
  /** Last dimension flattened. */
  declare end_dim: number;

  /** `Flatten()`, `Flatten(0, 1)` or `Flatten({start_dim: 0})`. */
  constructor(start_dim: number | FlattenOptions = 1, end_dim = -1) {
    super();
    const options = typeof start_dim === 'number' ? { start_dim, end_dim } : start_dim;
    this.start_dim = options.start_dim ?? 1;
    this.end_dim = options.end_dim ?? -1;
  }

  /** `input.flatten(start_dim, end_dim)`. */
  override forward(input: Tensor): Tensor {
    return input.flatten(this.start_dim, this.end_dim);
  }

  /** `start_dim=1, end_dim=-1`. */
  override extra_repr(): string {
    return `start_dim=${this.start_dim}, end_dim=${this.end_dim}`;
  }
}
