/** Activation modules: `nn.ReLU`, `nn.Sigmoid`, `nn.Tanh`, `nn.Softmax`. */
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import * as F from './functional.js';

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
