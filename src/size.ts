/** `torch.Size`: an array of dimension lengths that prints as PyTorch prints it. */

import { sizeBundle } from './viz/tensorView.js';
import type { MimeBundle } from './viz/mime.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** The shape of a tensor: an array of numbers printing `torch.Size([2, 5])`. */
export class Size extends Array<number> {
  /** Array methods (`map`, `slice`...) return plain arrays, as Python's tuple slicing is not a concern here. */
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** A Size holding these dimension lengths. */
  static of_(dims: readonly number[]): Size {
    const size = new Size();
    for (const d of dims) size.push(d);
    return size;
  }

  /** Number of elements a tensor of this shape holds (`torch.Size.numel`). */
  numel(): number {
    let n = 1;
    for (const d of this) n *= d;
    return n;
  }

  /** `torch.Size([2, 5])`. */
  override toString(): string {
    return `torch.Size([${this.join(', ')}])`;
  }

  /** Node's inspect prints the Python repr. */
  [inspectSymbol](): string {
    return this.toString();
  }

  /** Rich display: the repr plus the number of dimensions and elements. */
  [Symbol.for('Jupyter.display')](): MimeBundle {
    return sizeBundle(this);
  }
}
