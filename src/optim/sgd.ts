/** `torch.optim.SGD`: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay. */
import { ValueError } from '../errors.js';
import type { Storage } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import {
  Optimizer, REQUIRED, arithmeticOf, numberOf, stateTensor, updateInPlace, valuesOf,
  type Arithmetic, type ParamGroup, type ParamGroupSpec,
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
      if (momentum === 0 && weightDecay === 0 && !maximize) {
        const step = round(-lr);
        updateInPlace(param, (values) => addScaled(values, grad, step, fused));
        continue;
      }
      // The momentum buffer starts as a copy of the first step's direction.
      const firstStep = momentum !== 0 && state.momentum_buffer === null;
      if (firstStep) state.momentum_buffer = stateTensor(param);
      const buffer = momentum !== 0 ? (state.momentum_buffer as Tensor) : null;
      const buf = buffer === null ? null : valuesOf(buffer);
      const decay = round(weightDecay);
      const keep = round(momentum);
      const take = round(1 - dampening);
      const step = round(-lr);
      updateInPlace(param, (values) => {
        for (let i = 0; i < values.length; i++) {
          let direction = maximize ? -grad[i] : grad[i];
          if (weightDecay !== 0) direction = fused(values[i], decay, direction);
          if (buf !== null) {
            buf[i] = firstStep ? direction : fused(direction, take, round(buf[i] * keep));
            direction = nesterov ? fused(buf[i], keep, direction) : buf[i];
          }
          values[i] = fused(direction, step, values[i]);
        }
      });
      if (buffer !== null && !firstStep) buffer._versionCounter.value++;
    }
  }
}

/**
 * Plain SGD's `p.add_(grad, alpha=-lr)`, one fused rounding per element; its own loop (no per-element
 * option checks, `fused` called from one site) runs the common case about twice as fast, and taking eight
 * elements per iteration saves V8's per-iteration checks of the arrays.
 */
function addScaled(values: Storage, grad: Storage, step: number, fused: Arithmetic['fused']): void {
  const n = values.length;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    values[i] = fused(grad[i], step, values[i]);
    values[i + 1] = fused(grad[i + 1], step, values[i + 1]);
    values[i + 2] = fused(grad[i + 2], step, values[i + 2]);
    values[i + 3] = fused(grad[i + 3], step, values[i + 3]);
    values[i + 4] = fused(grad[i + 4], step, values[i + 4]);
    values[i + 5] = fused(grad[i + 5], step, values[i + 5]);
    values[i + 6] = fused(grad[i + 6], step, values[i + 6]);
    values[i + 7] = fused(grad[i + 7], step, values[i + 7]);
  }
  for (; i < n; i++) values[i] = fused(grad[i], step, values[i]);
}
