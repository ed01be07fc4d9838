/** `torch.nn.Parameter`: a tensor that modules register as one of their parameters. */
import { float32 } from '../dtype.js';
import { Tensor } from '../tensor.js';
import { parameterBundle } from '../viz/tensorView.js';

const jupyterDisplay = Symbol.for('Jupyter.display');

/** A leaf tensor (requiring grad by default) that a module registers when it is assigned to one of its properties. */
export class Parameter extends Tensor {
  /** Shares `data`'s storage and version counter, as PyTorch's `_make_subclass`; no data gives an empty tensor. */
  constructor(data?: Tensor | null, requires_grad = true) {
    const source = data ?? Tensor._make(float32.allocate(0), [0], [1], 0, float32);
    super(source._storage, source._shape.slice(), source._strides.slice(), source._offset, source._dtype, source._versionCounter);
    this.requires_grad_(requires_grad);
  }

  /** `Parameter containing:` followed by the tensor's repr. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }

  /** The Jupyter MIME bundle: the repr and a table of the values. */
  [jupyterDisplay](): Record<string, string> {
    return parameterBundle(this);
  }
}
