/** `torch.optim`: SGD and Adam, constructible with or without `new`, as in Python. */
import { callableClass } from '../nn/callable.js';
import { SGD as SGDClass } from './sgd.js';
import { Adam as AdamClass } from './adam.js';

/** Stochastic gradient descent (momentum, dampening, Nesterov, weight decay, maximize). */
export const SGD = callableClass(SGDClass);
/** Adam (betas, eps, weight decay, AMSGrad, maximize). */
export const Adam = callableClass(AdamClass);

/** Instance types, for annotations such as `let optimizer: torch.optim.SGD`. */
export type SGD = SGDClass;
export type Adam = AdamClass;

export { Optimizer, type ParamGroup, type ParamGroupSpec, type OptimizerStateDict } from './optimizer.js';
