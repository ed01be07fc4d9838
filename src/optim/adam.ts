/** `torch.optim.Adam`: adaptive moment estimation, with optional AMSGrad and L2 weight decay. */
import { ValueError } from '../errors.js';
import { fromBuffer, type Tensor } from '../tensor.js';
import { float32 } from '../dtype.js';
import {
  Optimizer, arithmeticOf, numberOf, stateTensor, updateInPlace, valuesOf,
  type ParamGroup, type ParamGroupSpec,
} from './optimizer.js';

/** Options of `Adam` (PyTorch's keyword arguments and defaults). */
export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weight_decay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

/** Adam, computed as PyTorch's single-tensor update: float32 moments, bias corrections in double. */
export class Adam extends Optimizer {
  /** `Adam(model.parameters(), {lr: 0.01, betas: [0.9, 0.999]})`. */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec>, options: AdamOptions = {}) {
    const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weight_decay = 0, amsgrad = false, maximize = false } = options;
    if (lr < 0) throw new ValueError(`Invalid learning rate: ${lr}`);
    if (eps < 0) throw new ValueError(`Invalid epsilon value: ${eps}`);
    if (betas[0] < 0 || betas[0] >= 1) throw new ValueError(`Invalid beta parameter at index 0: ${betas[0]}`);
    if (betas[1] < 0 || betas[1] >= 1) throw new ValueError(`Invalid beta parameter at index 1: ${betas[1]}`);
    if (weight_decay < 0) throw new ValueError(`Invalid weight_decay value: ${weight_decay}`);
    super(params, {
      lr, betas: [betas[0], betas[1]], eps, weight_decay, amsgrad, maximize,
      foreach: null, capturable: false, differentiable: false, fused: false,
    });
  }

  /** @internal */
  protected override updateGroup(group: ParamGroup): void {
    const lr = numberOf(group, 'lr');
    const [beta1, beta2] = group.betas as readonly number[];
    const eps = numberOf(group, 'eps');
    const weightDecay = numberOf(group, 'weight_decay');
    const amsgrad = group.amsgrad === true;
    const maximize = group.maximize === true;
    for (const param of group.params) {
      const gradTensor = param._grad;
      if (gradTensor === null) continue;
      const { round, fused } = arithmeticOf(param);
      const grad = valuesOf(gradTensor);
      const state = this.stateOf(param, () => ({
        step: fromBuffer(new Float32Array(1), [], float32),
        exp_avg: stateTensor(param),
        exp_avg_sq: stateTensor(param),
        ...(amsgrad ? { max_exp_avg_sq: stateTensor(param) } : {}),
      }));
      const stepCounter = valuesOf(state.step as Tensor);
      stepCounter[0] = Math.fround(stepCounter[0] + 1);
      const step = stepCounter[0];
      const expAvg = valuesOf(state.exp_avg as Tensor);
      const expAvgSq = valuesOf(state.exp_avg_sq as Tensor);
      const maxExpAvgSq = amsgrad ? valuesOf(state.max_exp_avg_sq as Tensor) : null;
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
      const stepSize = round(-(lr / biasCorrection1));
      const correction2Sqrt = round(Math.sqrt(biasCorrection2));
      const decay = round(weightDecay);
      const [keep1, take1] = [round(beta1), round(1 - beta1)];
      const [keep2, take2] = [round(beta2), round(1 - beta2)];
      const epsilon = round(eps);
      updateInPlace(param, (values) => {
        for (let i = 0; i < values.length; i++) {
          let g = maximize ? -grad[i] : grad[i];
          if (weightDecay !== 0) g = fused(values[i], decay, g);
          expAvg[i] = fused(g, take1, round(expAvg[i] * keep1));
          expAvgSq[i] = fused(round(take2 * g), g, round(expAvgSq[i] * keep2));
          let second = expAvgSq[i];
          if (maxExpAvgSq !== null) second = maxExpAvgSq[i] = Math.max(maxExpAvgSq[i], second);
          const denom = round(round(round(Math.sqrt(second)) / correction2Sqrt) + epsilon);
          values[i] = round(values[i] + round(round(stepSize * expAvg[i]) / denom));
        }
      });
    }
  }
}
