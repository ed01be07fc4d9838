/**
 * `torch.nn`: modules, parameters, losses, `init` and `functional`. Every class here can be called without
 * `new`, as in Python (`nn.Linear(1, 1)`), and subclassed (`class Model extends torch.nn.Module`).
 */
import { callableClass } from './callable.js';
import { Module as ModuleClass } from './module.js';
import { Parameter as ParameterClass } from './parameter.js';
import { Identity as IdentityClass, Linear as LinearClass } from './linear.js';
import {
  Dropout as DropoutClass, ELU as ELUClass, Flatten as FlattenClass, GELU as GELUClass, LeakyReLU as LeakyReLUClass, ReLU as ReLUClass, SiLU as SiLUClass,
  Sigmoid as SigmoidClass, Softmax as SoftmaxClass, Softplus as SoftplusClass, Tanh as TanhClass,
} from './activation.js';
import { Sequential as SequentialClass } from './container.js';
import { Embedding as EmbeddingClass } from './embedding.js';
import {
  BCELoss as BCELossClass, BCEWithLogitsLoss as BCEWithLogitsLossClass, CrossEntropyLoss as CrossEntropyLossClass,
  L1Loss as L1LossClass, MSELoss as MSELossClass, NLLLoss as NLLLossClass,
} from './loss.js';
import * as functional from './functional.js';
import * as init from './init.js';

/** Base class of all modules. */
export const Module = callableClass(ModuleClass);
/** A tensor registered as a module parameter. */
export const Parameter = callableClass(ParameterClass);
/** Affine layer `x @ W.T + b`. */
export const Linear = callableClass(LinearClass);
/** Identity layer. */
export const Identity = callableClass(IdentityClass);
/** A lookup table of learnable rows. */
export const Embedding = callableClass(EmbeddingClass);
/** Randomly zeroes elements while training. */
export const Dropout = callableClass(DropoutClass);
/** Flattens a range of dimensions. */
export const Flatten = callableClass(FlattenClass);
/** ReLU activation. */
export const ReLU = callableClass(ReLUClass);
/** Leaky ReLU activation. */
export const LeakyReLU = callableClass(LeakyReLUClass);
/** ELU activation. */
export const ELU = callableClass(ELUClass);
/** GELU activation. */
export const GELU = callableClass(GELUClass);
/** SiLU (swish) activation. */
export const SiLU = callableClass(SiLUClass);
/** Softplus activation. */
export const Softplus = callableClass(SoftplusClass);
/** Sigmoid activation. */
export const Sigmoid = callableClass(SigmoidClass);
/** Tanh activation. */
export const Tanh = callableClass(TanhClass);
/** Softmax along a dimension. */
export const Softmax = callableClass(SoftmaxClass);
/** Modules applied in sequence. */
export const Sequential = callableClass(SequentialClass);
/** Mean squared error loss. */
export const MSELoss = callableClass(MSELossClass);
/** Mean absolute error loss. */
export const L1Loss = callableClass(L1LossClass);
/** Cross-entropy loss over logits and class indices. */
export const CrossEntropyLoss = callableClass(CrossEntropyLossClass);
/** Negative log-likelihood loss over log-probabilities and class indices. */
export const NLLLoss = callableClass(NLLLossClass);
/** Binary cross-entropy loss over probabilities. */
export const BCELoss = callableClass(BCELossClass);
/** Binary cross-entropy loss over logits. */
export const BCEWithLogitsLoss = callableClass(BCEWithLogitsLossClass);

/** Instance types, so `let model: torch.nn.Linear` reads as in PyTorch's type hints. */
export type Module = ModuleClass;
export type Parameter = ParameterClass;
export type Linear = LinearClass;
export type Identity = IdentityClass;
export type Embedding = EmbeddingClass;
export type Dropout = DropoutClass;
export type Flatten = FlattenClass;
export type ReLU = ReLUClass;
export type LeakyReLU = LeakyReLUClass;
export type ELU = ELUClass;
export type GELU = GELUClass;
export type SiLU = SiLUClass;
export type Softplus = SoftplusClass;
export type Sigmoid = SigmoidClass;
export type Tanh = TanhClass;
export type Softmax = SoftmaxClass;
export type Sequential = SequentialClass;
export type MSELoss = MSELossClass;
export type L1Loss = L1LossClass;
export type CrossEntropyLoss = CrossEntropyLossClass;
export type NLLLoss = NLLLossClass;
export type BCELoss = BCELossClass;
export type BCEWithLogitsLoss = BCEWithLogitsLossClass;

export { functional, init };
export { StateDict, IncompatibleKeys } from './module.js';
export { NotImplementedError } from '../errors.js';
