/** `nn.Sequential`: modules run one after another. */
import { IndexError } from '../errors.js';
import { Module } from './module.js';

/** Runs its modules in order, each on the previous one's output; indexable (`seq[0]`), iterable, with `length`. */
export class Sequential extends Module {
  [index: number]: Module;

  /** `Sequential(a, b, c)` names the children `0`, `1`, `2`; `Sequential(new Map([['fc', a], ...]))` names them. */
  constructor(...modules: Module[] | [Map<string, Module>]) {
    super();
    const [first] = modules;
    if (modules.length === 1 && first instanceof Map) {
      for (const [name, module] of first) this.add_module(name, module);
    } else {
      (modules as Module[]).forEach((module, index) => this.add_module(String(index), module));
    }
  }

  /** Number of modules (Python's `len(seq)`). */
  override get length(): number {
    return this._modules.size;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    const size = this._modules.size;
    if (index < -size || index >= size) throw new IndexError(`index ${index} is out of range`);
    return [...this._modules.values()][index < 0 ? index + size : index] as Module;
  }

  /** Appends `module` at the end; returns this Sequential. */
  append(module: Module): this {
    this.add_module(String(this._modules.size), module);
    return this;
  }

  /** The children in order. */
  *[Symbol.iterator](): IterableIterator<Module> {
    for (const module of this._modules.values()) if (module !== null) yield module;
  }

  /** Feeds `input` through every module in order. */
  override forward(input: unknown): any {
    let output = input;
    for (const module of this) output = module(output);
    return output;
  }
}
