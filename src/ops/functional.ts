/** The functional forms of `torch.nn.functional` this runtime implements (nn modules wrap these). */
export { relu, sigmoid, tanh, softmax, log_softmax } from './activation.js';
export { mse_loss, l1_loss, nll_loss, cross_entropy, binary_cross_entropy, binary_cross_entropy_with_logits } from './loss.js';
import { Tensor } from '../tensor.js';
import { addmm } from './linalg.js';
import { add } from './pointwise.js';
import { matmul } from './linalg.js';
import { t } from './shape.js';

/** `F.linear(input, weight, bias)`: `addmm` for 2-D input with bias, as PyTorch 1.13 does; else matmul (+ bias). */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  if (input._shape.length === 2 && bias !== null) return addmm(bias, input, t(weight));
  const output = matmul(input, t(weight));
  return bias === null ? output : add(output, bias);
}
