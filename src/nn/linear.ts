/** `nn.Linear` and `nn.Identity`. */
import { Tensor } from '../tensor.js';
import { emptyTensor } from '../ops/common.js';
import { type DType, get_default_dtype } from '../dtype.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { linear } from './functional.js';
import * as init from './init.js';

/** Options of `nn.Linear` beyond the sizes. */
export interface LinearOptions {
  bias?: boolean;
  dtype?: DType;
}

/** `y = x @ weight.T + bias`, with weight `[out_features, in_features]` initialised as PyTorch does. */
export class Linear extends Module {
  /** Size of each input sample. */
  declare in_features: number;
  /** Size of each output sample. */
  declare out_features: number;
  /** The learnable weights, shape `[out_features, in_features]`. */
  declare weight: Parameter;
  /** The learnable bias, shape `[out_features]`, or null when built with `bias: false`. */
  declare bias: Parameter | null;

  /** `Linear(in_features, out_features)`, `Linear(2, 3, false)` or `Linear(2, 3, {bias: false, dtype: torch.float64})`. */
  constructor(in_features: number, out_features: number, bias: boolean | LinearOptions = true) {
    super();
    const options = typeof bias === 'boolean' ? { bias } : bias;
    const dtype = options.dtype ?? get_default_dtype();
    this.in_features = in_features;
    this.out_features = out_features;
    this.weight = new Parameter(emptyTensor([out_features, in_features], dtype));
    if (options.bias ?? true) {
      this.bias = new Parameter(emptyTensor([out_features], dtype));
    } else {
      this.register_parameter('bias', null);
    }
    this.reset_parameters();
  }

  /** PyTorch's default initialisation: kaiming_uniform_(a=√5) on the weight, U(±1/√fan_in) on the bias. */
  reset_parameters(): void {
    init.kaiming_uniform_(this.weight, Math.sqrt(5));
    if (this.bias !== null) {
      const [fanIn] = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }

  /** `input @ weight.T + bias`. */
  override forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  /** `in_features=1, out_features=1, bias=True`. */
  override extra_repr(): string {
    return `in_features=${this.in_features}, out_features=${this.out_features}, bias=${this.bias !== null ? 'True' : 'False'}`;
  }
}

/** Returns its input unchanged (a placeholder layer). */
export class Identity extends Module {
  /** Accepts and ignores any arguments, as PyTorch's does. */
  constructor(..._args: unknown[]) {
    super();
  }

  /** The input itself. */
  override forward(input: Tensor): Tensor {
    return input;
  }
}
