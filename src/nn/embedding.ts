/** `nn.Embedding`: a lookup table of learnable rows. */
import type { Tensor } from '../tensor.js';
import { no_grad } from '../autograd/grad_mode.js';
import { emptyTensor } from '../ops/common.js';
import { type DType, get_default_dtype } from '../dtype.js';
import { AssertionError } from '../errors.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';
import { embedding } from './functional.js';
import * as init from './init.js';

/** Options of `nn.Embedding` beyond the sizes. */
export interface EmbeddingOptions {
  padding_idx?: number | null;
  dtype?: DType;
}

/** Row `i` of `weight` for each index `i` of the input: `[num_embeddings, embedding_dim]` rows drawn from N(0, 1). */
export class Embedding extends Module {
  /** Number of rows. */
  declare num_embeddings: number;
  /** Size of each row. */
  declare embedding_dim: number;
  /** The row kept at zero that receives no gradient, or null. */
  declare padding_idx: number | null;
  /** The rows, shape `[num_embeddings, embedding_dim]`. */
  declare weight: Parameter;

  /** `Embedding(27, 10)` or `Embedding(27, 10, {padding_idx: 0})`. */
  constructor(num_embeddings: number, embedding_dim: number, options: EmbeddingOptions = {}) {
    super();
    const padding = options.padding_idx ?? null;
    if (padding !== null && (padding >= num_embeddings || padding < -num_embeddings)) {
      throw new AssertionError('Padding_idx must be within num_embeddings');
    }
    this.num_embeddings = num_embeddings;
    this.embedding_dim = embedding_dim;
    this.padding_idx = padding === null || padding >= 0 ? padding : padding + num_embeddings;
    this.weight = new Parameter(emptyTensor([num_embeddings, embedding_dim], options.dtype ?? get_default_dtype()));
    this.reset_parameters();
  }

  /** PyTorch's initialisation: N(0, 1), then the padding row zeroed. */
  reset_parameters(): void {
    init.normal_(this.weight);
    const padding = this.padding_idx;
    if (padding !== null) no_grad(() => this.weight.get(padding).fill_(0));
  }

  /** The rows of `weight` at `input`'s indices. */
  override forward(input: Tensor): Tensor {
    return embedding(input, this.weight, this.padding_idx);
  }

  /** `27, 10`, with `padding_idx=0` when set. */
  override extra_repr(): string {
    return `${this.num_embeddings}, ${this.embedding_dim}${this.padding_idx === null ? '' : `, padding_idx=${this.padding_idx}`}`;
  }
}
