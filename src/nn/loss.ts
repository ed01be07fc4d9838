/** Loss modules: each holds its options (`reduction`, class weights...) and calls the functional form. */
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import * as F from './functional.js';

/** Options shared by the losses: how the per-element losses are reduced. */
export interface LossOptions {
  reduction?: F.Reduction;
}

/** Base of the loss modules: keeps `reduction` (default `'mean'`). */
export abstract class Loss extends Module {
  /** `'mean'`, `'sum'` or `'none'`. */
  declare reduction: F.Reduction;

  /** @internal */
  constructor(options: LossOptions = {}) {
    super();
    this.reduction = options.reduction ?? 'mean';
  }
}

/** Mean squared error: `((input - target) ** 2).mean()`. */
export class MSELoss extends Loss {
  /** `mse_loss(input, target)`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.mse_loss(input, target, { reduction: this.reduction });
  }
}

/** Mean absolute error: `(input - target).abs().mean()`. */
export class L1Loss extends Loss {
  /** `l1_loss(input, target)`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.l1_loss(input, target, { reduction: this.reduction });
  }
}

/** Options of `CrossEntropyLoss` and `NLLLoss`. */
export interface ClassLossOptions extends LossOptions {
  weight?: Tensor | null;
  ignore_index?: number;
}

/** Cross-entropy of raw scores (logits) `[N, C]` against class indices `[N]`: log_softmax then NLL. */
export class CrossEntropyLoss extends Loss {
  /** Per-class weights, or null. */
  declare weight: Tensor | null;
  /** Target value that is ignored. */
  declare ignore_index: number;

  /** How much of the uniform distribution is mixed into the targets (0: none). */
  declare label_smoothing: number;

  /** `CrossEntropyLoss()`, `CrossEntropyLoss({reduction: 'sum', weight, ignore_index, label_smoothing: 0.1})`. */
  constructor(options: ClassLossOptions & { label_smoothing?: number } = {}) {
    super(options);
    this.weight = options.weight ?? null;
    this.ignore_index = options.ignore_index ?? -100;
    this.label_smoothing = options.label_smoothing ?? 0;
  }

  /** `cross_entropy(input, target)`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    const { weight, ignore_index, reduction, label_smoothing } = this;
    return F.cross_entropy(input, target, { weight, ignore_index, reduction, label_smoothing });
  }
}

/** Negative log-likelihood of log-probabilities `[N, C]` against class indices `[N]`. */
export class NLLLoss extends CrossEntropyLoss {
  /** `nll_loss(input, target)`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.nll_loss(input, target, { weight: this.weight, ignore_index: this.ignore_index, reduction: this.reduction });
  }
}

/** Options of `BCELoss`. */
export interface BCEOptions extends LossOptions {
  weight?: Tensor | null;
}

/** Binary cross-entropy of probabilities in [0, 1] against targets in [0, 1]. */
export class BCELoss extends Loss {
  /** Per-element weights, or null. */
  declare weight: Tensor | null;

  /** `BCELoss()` or `BCELoss({reduction, weight})`. */
  constructor(options: BCEOptions = {}) {
    super(options);
    this.weight = options.weight ?? null;
  }

  /** `binary_cross_entropy(input, target)`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.binary_cross_entropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** Options of `BCEWithLogitsLoss`. */
export interface BCEWithLogitsOptions extends BCEOptions {
  pos_weight?: Tensor | null;
}

/** Binary cross-entropy of logits (sigmoid folded in, computed stably) against targets in [0, 1]. */
export class BCEWithLogitsLoss extends BCELoss {
  /** Weight of positive examples per class, or null. */
  declare pos_weight: Tensor | null;

  /** `BCEWithLogitsLoss()` or `BCEWithLogitsLoss({reduction, weight, pos_weight})`. */
  constructor(options: BCEWithLogitsOptions = {}) {
    super(options);
    this.pos_weight = options.pos_weight ?? null;
  }

  /** `binary_cross_entropy_with_logits(input, target)`. */
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.binary_cross_entropy_with_logits(input, target, { weight: this.weight, pos_weight: this.pos_weight, reduction: this.reduction });
  }
}
