/** `torch.optim.SGD`: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay. */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import {
  Optimizer, REQUIRED, arithmeticOf, numberOf, stateTensor, updateInPlace, valuesOf,
  type ParamGroup, type ParamGroupSpec,
} from './optimizer.js';

/** Options of `SGD` (PyTorch's keyword arguments; `lr` is required, as in PyTorch 1.13). */
export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weight_decay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

/** SGD: `p -= lr * g`, with `g` through weight decay and a momentum buffer as PyTorch's single-tensor update. */
export class SGD extends Optimizer {
  /** `SGD(model.parameters(), {lr: 0.01, momentum: 0.9})`. */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec>, options: SGDOptions = {}) {
    const { lr, momentum = 0, dampening = 0, weight_decay = 0, nesterov = false, maximize = false } = options;
    if (lr !== undefined && lr < 0) throw new ValueError(`Invalid learning rate: ${lr}`);
    if (momentum < 0) throw new ValueError(`Invalid momentum value: ${momentum}`);
    if (weight_decay < 0) throw new ValueError(`Invalid weight_decay value: ${weight_decay}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) throw new ValueError('Nesterov momentum requires a momentum and zero dampening');
    super(params, {
      lr: lr ?? REQUIRED, momentum, dampening, weight_decay, nesterov, maximize, foreach: null, differentiable: false,
    });
  }

  /** @internal */
  protected override updateGroup(group: ParamGroup): void {
    const lr = numberOf(group, 'lr');
    const momentum = numberOf(group, 'momentum');
    const dampening = numberOf(group, 'dampening');
    const weightDecay = numberOf(group, 'weight_decay');
    const nesterov = group.nesterov === true;
    const maximize = group.maximize === true;
    for (const param of group.params) {
      const gradTensor = param._grad;
      if (gradTensor === null) continue;
      const { round, fused } = arithmeticOf(param);
      const grad = valuesOf(gradTensor);
      const state = this.stateOf(param, () => ({ momentum_buffer: null }));
      const buffer = state.momentum_buffer ?? null;
      const decay = round(weightDecay);
      const keep = round(momentum);
      const take = round(1 - dampening);
      const step = round(-lr);
      const n = grad.length;
      // d_p for every element first: the momentum buffer starts as a copy of the first one.
      const direction = new Float64Array(n);
      updateInPlace(param, (values) => {
        for (let i = 0; i < n; i++) {
          const g = maximize ? -grad[i] : grad[i];
          direction[i] = weightDecay !== 0 ? fused(values[i], decay, g) : g;
        }
        if (momentum !== 0) {
          if (buffer === null) {
            state.momentum_buffer = stateTensor(param, direction);
          } else {
            const buf = valuesOf(buffer);
            for (let i = 0; i < n; i++) buf[i] = fused(direction[i], take, round(buf[i] * keep));
            buffer._versionCounter.value++;
          }
          const buf = valuesOf(state.momentum_buffer as Tensor);
          for (let i = 0; i < n; i++) direction[i] = nesterov ? fused(buf[i], keep, direction[i]) : buf[i];
        }
        for (let i = 0; i < n; i++) values[i] = fused(direction[i], step, values[i]);
      });
    }
  }
}
